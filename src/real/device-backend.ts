/**
 * `--backend device:PATH`: a real vhost-vdpa device on this host (mlx5,
 * vdpa_sim, anything), driven by the probe as this process's child. The
 * device is used as it is: module parameters cannot be set from a script.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { release } from 'node:os';
import { InputError } from '../errors.js';
import { parseProbeOutput, RealBackendError } from './probe-answers.js';
import { requireProbe } from './probe-path.js';
import type { BackendAnswer, ScriptSource } from './model-run.js';
import type { ScriptPlan } from './script-plan.js';
import { hugetlbNeedOf, refuseHostHugetlb } from './hugetlb-pool.js';

/** Linux dev_t as Node reports it (new_encode_dev): 12 bits of major above 8 of minor. */
function majorMinor(rdev: number): string {
  const major = ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
  const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
  return `${major}:${minor}`;
}

/** Refuses, with one line, a path that is not a vhost-vdpa character device. */
export function checkVhostVdpaDevice(path: string, sysRoot = '/sys'): void {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new InputError('--backend', `${path}: ${(e as NodeJS.ErrnoException).code ?? 'cannot stat'} (a vhost-vdpa device is /dev/vhost-vdpa-N)`);
  }
  if (!st.isCharacterDevice()) throw new InputError('--backend', `${path} is not a character device (a vhost-vdpa device is /dev/vhost-vdpa-N)`);
  const subsystem = `${sysRoot}/dev/char/${majorMinor(st.rdev)}/subsystem`;
  const cls = existsSync(subsystem) ? realpathSync(subsystem).split('/').pop() : undefined;
  if (cls !== 'vhost-vdpa') throw new InputError('--backend', `${path} is a ${cls ?? 'character'} device, not vhost-vdpa (see /sys/class/vhost-vdpa/)`);
}

export interface DeviceRun {
  release: string;
  answers: BackendAnswer[];
}

export function runOnDevice(path: string, script: ScriptSource, plan: ScriptPlan, probe = requireProbe()): DeviceRun {
  if (plan.devices.length > 1) throw new InputError(`${script.name}: device`, `the device backend drives one device, the script opens ${plan.devices.length} (${plan.devices.join(', ')})`);
  // The probe maps on this host: a hugetlb mmap its pools cannot hold would answer ENOMEM, which is not the kernel's answer.
  refuseHostHugetlb(`${script.name}: mmap`, hugetlbNeedOf(script.text));
  const args = plan.devices.map((d) => ['--device', `${d}=${path}`]).flat();
  const r = spawnSync(probe, args, { input: script.text, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw new RealBackendError(`the probe did not run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}): ${probe}`);
  if (r.status !== 0) throw new RealBackendError(`${script.name}: the probe exited with ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  return { release: release(), answers: parseProbeOutput(r.stdout, script.name) };
}
