/** `vdpa-lab qemu prepare | list | record`: Debian's real QEMU releases, run inside the kernel VM on vdpa_sim (`qemu check` is qemu-command.ts). */
import { Option, type Command } from 'commander';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { InputError, VdpaLabError } from '../errors.js';
import { checkOwnDir, claimOutputDir } from '../output-path.js';
import { KernelNotPreparedError, readPreparedKernel, resolveKernel } from '../real/index.js';
import {
  guestLogText, lastStep, payloadArchive, prepareInnerGuest, prepareQemu, preparedQemus, qemuCacheRoot, QEMU_RELEASES, qemuReleaseList, readInnerGuest,
  readPreparedQemu, recordQemu, removeStaleQemuTemps, resolveQemuRelease, vhostFallback, vmMemMiB, RECORD_BACKINGS, type QemuRelease, type RecordBacking,
} from '../real/qemu/index.js';
import { textTable } from '../text-format.js';
import { parseSize } from '../workload/index.js';
import { positiveInt } from './parse-options.js';
import { recordResults, recordText, replayRecording, type RecordFacts } from './qemu-record-results.js';
import { action } from './run-action.js';
import { writeStreamCheck } from './stream-check-site.js';

/** Smallest inner guest that boots Debian's kernel with its initramfs. */
const MIN_RAM_MIB = 128;
/** At most this share of the host's memory goes to the kernel VM (as vm-backend.ts). */
const HOST_SHARE = 0.75;
const MAX_RESETS = 50;

function ramMiB(text: string): number {
  const b = parseSize(text);
  if (typeof b === 'string') throw new InputError('--ram', b);
  if (b % 2n ** 20n !== 0n) throw new InputError('--ram', `must be a whole number of MiB, got '${text}'`);
  const mib = Number(b >> 20n);
  if (mib < MIN_RAM_MIB) throw new InputError('--ram', `the inner guest needs at least ${MIN_RAM_MIB} MiB to boot, got '${text}'`);
  return mib;
}

function oneOf<T extends string>(flag: string, allowed: readonly T[]) {
  return (text: string): T => {
    if (!allowed.includes(text as T)) throw new InputError(flag, `unknown value '${text}' (choose from ${allowed.join(', ')})`);
    return text as T;
  };
}

const say = (quiet?: boolean) => (quiet ? () => {} : (line: string) => process.stderr.write(`${line}\n`));

interface RecordFlags {
  qemu: string;
  kernel: string;
  ram: number;
  backing: RecordBacking;
  resets: number;
  svq?: boolean;
  out: string;
  json?: boolean;
  quiet?: boolean;
}

async function record(o: RecordFlags): Promise<number> {
  // Bad input first, nothing created: the release, the kernel, the size, the directory.
  resolveQemuRelease(o.qemu);
  const kAlias = resolveKernel(o.kernel, '--kernel').alias;
  if (o.resets > MAX_RESETS) throw new InputError('--resets', `must be at most ${MAX_RESETS}, got ${o.resets}`);
  const hostMiB = Math.floor(totalmem() / 2 ** 20);
  const tooBig = (vmMiB: number) => {
    if (vmMiB > hostMiB * HOST_SHARE) throw new InputError('--ram', `a ${o.ram} MiB guest needs a ${vmMiB} MiB kernel VM around it: more than ${Math.round(HOST_SHARE * 100)}% of this host's ${hostMiB} MiB`);
  };
  tooBig(vmMemMiB(o.ram, 0));
  const outDir = checkOwnDir(o.out, '--out', 'qemu record').path;
  let qemu;
  try {
    qemu = readPreparedQemu(o.qemu);
  } catch (e) {
    throw new InputError('--qemu', (e as Error).message);
  }
  let kernel;
  try {
    kernel = readPreparedKernel(kAlias);
  } catch (e) {
    if (e instanceof KernelNotPreparedError) throw new InputError('--kernel', e.message);
    throw e;
  }
  const inner = readInnerGuest();
  if (!inner) throw new InputError('--qemu', `the inner guest (kernel and busybox initramfs) is not prepared: run 'vdpa-lab qemu prepare --qemu ${qemu.manifest.alias}'`);
  const payload = payloadArchive(qemu, inner);
  const vmMiB = vmMemMiB(o.ram, payload.length);
  tooBig(vmMiB);
  const facts: RecordFacts = {
    command: `vdpa-lab qemu record --qemu ${o.qemu} --kernel ${o.kernel} --ram ${o.ram}MiB --backing ${o.backing} --resets ${o.resets}${o.svq ? ' --svq' : ''}`,
    qemu: { release: qemu.manifest.alias, version: qemu.manifest.version, versionLine: qemu.manifest.versionLine, packageVersion: qemu.manifest.packageVersion, suite: qemu.manifest.suite },
    kernel: { alias: kernel.alias, release: kernel.release, generation: resolveKernel(kAlias).generation },
    innerKernel: inner.release,
    ramMiB: o.ram,
    backing: o.backing,
    resets: o.resets,
    svq: Boolean(o.svq),
  };
  const progress = say(o.quiet);
  progress('qemu record: nested TCG (QEMU under TCG inside a TCG VM) is slow: expect several minutes per reset and more for the inner boot');
  const rec = await recordQemu({ qemu, kernel, inner, ramMiB: o.ram, backing: o.backing, resets: o.resets, svq: facts.svq, vmMiB, onProgress: progress }, payload);

  const dir = claimOutputDir(outDir, '--out', 'qemu record');
  writeFileAtomic(join(dir, 'trace.log'), rec.traceText);
  writeFileAtomic(join(dir, 'guest.log'), guestLogText(rec.stamps));
  writeFileAtomic(join(dir, 'inner-console.log'), rec.consoleText);
  writeFileAtomic(join(dir, 'vm-dmesg.log'), rec.vmDmesg);
  writeFileAtomic(join(dir, 'qemu-stderr.log'), rec.qemuStderr);
  if (!rec.complete) {
    const why = rec.jobProblem ?? (rec.qemuExit === 137 ? `QEMU was killed at the ${rec.deadlineS} s deadline` : `QEMU exited ${rec.qemuExit ?? '(never ran)'}${rec.qemuStderr.trim() ? `: ${rec.qemuStderr.trim().split('\n').slice(-2).join(' | ')}` : ''}`);
    throw new VdpaLabError(`the inner guest did not finish: ${why}; last step reached: ${lastStep(rec.stamps)}; partial trace kept in ${join(dir, 'trace.log')} (${rec.traceText.split('\n').filter(Boolean).length} lines)`);
  }
  if (rec.refusedWrites.length) {
    // The trace shows every message as sent, refused or not: its replay would hold and pin what the kernel did not.
    throw new VdpaLabError(`recorded, but the real kernel refused ${rec.refusedWrites.length} of QEMU's IOTLB writes (qemu-stderr.log: ${rec.refusedWrites[0].trim()}): the trace shows them as sent, so it is no basis for the model; the recording is in ${dir}`);
  }
  // The guest finishes on QEMU's userspace virtio when vhost never started: a trace with nothing to replay.
  const fallback = vhostFallback(rec.qemuStderr);
  if (fallback) throw new VdpaLabError(`QEMU never started vhost-vdpa (the inner guest ran on userspace virtio): ${fallback}; the recording is in ${dir}`);
  let modeled;
  try {
    modeled = replayRecording(rec.traceText, join(dir, 'trace.log'), facts);
  } catch (e) {
    // The recording stands; the model's trace reader refusing it is a finding (exit 1), not bad input.
    throw new VdpaLabError(`recorded, but the model's replay refused the trace (a finding for the model): ${(e as Error).message}; the recording is in ${dir}`);
  }
  const results = recordResults(rec, facts, modeled);
  writeFileAtomic(join(dir, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
  const check = writeStreamCheck(dir, rec.traceText, { qemuVersion: facts.qemu.version, qemuRelease: facts.qemu.release, svq: facts.svq, kernelRelease: kernel.release, ramMiB: o.ram, backing: o.backing, resets: o.resets });
  process.stdout.write(o.json ? `${JSON.stringify({ dir, facts, vm: results.vm, real: results.real }, null, 1)}\n` : `${recordText(results, dir)}\n`);
  return check;
}

/** Adds prepare, list and record to the `qemu` group (registerQemu makes it). */
export function registerQemuRecord(qemu: Command): void {
  const releases = QEMU_RELEASES.map((r) => r.alias).join(',');

  qemu
    .command('prepare')
    .description("fetch Debian's qemu-system-x86 of each release with its shared libraries and loader (the lab's own apt configuration), plus the inner guest")
    .addOption(new Option('--qemu <list>', `releases (${QEMU_RELEASES.map((r) => `${r.alias}: Debian ${r.suite}`).join(', ')})`).argParser((t: string) => qemuReleaseList(t)).default([...QEMU_RELEASES], releases))
    .option('--force', 'prepare again even when a complete cache entry exists')
    .option('--json', 'print one JSON object per release on stdout: {release, version, dir, reused, manifest}')
    .option('--quiet', 'no progress on stderr')
    .addHelpText('after', `
Each release comes from its suite's package lists, fetched into the cache's apt/<suite>
(never the system's sources), and lands in <cache>/qemu/<version>/ named by what the
binary's --version answers, run here through the suite's own loader. The inner guest
(Debian 6.12's vmlinuz, virtio_net and busybox-static) is prepared once beside them.
Needs apt-get, dpkg-deb and tar.

Examples:
  vdpa-lab qemu prepare
  vdpa-lab qemu prepare --qemu 10.0,11.1 --json`)
    .action(
      action(async (o: { qemu: QemuRelease[]; force?: boolean; json?: boolean; quiet?: boolean }) => {
        const progress = say(o.quiet);
        removeStaleQemuTemps();
        const g = await prepareInnerGuest({ force: o.force, say: progress });
        if (!g.reused) progress(`[inner guest] ${g.guest.release}: prepared in ${(g.ms / 1000).toFixed(1)} s -> ${g.guest.dir}`);
        for (const r of o.qemu) {
          const p = await prepareQemu(r, { force: o.force, say: progress });
          if (o.json) process.stdout.write(`${JSON.stringify({ release: r.alias, version: p.manifest.version, dir: p.dir, reused: p.reused, manifest: p.manifest })}\n`);
          else process.stdout.write(`${r.alias}: QEMU ${p.manifest.version} (${p.manifest.packageVersion}, Debian ${r.suite}) ${p.reused ? 'already prepared' : `prepared in ${(p.manifest.timingsMs.total / 1000).toFixed(1)} s`} (${p.dir})\n`);
        }
      }),
    );

  qemu
    .command('list')
    .description('prepared QEMU releases in the cache: release, version, package, disk used')
    .option('--json', 'print {cacheDir, qemus: [{release, version, suite, packageVersion, dir, bytesOnDisk}]}')
    .action(
      action((o: { json?: boolean }) => {
        const qs = preparedQemus().map((q) => ({ release: q.manifest.alias, version: q.manifest.version, suite: q.manifest.suite, packageVersion: q.manifest.packageVersion, dir: q.dir, bytesOnDisk: q.manifest.bytesOnDisk }));
        if (o.json) return void process.stdout.write(`${JSON.stringify({ cacheDir: qemuCacheRoot(), innerGuest: readInnerGuest()?.dir ?? null, qemus: qs }, null, 2)}\n`);
        process.stdout.write(`cache: ${qemuCacheRoot()} (inner guest: ${readInnerGuest() ? 'prepared' : 'not prepared'})\n`);
        process.stdout.write(`${textTable(['release', 'version', 'suite', 'package', 'disk'], qs.map((q) => [q.release, q.version, q.suite, q.packageVersion, `${(q.bytesOnDisk / 2 ** 20).toFixed(1)} MiB`]))}\n`);
      }),
    );

  qemu
    .command('record')
    .description("run a prepared QEMU inside the kernel VM on vdpa_sim (use_va=0) with -trace 'vhost_vdpa_*': an inner guest resets its NIC N times; writes trace.log, guest.log, results.json, stream-check")
    .requiredOption('--qemu <version>', `a prepared release (${releases}) or its full version`)
    .option('--kernel <kernel>', 'the prepared kernel the VM boots (see kernels prepare)', '6.12')
    .option('--ram <size>', "the inner guest's RAM", ramMiB, 512)
    .option('--backing <backing>', `backing of the inner guest's RAM in the VM (${RECORD_BACKINGS.join(', ')})`, oneOf('--backing', RECORD_BACKINGS), 'thp')
    .option('--resets <n>', 'driver unbind/bind cycles in the inner guest', positiveInt('--resets'), 3)
    .option('--svq', 'x-svq=on: QEMU shadows the virtqueues')
    .option('-o, --out <dir>', 'output directory', 'reports/qemu-record')
    .option('--json', 'print {dir, facts, vm, real} as JSON instead of the text')
    .option('--quiet', 'no progress on stderr')
    .addHelpText('after', `
Nested TCG is slow: the inner guest runs under TCG inside a TCG VM, so a recording takes
minutes (about 5 for the inner boot, up to a minute per reset here), and every time it
reports is TCG time. QEMU runs with RLIMIT_MEMLOCK raised (vhost-vdpa pins its maps).
Exit codes: 0 recorded, 1 the VM or the inner guest failed (the message names the last
step reached; a partial trace.log is kept), or the kernel refused an IOTLB write (QEMU's
stderr says so; the trace shows it as sent), 2 bad input.

Examples:
  vdpa-lab qemu record --qemu 7.2 --resets 1 --ram 256MiB --out reports/qemu-7.2
  vdpa-lab qemu record --qemu 11.1 --svq --out reports/qemu-11.1-svq`)
    .action(action((o: RecordFlags) => record(o)));
}
