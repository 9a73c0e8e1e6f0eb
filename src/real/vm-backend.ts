/**
 * `--backend vm:KERNEL`: scripts as jobs in one boot of a prepared Debian
 * kernel. Each script gets vdpa_sim loaded with the parameters its open
 * lines ask for, one vdpasim_net device per device it opens, and the probe.
 */
import { totalmem } from 'node:os';
import { InputError } from '../errors.js';
import { DEFAULT_MAX_IOTLB_ENTRIES, DEFAULT_NVQS, resolveKernel as modelKernel } from '../kernel/index.js';
import { MIN_PARENT_IOTLB_ENTRIES } from '../kernel/parent-limits.js';
import type { BackendOptions, KernelFacts, ScriptRun } from '../backends/backend.js';
import { resolveKernel } from './kernels.js';
import { HUGETLB_BACKINGS, hugetlbNeedOf, maxNeed, needMiB, reserveArgs } from './hugetlb-pool.js';
import { parseProbeOutput } from './probe-answers.js';
import { requireProbe } from './probe-path.js';
import type { ScriptSource } from './model-run.js';
import type { ScriptPlan } from './script-plan.js';
import { platformIommuSetup, platformIommuVm } from './platform-iommu.js';
import { KernelNotPreparedError, readPreparedKernel, runJobsInVm, type PreparedKernel, type VmJob } from './vm/index.js';
import { runJobsResilient } from './vm/resilient.js';

export function realKernelFacts(name: string): KernelFacts {
  const k = resolveKernel(name, '--backend');
  let prepared: PreparedKernel;
  try {
    prepared = readPreparedKernel(k.alias);
  } catch (e) {
    if (!(e instanceof KernelNotPreparedError)) throw e;
    // Not prepared yet: the version table's word on the same Debian build (which the prepared
    // modules' parameters confirm), so every script is validated, and a guest this host cannot
    // hold refused, before runScriptsInVm reports the missing kernel.
    const b = modelKernel(k.release);
    return { release: k.release, generation: k.generation, vaDefault: b.vdpaSimUseVa, ...(b.defaultIotlbLimit === undefined ? {} : { iotlbLimit: b.defaultIotlbLimit }) };
  }
  const has = (module: string, param: string) => prepared.moduleParams[module]?.includes(param) ?? false;
  return {
    release: k.release,
    generation: k.generation,
    vaDefault: has('vdpa_sim', 'use_va'),
    ...(has('vhost_vdpa', 'max_iotlb_entries') ? { iotlbLimit: DEFAULT_MAX_IOTLB_ENTRIES } : {}),
  };
}

/** Room for the guest kernel and busybox beside the scripts' own mappings (TCG allocates lazily). */
const VM_BASE_MIB = 1024;
const VM_MIN_MIB = 2048;
/** At most this share of the host's memory goes to the VM. */
const HOST_SHARE = 0.75;

function jobOf(index: number, script: ScriptSource, plan: ScriptPlan, facts: KernelFacts): VmJob {
  const limit = plan.params.iotlbLimit;
  const probeArgs = plan.devices.flatMap((d, k) => ['--device', `${d}=/dev/vhost-vdpa-${k}`]);
  if (plan.parent === 'platform-iommu') {
    // vp_vdpa has no parameters: only vhost_vdpa's entry limit, and the setup that binds the devices.
    const vhostVdpa: Record<string, number> = limit === undefined ? {} : { max_iotlb_entries: limit };
    return { id: `script-${index}`, vdpaSim: {}, vhostVdpa, devices: Math.max(1, plan.devices.length), script: script.text, probeArgs, parent: 'platform-iommu', parentSetup: platformIommuSetup() };
  }
  const vdpaSim: Record<string, number> = { batch_mapping: plan.params.variant === 'set_map' ? 1 : 0 };
  if (facts.vaDefault || plan.params.useVa) vdpaSim.use_va = plan.params.useVa ? 1 : 0;
  const vhostVdpa: Record<string, number> = {};
  if (limit !== undefined) {
    vdpaSim.max_iotlb_entries = limit;
    vhostVdpa.max_iotlb_entries = limit;
  }
  // vdpa_sim's own parameter, when the script sets it apart (kernel/parent-limits.ts).
  if (plan.params.parentIotlbLimit !== undefined) vdpaSim.max_iotlb_entries = plan.params.parentIotlbLimit;
  const devices = Math.max(1, plan.devices.length);
  // Device names of the script -> the VM's /dev/vhost-vdpa-K, in the order the script opens them.
  if (plan.parent === 'vduse') {
    // vdpa_sim stays loaded as for every job (with its defaults); the limits go to vduse's domain instead.
    const vduse: Record<string, number> = {};
    // As the model reads it (parent-limits.ts): the script's iotlbLimit only where a parent could take it.
    const own = plan.params.parentIotlbLimit ?? (limit !== undefined && limit >= MIN_PARENT_IOTLB_ENTRIES ? limit : undefined);
    if (own !== undefined) vduse.max_iotlb_entries = own;
    return { id: `script-${index}`, vdpaSim: {}, vhostVdpa, devices, script: script.text, probeArgs, parent: 'vduse', vduse, vqs: plan.vqs ?? DEFAULT_NVQS.vduse };
  }
  return { id: `script-${index}`, vdpaSim, vhostVdpa, devices, script: script.text, probeArgs };
}

export async function runScriptsInVm(
  kernel: string,
  scripts: ScriptSource[],
  plans: ScriptPlan[],
  opts: BackendOptions,
): Promise<{ release: string; accel: 'kvm' | 'tcg'; clock: 'wall' | 'icount'; scripts: ScriptRun[] }> {
  // Huge pages come from pools the guest kernel reserves at boot for the biggest script of each size;
  // they are memory of their own, beside what the other mappings take.
  const needs = scripts.map((s) => hugetlbNeedOf(s.text));
  const huge = maxNeed(needs);
  const hugeMiB = needMiB(huge);
  const plainMiB = plans.map((p, i) => Math.max(0, Number(p.mmapBytes >> 20n) - needMiB(needs[i])));
  const needMiBs = Math.max(...plainMiB, 0);
  // The VM's RAM comes out of this host's: refuse a guest it cannot hold before booting.
  const hostMiB = Math.floor(totalmem() / 2 ** 20);
  for (const b of HUGETLB_BACKINGS) {
    if (huge[b] && needMiB({ ...huge, [b === 'hugetlb-2m' ? 'hugetlb-1g' : 'hugetlb-2m']: 0 }) + VM_BASE_MIB > hostMiB * HOST_SHARE) {
      const i = needs.findIndex((n) => n[b] === huge[b]);
      throw new InputError(`${scripts[i].name}: mmap: backing ${b}`, `maps ${huge[b]} huge pages, and a VM reserving them needs more than ${Math.round(HOST_SHARE * 100)}% of this host's ${hostMiB} MiB`);
    }
  }
  const biggest = plainMiB.indexOf(needMiBs);
  if (needMiBs + hugeMiB + VM_BASE_MIB > hostMiB * HOST_SHARE) {
    throw new InputError(`${scripts[Math.max(0, biggest)].name}: mmap`, `maps ${needMiBs} MiB${hugeMiB ? ` beside ${hugeMiB} MiB of reserved huge pages` : ''}, and a VM holding it needs ${needMiBs + hugeMiB + VM_BASE_MIB} MiB: more than ${Math.round(HOST_SHARE * 100)}% of this host's ${hostMiB} MiB`);
  }
  // Only then what this host lacks (exit 1): the prepared kernel, the probe.
  readPreparedKernel(kernel);
  const facts = realKernelFacts(kernel);
  // The platform-IOMMU parent: vp_vdpa devices behind an emulated IOMMU, one per device the biggest such script opens.
  // (Whether the prepared kernel has vp_vdpa was asked before planning: backends/vm-parents.ts.)
  const iommuDevices = Math.max(0, ...plans.map((p) => (p.parent === 'platform-iommu' ? Math.max(1, p.devices.length) : 0)));
  const iommu = iommuDevices > 0 ? platformIommuVm(iommuDevices) : undefined;
  const probePath = requireProbe();
  const jobs = scripts.map((s, i) => jobOf(i, s, plans[i], facts));
  const vmOptions = {
    accel: opts.accel,
    clock: opts.clock,
    // Headroom of the guest's size again where the host allows it: in a VM short of free memory
    // a 4k guest's pages come back fragmented (more entries, more work per page: a 2 GiB guest
    // in a 3 GiB VM reset 3.3x slower than a 1 GiB one) and the kernel reclaims while it pins.
    // TCG only allocates what the guest touches, so the headroom costs nothing unused.
    memMiB: Math.min(Math.floor(hostMiB * HOST_SHARE), Math.max(VM_MIN_MIB, 2 * needMiBs + VM_BASE_MIB) + hugeMiB),
    kernelArgs: [reserveArgs(huge), iommu?.kernelArgs].filter(Boolean).join(' ') || undefined,
    ...(iommu ? { qemuArgs: iommu.qemuArgs } : {}),
    timeoutMs: opts.timeoutMs,
    probePath,
    onProgress: opts.onProgress,
  };
  // A VM that dies in one script fails that script alone; the ones after it get a fresh boot.
  const run = await runJobsResilient(jobs, (pending) => runJobsInVm(resolveKernel(kernel).alias, pending, vmOptions), opts.onProgress);
  const out: ScriptRun[] = scripts.map((s, i) => {
    const job = run.jobs.find((j) => j.id === jobs[i].id);
    if (!job) return { name: s.name, answers: [], error: 'the VM ended before this script ran' };
    if (job.setupError) return { name: s.name, answers: [], error: job.setupError };
    const answers = parseProbeOutput(job.stdout, s.name);
    const error = job.exitCode === 0 ? undefined : `the probe exited with ${job.exitCode}: ${job.stderr.trim().split('\n').pop() ?? ''}`;
    return { name: s.name, answers, ...(error ? { error } : {}) };
  });
  return { release: run.release, accel: run.accel, clock: run.clock, scripts: out };
}
