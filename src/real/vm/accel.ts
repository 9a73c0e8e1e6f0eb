/**
 * Which accelerator a run uses. `auto` tries KVM once per host kernel: on
 * some hosts /dev/kvm opens and creates VMs yet an unmodified guest kernel
 * stops with "KVM internal error" (the kvm-pvm flavour, STACK.md), so only a
 * real boot proves it. The verdict is cached per host `uname -r`.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { release as hostRelease } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../atomic-file.js';
import { InputError } from '../../errors.js';
import { cacheRoot } from '../cache.js';
import { bootAndRun } from './boot.js';
import { jobArchive } from './job-archive.js';
import type { PreparedKernel } from './prepared.js';
import type { Accel, VmClock } from './qemu.js';

export type AccelChoice = 'auto' | Accel;

/** A KVM boot that works reaches /init in seconds; this is generous. */
const kvmProbeTimeoutMs = 60_000;
const kvmProbeMemMiB = 512;

interface KvmVerdict {
  hostRelease: string;
  works: boolean;
  detail: string;
  checkedAt: string;
}

function verdictPath(): string {
  return join(cacheRoot(), `kvm-verdict-${hostRelease()}.json`);
}

function kvmDeviceUsable(): boolean {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Boots the kernel with no jobs under KVM: it works only if the init reports `done`. */
async function probeKvm(k: PreparedKernel, onProgress?: (line: string) => void): Promise<KvmVerdict> {
  onProgress?.('vm: checking whether KVM boots an unmodified kernel on this host (once per host kernel)');
  const base = { hostRelease: hostRelease(), checkedAt: new Date().toISOString() };
  try {
    const r = await bootAndRun(k, {
      accel: 'kvm',
      memMiB: kvmProbeMemMiB,
      timeoutMs: kvmProbeTimeoutMs,
      jobArchive: jobArchive([], new Uint8Array(0)),
      abortOn: /KVM internal error|kvm run failed|failed to initialize kvm/i,
    });
    return { ...base, works: true, detail: `booted ${r.release} to /init in ${r.bootMs} ms` };
  } catch (e) {
    return { ...base, works: false, detail: (e as Error).message };
  }
}

/** The accelerator a clock allows: icount is TCG's instruction counter, so auto means TCG there, and KVM is refused (exit 2). */
export function accelForClock(choice: AccelChoice, clock: VmClock): AccelChoice {
  if (clock === 'wall') return choice;
  if (choice === 'kvm') throw new InputError('--clock', "icount counts TCG's instructions and cannot run with --accel kvm (give --accel tcg or auto)");
  return 'tcg';
}

export async function chooseAccel(choice: AccelChoice, k: PreparedKernel, onProgress?: (line: string) => void): Promise<Accel> {
  if (choice !== 'auto') return choice;
  if (!kvmDeviceUsable()) return 'tcg';
  const path = verdictPath();
  if (existsSync(path)) {
    try {
      const v = JSON.parse(readFileSync(path, 'utf8')) as KvmVerdict;
      if (v.hostRelease === hostRelease()) return v.works ? 'kvm' : 'tcg';
    } catch {
      // unreadable verdict: probe again
    }
  }
  const v = await probeKvm(k, onProgress);
  writeFileAtomic(path, JSON.stringify(v, null, 2) + '\n');
  onProgress?.(`vm: KVM ${v.works ? 'works' : 'does not work'} here (${v.detail.slice(0, 200)}); using ${v.works ? 'kvm' : 'tcg'}`);
  return v.works ? 'kvm' : 'tcg';
}
