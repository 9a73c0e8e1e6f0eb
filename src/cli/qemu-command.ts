/**
 * `vdpa-lab qemu`: real QEMU releases beside the model. `qemu check` sets a
 * real QEMU's vhost-vdpa trace beside the model's stream for that release
 * (vmm/trace/stream-check.ts); prepare, list and record are
 * qemu-record-command.ts.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { writeFileAtomic } from '../atomic-file.js';
import { InputError, isInputError } from '../errors.js';
import { checkOutputFile } from '../output-path.js';
import { resolveQemu } from '../vmm/index.js';
import { checkStream, formatStreamCheck, type StreamCheck } from '../vmm/trace/index.js';
import { registerQemuRecord } from './qemu-record-command.js';
import { action } from './run-action.js';

interface CheckFlags {
  qemu: string;
  svq?: boolean;
  out?: string;
  json?: boolean;
}

/** Above this many rows the terminal gets the summary and the first differences; --out gets every row. */
const FULL_ROWS = 80;
const FIRST_DIFFERENCES = 20;
const TEXT_MARK = 'Stream check: ';

function readTrace(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(path, `cannot read the trace (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** A file `qemu check --out` wrote: its text or its JSON. */
function isCheckOutput(text: string): boolean {
  if (text.startsWith(TEXT_MARK)) return true;
  try {
    const j = JSON.parse(text) as Partial<StreamCheck>;
    return typeof j.release === 'string' && Array.isArray(j.rows) && Array.isArray(j.unexplained);
  } catch {
    return false;
  }
}

export function registerQemuCheck(qemu: Command): void {
  qemu
    .command('check')
    .description("set a real QEMU's vhost-vdpa trace beside the model's stream for that release and the guest the trace shows, message by message; exit 1 on an unexplained difference")
    .argument('<trace>', "QEMU log-backend trace of vhost_vdpa_* events (-trace 'vhost_vdpa_*' -D FILE)")
    .requiredOption('--qemu <version>', 'the QEMU release that wrote the trace (7.2, 8.0 ... 10.0, 10.1, 11.1.3 ...)')
    .option('--svq', 'the netdev ran with x-svq=on (default: as the trace shows)')
    .option('-o, --out <file>', 'write every row of the side-by-side (or, with --json, the JSON) to FILE')
    .option('--json', 'print the check as JSON')
    .addHelpText(
      'after',
      `
Compared per message: type (map, unmap, batch begin/end, set_status, reset,
suspend, set_group_asid, set_features), ASID, IOVA, size, perm, whether a
map went in a listener batch (RAM) or alone (shadow vrings, CVQ buffers), and
the status written. Named expected differences: host addresses (same offset
in the same RAM block), shadow buffer addresses, negotiated features,
pointers and fd numbers, timestamps. The guest's memory map, its starts and
stops, and x-svq come from the trace.

Examples:
  vdpa-lab qemu check workloads/traces/qemu-7.2-vdpa_sim-6.12.117-baseline.log --qemu 7.2
  vdpa-lab qemu check workloads/traces/lab-vdpa_sim-nas2-qemu10.1-1GiB-4k-svq.log --qemu 10.1 --json
Exit codes: 0 only expected differences, 1 an unexplained difference, 2 bad input.`,
    )
    .action(
      action((tracePath: string, o: CheckFlags) => {
        try {
          resolveQemu(o.qemu);
        } catch (e) {
          if (isInputError(e)) throw new InputError('--qemu', e.reason);
          throw e;
        }
        const out = o.out ? checkOutputFile(o.out, '--out', { what: 'stream check', isOurs: isCheckOutput }) : null;
        const text = readTrace(tracePath);
        const check = checkStream(text, { qemu: o.qemu, svq: o.svq, where: tracePath });
        const json = `${JSON.stringify(check, null, 1)}\n`;
        if (out) writeFileAtomic(out, o.json ? json : `${formatStreamCheck(check)}\n`);
        if (o.json) process.stdout.write(json);
        else {
          const full = check.rows.length <= FULL_ROWS;
          process.stdout.write(`${formatStreamCheck(check, full ? {} : { firstDifferences: FIRST_DIFFERENCES })}\n`);
          if (out) process.stdout.write(`written: ${out}\n`);
        }
        return check.unexplained.length ? 1 : 0;
      }),
    );
}

export function registerQemu(program: Command): Command {
  const qemu = program
    .command('qemu')
    .description("real QEMU in the loop: Debian's QEMU releases run inside the kernel VM on vdpa_sim, traced, and a trace checked against the model's stream")
    .addHelpText('after', '\nExamples:\n  vdpa-lab qemu prepare --qemu 7.2\n  vdpa-lab qemu record --qemu 7.2 --resets 1 --out reports/qemu-7.2\n  vdpa-lab qemu check workloads/traces/qemu-7.2-vdpa_sim-6.12.117-baseline.log --qemu 7.2');
  registerQemuRecord(qemu);
  registerQemuCheck(qemu);
  return qemu;
}
