/**
 * The parents a VM of one prepared kernel can provide: vdpa_sim on every
 * kernel, VDUSE where the kernel ships vduse with virtio-net (6.12, 7.2:
 * real/vduse.ts), and for the rest the one line that names the kernel and
 * what it lacks.
 */
import type { ParentKind } from '../kernel/index.js';
import { resolveKernel, type RealKernel } from '../real/kernels.js';
import { vduseMissing } from '../real/vduse.js';
import type { BackendCapabilities } from './backend.js';

export function vmParents(kernel: string): Pick<BackendCapabilities, 'parents' | 'missingParents'> {
  let k: RealKernel;
  try {
    k = resolveKernel(kernel, '--backend');
  } catch {
    return { parents: ['vdpa_sim'] }; // an unknown kernel: open() refuses it in its own words
  }
  const noVduse = vduseMissing(k);
  const parents: ParentKind[] = noVduse ? ['vdpa_sim'] : ['vdpa_sim', 'vduse'];
  return noVduse ? { parents, missingParents: { vduse: noVduse } } : { parents };
}
