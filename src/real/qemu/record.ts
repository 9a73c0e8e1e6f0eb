/**
 * `recordQemu`: one boot of a prepared kernel with vdpa_sim (use_va=0, one
 * vdpasim_net device), in which the prepared QEMU release runs the inner guest
 * on /dev/vhost-vdpa-0 with `-trace 'vhost_vdpa_*'`. The VM's job machinery
 * (vm/boot.ts, vm/job-archive.ts) carries the record script as the job's
 * program; QEMU, its libraries and the inner guest travel in a second cpio
 * appended to the job archive.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeCpio, type CpioEntry } from '../cpio.js';
import { chooseAccel } from '../vm/accel.js';
import { bootAndRun, VmFailedError } from '../vm/boot.js';
import { jobArchive, type VmJob } from '../vm/job-archive.js';
import type { PreparedKernel } from '../vm/prepared.js';
import { completed, parseGuestLog, type GuestStamp } from './guest-timeline.js';
import type { InnerGuest } from './inner-guest.js';
import type { PreparedQemu } from './qemu-manifest.js';
import { innerCommandLine, parseRecordOutput, recordScript, VM_PATHS, type RecordBacking } from './record-script.js';
import { refusedWrites } from './refused-writes.js';
import { resolveQemuRelease } from './releases.js';

export interface RecordOptions {
  qemu: PreparedQemu;
  kernel: PreparedKernel;
  inner: InnerGuest;
  ramMiB: number;
  backing: RecordBacking;
  resets: number;
  svq: boolean;
  /** The kernel VM's RAM (vmMemMiB). */
  vmMiB: number;
  onProgress?: (line: string) => void;
}

export interface Recording {
  traceText: string;
  consoleText: string;
  qemuStderr: string;
  /** QEMU's stderr lines saying the kernel refused an IOTLB message the trace shows as sent (refused-writes.ts). */
  refusedWrites: string[];
  /** The kernel VM's dmesg after QEMU exited (vhost-vdpa and vdpa_sim complaints land there). */
  vmDmesg: string;
  /** The inner QEMU's exit status (137: killed at the deadline); null when the script never got there. */
  qemuExit: number | null;
  stamps: GuestStamp[];
  /** True when the guest reached poweroff without a failed step and QEMU exited 0. */
  complete: boolean;
  innerCommand: string;
  deadlineS: number;
  vm: { release: string; accel: 'kvm' | 'tcg'; bootMs: number; wallMs: number; memMiB: number; kernelArgs: string };
  /** The job's own trouble (setup error, non-zero exit), if any. */
  jobProblem: string | null;
}

/**
 * The inner guest's deadline: its boot to /init took 160 s here on a loaded
 * host (nested TCG) and 5 min in the shipped 7.2 trace's run; each reset up to
 * a few minutes with its waits (inner-init.ts).
 */
export function innerDeadlineS(resets: number): number {
  return 1500 + 300 * resets;
}

/**
 * QEMU's own word that vhost never started: virtio_net_vhost_status prints
 * "unable to start vhost net: N: falling back on userspace virtio" when
 * vhost_net_start fails (after the failing op's "vhost_... failed" line from
 * VHOST_OPS_DEBUG). The guest then runs on QEMU's userspace virtio-net: its
 * link comes up and its TX even completes, but no map reaches vhost-vdpa.
 * Those lines, or null.
 */
export function vhostFallback(qemuStderr: string): string | null {
  const lines = qemuStderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const at = lines.findIndex((l) => /unable to start vhost net/.test(l));
  if (at < 0) return null;
  return lines.slice(Math.max(0, at - 1), at + 1).join(' | ');
}

/** Room the VM needs beside the inner guest's RAM: its kernel, the unpacked archive, QEMU itself. */
export function vmMemMiB(ramMiB: number, archiveBytes: number): number {
  return ramMiB + 1024 + 2 * Math.ceil(archiveBytes / 2 ** 20);
}

function treeEntries(root: string, into: string): CpioEntry[] {
  const out: CpioEntry[] = [{ kind: 'dir', path: into }];
  for (const name of readdirSync(root).sort()) {
    const p = join(root, name);
    if (name === 'manifest.json') continue;
    if (statSync(p).isDirectory()) out.push(...treeEntries(p, `${into}/${name}`));
    else out.push({ kind: 'file', path: `${into}/${name}`, data: readFileSync(p), mode: 0o755 });
  }
  return out;
}

/** QEMU and the inner guest, as the second archive. */
export function payloadArchive(qemu: PreparedQemu, inner: InnerGuest): Buffer {
  return writeCpio([
    ...treeEntries(qemu.dir, VM_PATHS.qemu.slice(1)),
    { kind: 'dir', path: VM_PATHS.inner.slice(1) },
    { kind: 'file', path: `${VM_PATHS.inner.slice(1)}/vmlinuz`, data: readFileSync(inner.vmlinuz) },
    { kind: 'file', path: `${VM_PATHS.inner.slice(1)}/inner.cpio`, data: readFileSync(inner.initrd) },
  ]);
}

export async function recordQemu(o: RecordOptions, payload: Buffer): Promise<Recording> {
  const deadlineS = innerDeadlineS(o.resets);
  const queueSizes = resolveQemuRelease(o.qemu.manifest.alias).guestQueueSizes;
  const spec = { ramMiB: o.ramMiB, backing: o.backing, resets: o.resets, svq: o.svq, queueSizes, deadlineS, layout: o.qemu.manifest.layout };
  const job: VmJob = { id: 'qemu-record', vdpaSim: { use_va: 0 }, vhostVdpa: {}, devices: 1, script: '' };
  const kernelArgs = [
    o.backing === 'hugetlb-2m' ? `hugepagesz=2M hugepages=${Math.ceil(o.ramMiB / 2)}` : '',
    `transparent_hugepage=${o.backing === 'thp' ? 'always' : 'never'}`,
  ].filter(Boolean).join(' ');
  const accel = await chooseAccel('auto', o.kernel, o.onProgress);
  o.onProgress?.(`vm: ${o.kernel.release} (${accel}, ${o.vmMiB} MiB) runs QEMU ${o.qemu.manifest.version} with a ${o.ramMiB} MiB ${o.backing} inner guest, ${o.resets} reset(s)${o.svq ? ', x-svq=on' : ''}; deadline ${deadlineS} s`);
  const boot = () =>
    bootAndRun(o.kernel, {
      accel,
      memMiB: o.vmMiB,
      // The VM outlives the inner deadline by its own boot and the output's way back.
      timeoutMs: (deadlineS + 600) * 1000,
      jobArchive: Buffer.concat([jobArchive([job], Buffer.from(recordScript(spec))), payload]),
      kernelArgs,
      onProgress: o.onProgress,
    });
  let r;
  try {
    r = await boot();
  } catch (e) {
    // A TCG boot on a loaded host can panic before /init (the IO-APIC timer check): one fresh boot.
    if (!(e instanceof VmFailedError) || e.finished.length > 0 || e.running !== null || !/never reached \/init/.test(e.message)) throw e;
    o.onProgress?.(`vm: the VM died before /init (${e.message.slice(0, 160)}); booting again once`);
    r = await boot();
  }
  const j = r.jobs.find((x) => x.id === job.id);
  const out = parseRecordOutput(j?.stdout ?? '');
  const consoleText = out.files.get('console.log') ?? '';
  const stamps = parseGuestLog(consoleText);
  const jobProblem = !j ? 'the VM finished without running the record job' : j.setupError ? `setup: ${j.setupError}` : j.exitCode !== 0 ? `the record script exited ${j.exitCode}: ${j.stderr.trim().split('\n').pop() ?? ''}` : null;
  const qemuStderr = out.files.get('qemu.err') ?? '';
  return {
    traceText: out.files.get('trace.log') ?? '',
    consoleText,
    qemuStderr,
    refusedWrites: refusedWrites(qemuStderr),
    vmDmesg: out.files.get('dmesg.log') ?? '',
    qemuExit: out.exit,
    stamps,
    complete: !jobProblem && out.exit === 0 && completed(stamps),
    innerCommand: innerCommandLine(spec),
    deadlineS,
    vm: { release: r.release, accel, bootMs: r.bootMs, wallMs: r.wallMs, memMiB: o.vmMiB, kernelArgs },
    jobProblem,
  };
}
