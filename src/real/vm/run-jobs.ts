/**
 * `runJobsInVm`: one QEMU boot of a prepared kernel runs every job in order.
 * Parameters a module does not have are caught here, before the boot, from
 * the module's own .modinfo (the kernel would only log and ignore them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VdpaLabError } from '../../errors.js';
import { requireTools } from '../host-tools.js';
import { accelForClock, chooseAccel, type AccelChoice } from './accel.js';
import type { VmClock } from './qemu.js';
import { bootAndRun } from './boot.js';
import type { VmJobResult } from './frames.js';
import { checkJobs, jobArchive, type VmJob } from './job-archive.js';
import { readPreparedKernel, type PreparedKernel } from './prepared.js';
import { requireVduseCompanion } from '../vduse.js';

export interface VmRun {
  /** The guest's `uname -r`. */
  release: string;
  accel: 'kvm' | 'tcg';
  /** The guest's clock the probe timed with (qemu.ts). */
  clock: VmClock;
  /** QEMU start to the init's first line. */
  bootMs: number;
  /** QEMU start to QEMU exit. */
  wallMs: number;
  jobs: VmJobResult[];
}

export interface VmRunOptions {
  accel?: AccelChoice;
  /** The guest's clock: wall (default) or icount (TCG's instruction counter; qemu.ts). */
  clock?: VmClock;
  memMiB?: number;
  /** More kernel command line, e.g. the huge pages to reserve (hugetlb-pool.ts). */
  kernelArgs?: string;
  /** More QEMU arguments, e.g. the platform-IOMMU parent's machine and devices (platform-iommu.ts). */
  qemuArgs?: readonly string[];
  timeoutMs?: number;
  probePath?: string;
  onProgress?: (line: string) => void;
}

/** Guest RAM when the caller does not size it. */
export const defaultMemMiB = 2048;
/** A TCG boot takes tens of seconds and per-page kernel work is 10-50x native: be generous (per boot and per job: boot.ts). */
export const defaultTimeoutMs = 15 * 60_000;
/**
 * Counting instructions slows TCG down: the same four 1 GiB cells took 119
 * and 131 s of wall time under icount against 39 and 55 s without, on the
 * same loaded host (docs/calibration.md, "The guest clock").
 */
export const ICOUNT_SLOWDOWN = 3;

/** dist/src/real/vm/run-jobs.js -> dist/native/vdpa-probe. */
export function defaultVmProbePath(): string {
  return fileURLToPath(new URL('../../../native/vdpa-probe', import.meta.url));
}

const moduleOfField = { vdpaSim: 'vdpa_sim', vhostVdpa: 'vhost_vdpa', vduse: 'vduse' } as const;

/** The setup error for a job asking for a parameter its kernel's module lacks, else null. */
export function unknownParamError(job: VmJob, k: PreparedKernel): string | null {
  for (const field of ['vdpaSim', 'vhostVdpa', 'vduse'] as const) {
    const module = moduleOfField[field];
    const has = k.moduleParams[module] ?? [];
    for (const name of Object.keys(job[field] ?? {})) {
      if (!has.includes(name)) {
        return `${module} in ${k.release} has no parameter '${name}' (it has: ${has.join(', ') || 'none'})`;
      }
    }
  }
  return null;
}

export async function runJobsInVm(alias: string, jobs: VmJob[], opts: VmRunOptions = {}): Promise<VmRun> {
  checkJobs(jobs);
  const k = readPreparedKernel(alias);
  requireTools(['qemu-system-x86_64']);
  const probePath = opts.probePath ?? defaultVmProbePath();
  if (!existsSync(probePath)) throw new VdpaLabError(`the probe ${probePath} does not exist: build it with npm run build`);
  const probe = readFileSync(probePath);
  const vduseDev = jobs.some((j) => j.parent === 'vduse') ? readFileSync(requireVduseCompanion(k)) : undefined;

  // Jobs refused before the boot keep their place in the results.
  const refused = new Map<string, VmJobResult>();
  for (const j of jobs) {
    const err = unknownParamError(j, k);
    if (err) refused.set(j.id, { id: j.id, exitCode: -1, stdout: '', stderr: '', setupError: err });
  }
  const runnable = jobs.filter((j) => !refused.has(j.id));
  const clock = opts.clock ?? 'wall';
  const accel = await chooseAccel(accelForClock(opts.accel ?? 'auto', clock), k, opts.onProgress);
  const r = await bootAndRun(k, {
    accel,
    clock,
    memMiB: opts.memMiB ?? defaultMemMiB,
    timeoutMs: opts.timeoutMs ?? defaultTimeoutMs * (clock === 'icount' ? ICOUNT_SLOWDOWN : 1),
    jobArchive: jobArchive(runnable, probe, vduseDev),
    kernelArgs: opts.kernelArgs,
    qemuArgs: opts.qemuArgs,
    onProgress: opts.onProgress,
  });
  const ran = new Map(r.jobs.map((j) => [j.id, j]));
  const results = jobs.map(
    (j) => refused.get(j.id) ?? ran.get(j.id) ?? { id: j.id, exitCode: -1, stdout: '', stderr: '', setupError: 'the guest finished without running this job' },
  );
  return { release: r.release, accel, clock, bootMs: r.bootMs, wallMs: r.wallMs, jobs: results };
}
