/** `vdpa-lab replay TRACE.log`: what a real VM's resets cost, and what PERSIST would save. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../atomic-file.js';
import { checkOwnDir, claimOutputDir } from '../output-path.js';
import { InputError } from '../errors.js';
import { loadProfile } from '../cost/index.js';
import { BACKINGS, type Backing } from '../host/index.js';
import { KERNEL_GENERATIONS, PARENT_KINDS, type KernelGeneration, type ParentKind } from '../kernel/index.js';
import { DEFAULT_BACKING, replayResultsFile, replayText, replayTrace, summarizeReplay } from '../runner/replay/index.js';
import { resolveProfilePath } from '../workload/index.js';
import { accelOption, checkClock, clockOption, positiveInt } from './parse-options.js';
import { action } from './run-action.js';
import { parseBackend, type BackendSpec } from '../real/backend-spec.js';
import { createBackend } from '../backends/index.js';
import { replayOnReal } from '../runner/real/replay-real.js';
import { realReplayText } from './replay-real-text.js';

interface ReplayFlags {
  kernel: KernelGeneration;
  parent: ParentKind;
  backing?: Backing;
  meanRun?: number;
  iotlbLimit?: number;
  variant?: 'set_map' | 'dma_map';
  prealloc?: boolean;
  whatIf?: 'persist';
  profile: string;
  out?: string;
  json?: boolean;
  backend?: BackendSpec;
  accel: 'auto' | 'kvm' | 'tcg';
  clock: 'wall' | 'icount';
}

function oneOf<T extends string>(flag: string, allowed: readonly T[]) {
  return (text: string): T => {
    if (!allowed.includes(text as T)) throw new InputError(flag, `unknown value '${text}' (choose from ${allowed.join(', ')})`);
    return text as T;
  };
}

function readTrace(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(path, `cannot read the trace (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function isReplayResults(path: string): boolean {
  try {
    const name = (JSON.parse(readFileSync(path, 'utf8')) as { provenance?: { workload?: { name?: unknown } } }).provenance?.workload?.name;
    return typeof name === 'string' && name.startsWith('replay ');
  } catch {
    return false;
  }
}

/** A directory an older lab's replay made (before replay marked its directories): its results.json alone. */
function isOldReplayDir(dir: string): boolean {
  const entries = readdirSync(dir);
  return entries.length === 1 && entries[0] === 'results.json' && isReplayResults(join(dir, 'results.json'));
}

/**
 * --out follows run's rule (output-path.ts): a new or empty directory, or
 * one a replay made; and never replaces a results.json that is not an
 * earlier replay's. Checked before the trace is read; nothing is created.
 */
function checkOut(out: string): string {
  const dir = checkOwnDir(out, '--out', 'replay', isOldReplayDir).path;
  const path = join(dir, 'results.json');
  if (existsSync(path) && !isReplayResults(path)) throw new InputError('--out', `${path} exists and is not a replay's results file: choose another directory`);
  return path;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description("replay a QEMU vhost-vdpa trace (-trace 'vhost_vdpa_*') through the kernel model: per reset, messages, pages unpinned and re-pinned, modeled time per phase, refusals")
    .argument('<trace>', "QEMU log-backend trace of vhost_vdpa_* events (QEMU 7.2 or later; with or without the PID@SECONDS.MICROS: prefix)")
    .option('--kernel <gen>', `kernel generation (${KERNEL_GENERATIONS.join(', ')})`, oneOf('--kernel', KERNEL_GENERATIONS), 'reset-map')
    .option('--parent <parent>', `parent driver (${PARENT_KINDS.join(', ')})`, oneOf('--parent', PARENT_KINDS), 'vdpa_sim')
    .option('--backing <backing>', `host backing of guest RAM (${BACKINGS.join(', ')}; default ${DEFAULT_BACKING}, what QEMU's default RAM gets)`, oneOf('--backing', BACKINGS))
    .option('--mean-run <pages>', '4k backing: mean physically contiguous run in pages (1-512)', positiveInt('--mean-run'))
    .option('--iotlb-limit <n>', 'enforce vhost_vdpa.max_iotlb_entries (2048 on kernels with the 2026 fix); default: no limit', positiveInt('--iotlb-limit'))
    .option('--variant <variant>', "vdpa_sim's batch_mapping: set_map (1, default) or dma_map (0); a module parameter, not in a trace", oneOf('--variant', ['set_map', 'dma_map'] as const))
    .option('--prealloc', "guest RAM was preallocated (QEMU prealloc=on): the first maps fault nothing in; default: QEMU's default, so each page's first pin faults it in")
    .option('--what-if <what>', "'persist': also replay with IOTLB_PERSIST acked and the re-maps around each reset dropped", oneOf('--what-if', ['persist'] as const))
    .option('--profile <name|path>', 'cost profile (workloads/profiles/NAME.json or a path)', 'default')
    .option('-o, --out <dir>', 'write DIR/results.json (vdpa-lab/results@3: one cell per fd and flow; report and gate read it)')
    .option('--backend <backend>', 'also replay every fd on a real kernel: vm:6.1, vm:6.12, vm:7.2 (see kernels prepare) or device:/dev/vhost-vdpa-N', (t: string) => {
      const b = parseBackend(t);
      if (!createBackend(b).capabilities.real) throw new InputError('--backend', 'replay always uses the model; name a real backend (vm:KERNEL or device:PATH)');
      return b;
    })
    .option('--accel <accel>', 'with --backend vm:: auto, kvm or tcg', accelOption, 'auto')
    .option('--clock <clock>', "with --backend vm:: the guest clock the probe times by: wall, or icount (TCG's instruction counter, 1 ns per guest instruction: the same figures on every run; TCG only)", clockOption, 'wall')
    .option('--json', 'print the replay summary as JSON instead of the table')
    .addHelpText(
      'after',
      `
Examples:
  vdpa-lab replay workloads/traces/qemu-7.2-vdpa_sim-6.12.117-baseline.log
  vdpa-lab replay vm.log --kernel legacy --parent mlx5 --backing 4k --mean-run 8
  vdpa-lab replay vm.log --what-if persist --out reports/replay && vdpa-lab report reports/replay/results.json --out reports/replay/report
  vdpa-lab replay workloads/traces/qemu-7.2-vdpa_sim-6.12.117-baseline.log --what-if persist --backend vm:6.12
Exit codes: 0 replayed (refusals and n/a are findings), 2 bad input (one line naming the
trace line and the reason; nothing written).`,
    )
    .action(
      action(async (tracePath: string, o: ReplayFlags) => {
        checkClock(o.clock, o.accel, o.backend?.kind);
        if (o.variant && o.parent !== 'vdpa_sim') throw new InputError('--variant', 'only vdpa_sim has the batch_mapping variants');
        if (o.meanRun !== undefined && (o.backing ?? DEFAULT_BACKING) !== '4k') throw new InputError('--mean-run', 'applies to --backing 4k only');
        if (o.meanRun !== undefined && o.meanRun > 512) throw new InputError('--mean-run', `must be at most 512, got ${o.meanRun}`);
        const outPath = o.out ? checkOut(o.out) : null;
        const { profile, hash } = loadProfile(resolveProfilePath(o.profile, join(process.cwd(), 'replay')));
        const text = readTrace(tracePath);
        const startedAt = new Date().toISOString();
        const replayOpts = {
          kernel: o.kernel,
          parent: o.parent,
          backing: o.backing ?? DEFAULT_BACKING,
          backingGiven: o.backing !== undefined,
          meanRun: o.meanRun,
          iotlbLimit: o.iotlbLimit,
          variant: o.variant,
          prealloc: o.prealloc ?? false,
          whatIfPersist: o.whatIf === 'persist',
          profileName: o.profile,
          profile,
          profileHash: hash,
        };
        // With a real backend the model's replay also records each fd's ops for the real kernel.
        const real = o.backend ? await replayOnReal(text, tracePath, replayOpts, createBackend(o.backend, { accel: o.accel, clock: o.clock, onProgress: (l) => process.stderr.write(`${l}\n`) })) : null;
        const outcome = real?.outcome ?? replayTrace(text, tracePath, replayOpts);
        const summary = summarizeReplay(outcome);
        if (outPath) {
          claimOutputDir(o.out!, '--out', 'replay', isOldReplayDir);
          writeFileAtomic(outPath, `${JSON.stringify(replayResultsFile(outcome, startedAt), null, 1)}\n`);
        }
        const realView = real && { backend: real.backend, kernel: real.kernel, accel: real.accel, clock: real.clock, replays: real.replays };
        process.stdout.write(o.json ? `${JSON.stringify(realView ? { ...summary, real: realView } : summary, null, 1)}\n` : `${replayText(summary)}\n${real ? `\n${realReplayText(real)}\n` : ''}`);
        if (outPath && !o.json) process.stdout.write(`results: ${outPath}\n`);
        return real?.replays.some((r) => r.status !== 'agree') ? 1 : 0;
      }),
    );
}
