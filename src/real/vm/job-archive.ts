/**
 * Jobs travel to the guest in a second small cpio appended to the cached base
 * initramfs (the kernel unpacks concatenated archives in order), so the base
 * is never rebuilt per run. This file checks the jobs and writes that archive.
 */
import { InputError } from '../../errors.js';
import { writeCpio, type CpioEntry } from '../cpio.js';
import { GUEST_PATHS, JOB_ID_PATTERN } from '../guest-protocol.js';
import type { VmParent } from '../script-plan.js';

export interface VmJob {
  /** Unique per run, [a-z0-9-]+. */
  id: string;
  /** vdpa_sim module parameters, e.g. { use_va: 0, batch_mapping: 1 }. */
  vdpaSim: Record<string, number>;
  /** vhost_vdpa module parameters, e.g. { max_iotlb_entries: 2048 }. */
  vhostVdpa: Record<string, number>;
  /** How many vdpasim_net devices to create: vdpa0..vdpaN-1 -> /dev/vhost-vdpa-0..N-1. */
  devices: number;
  /** Text fed to the probe's stdin. */
  script: string;
  /** Extra probe arguments. */
  probeArgs?: string[];
  /** The parent, when not vdpa_sim: VDUSE devices come from the companion (real/vduse.ts), vp_vdpa's from `parentSetup`. */
  parent?: VmParent;
  /** vduse module parameters, e.g. { max_iotlb_entries: 16 } (VDUSE jobs). */
  vduse?: Record<string, number>;
  /** Virtqueues of each VDUSE device (VDUSE_CREATE_DEV vq_num). */
  vqs?: number;
  /** platform-iommu: its setup, sourced by the init instead of vdpa_sim's (parent.sh: real/platform-iommu.ts). */
  parentSetup?: string;
}

/** More devices than this in one job is surely a mistake (each one is a vdpa_sim instance). */
export const MAX_DEVICES_PER_JOB = 16;

const PARAM_NAME = /^[a-z_][a-z0-9_]*$/;

/** Shape checks; `where` names the field, as every InputError does. */
export function checkJobs(jobs: readonly VmJob[]): void {
  const seen = new Set<string>();
  jobs.forEach((j, i) => {
    const at = `jobs[${i}]`;
    if (typeof j.id !== 'string' || !JOB_ID_PATTERN.test(j.id)) throw new InputError(`${at}.id`, `'${j.id}' must match ${JOB_ID_PATTERN}`);
    if (seen.has(j.id)) throw new InputError(`${at}.id`, `'${j.id}' is used twice`);
    seen.add(j.id);
    if (!Number.isInteger(j.devices) || j.devices < 0 || j.devices > MAX_DEVICES_PER_JOB) {
      throw new InputError(`${at}.devices`, `must be an integer from 0 to ${MAX_DEVICES_PER_JOB}`);
    }
    for (const [field, params] of [
      ['vdpaSim', j.vdpaSim],
      ['vhostVdpa', j.vhostVdpa],
      ['vduse', j.vduse],
    ] as const) {
      for (const [name, value] of Object.entries(params ?? {})) {
        if (!PARAM_NAME.test(name)) throw new InputError(`${at}.${field}`, `'${name}' is not a module parameter name`);
        if (!Number.isSafeInteger(value)) throw new InputError(`${at}.${field}.${name}`, `must be an integer, got ${String(value)}`);
      }
    }
    if (typeof j.script !== 'string') throw new InputError(`${at}.script`, 'must be a string');
    if (j.parent !== undefined && j.parent !== 'vduse' && j.parent !== 'platform-iommu') throw new InputError(`${at}.parent`, `'${String(j.parent)}' is not a parent a job can ask for (vduse, platform-iommu, or none for vdpa_sim)`);
    if (j.parent === 'vduse' && !(Number.isInteger(j.vqs) && j.vqs! >= 1 && j.vqs! <= 0xffff)) throw new InputError(`${at}.vqs`, 'a VDUSE job needs 1 to 65535 virtqueues');
    if ((j.parent === 'platform-iommu') !== (typeof j.parentSetup === 'string')) throw new InputError(`${at}.parentSetup`, 'a platform-iommu job, and only one, has its setup as a string');
    for (const a of j.probeArgs ?? []) {
      if (typeof a !== 'string' || a.includes('\n')) throw new InputError(`${at}.probeArgs`, 'each argument must be a string without newlines');
    }
  });
}

function paramsLine(params: Record<string, number>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** The job archive: /jobs/list, /jobs/probe, /jobs/vduse-dev when given, and /jobs/<id>/{script,args,devices,*.params,parent,vqs}. */
export function jobArchive(jobs: readonly VmJob[], probe: Uint8Array, vduseDev?: Uint8Array): Buffer {
  const root = GUEST_PATHS.jobsDir.replace(/^\//, '');
  const text = (path: string, s: string): CpioEntry => ({ kind: 'file', path, data: Buffer.from(s, 'utf8') });
  const entries: CpioEntry[] = [
    { kind: 'dir', path: root },
    { kind: 'file', path: GUEST_PATHS.probe.replace(/^\//, ''), data: probe, mode: 0o755 },
    text(GUEST_PATHS.jobList.replace(/^\//, ''), jobs.map((j) => j.id).join('\n') + (jobs.length ? '\n' : '')),
  ];
  if (vduseDev) entries.push({ kind: 'file', path: GUEST_PATHS.vduseDev.replace(/^\//, ''), data: vduseDev, mode: 0o755 });
  for (const j of jobs) {
    const d = `${root}/${j.id}`;
    entries.push(
      { kind: 'dir', path: d },
      text(`${d}/script`, j.script),
      text(`${d}/args`, (j.probeArgs ?? []).map((a) => a + '\n').join('')),
      text(`${d}/devices`, `${j.devices}\n`),
      text(`${d}/vdpa_sim.params`, paramsLine(j.vdpaSim ?? {}) + '\n'),
      text(`${d}/vhost_vdpa.params`, paramsLine(j.vhostVdpa ?? {}) + '\n'),
    );
    if (j.parent === 'vduse') entries.push(text(`${d}/parent`, 'vduse\n'), text(`${d}/vduse.params`, paramsLine(j.vduse ?? {}) + '\n'), text(`${d}/vqs`, `${j.vqs}\n`));
    if (j.parent === 'platform-iommu' && j.parentSetup !== undefined) entries.push(text(`${d}/parent`, 'platform-iommu\n'), text(`${d}/parent.sh`, j.parentSetup));
  }
  return writeCpio(entries);
}
