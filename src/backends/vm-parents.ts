/**
 * The parents a VM of one prepared kernel can provide, the one place that
 * says so (the planner, run's n/a reasons and replay all read it from the
 * backend's capabilities): vdpa_sim on every kernel, VDUSE where the kernel
 * ships vduse with virtio-net (6.12, 7.2: real/vduse.ts), platform-iommu
 * where the prepared kernel has vp_vdpa (built out of tree for 6.1, 6.12 and
 * 7.2: real/platform-iommu.ts), and for the rest the one line that names the
 * kernel and what it lacks.
 */
import type { ParentKind } from '../kernel/index.js';
import { resolveKernel, type RealKernel } from '../real/kernels.js';
import { vpVdpaMissing } from '../real/platform-iommu.js';
import { vduseMissing } from '../real/vduse.js';
import { readPreparedKernel } from '../real/vm/prepared.js';
import type { BackendCapabilities } from './backend.js';

export function vmParents(kernel: string): Pick<BackendCapabilities, 'parents' | 'missingParents'> {
  let k: RealKernel;
  try {
    k = resolveKernel(kernel, '--backend');
  } catch {
    return { parents: ['vdpa_sim'] }; // an unknown kernel: open() refuses it in its own words
  }
  const parents: ParentKind[] = ['vdpa_sim'];
  const missingParents: Partial<Record<ParentKind, string>> = {};
  const noVduse = vduseMissing(k);
  if (noVduse) missingParents.vduse = noVduse;
  else parents.push('vduse');
  const noVpVdpa = vpVdpaMissing(k, preparedModules(k));
  if (noVpVdpa) missingParents['platform-iommu'] = noVpVdpa;
  else parents.push('platform-iommu');
  return Object.keys(missingParents).length > 0 ? { parents, missingParents } : { parents };
}

/** The prepared kernel's modules, or undefined when it is not prepared (yet): the run reports that itself. */
function preparedModules(k: RealKernel): Record<string, string[]> | undefined {
  try {
    return readPreparedKernel(k.alias).moduleParams;
  } catch {
    return undefined;
  }
}
