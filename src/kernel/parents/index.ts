/** Parent driver models and their factory. */
import type { KernelCounters } from '../counters.js';
import { Mlx5Parent } from './mlx5.js';
import { PlatformIommuParent } from './platform-iommu.js';
import { VdpaSimParent, type VdpaSimVariant } from './vdpa-sim.js';
import { VduseParent } from './vduse.js';
import type { KernelBehaviour } from '../versions.js';
import type { Parent, ParentKind } from './types.js';

export { PARENT_KINDS, KERNEL_GENERATIONS } from './types.js';
export type { Parent, ParentKind, KernelGeneration, DeviceView, MapPath } from './types.js';
export type { VdpaSimVariant } from './vdpa-sim.js';

export function createParent(
  kind: ParentKind,
  k: Pick<KernelBehaviour, 'generation' | 'vduseGroupAsid'>,
  counters: KernelCounters,
  /** deviceLimit: the parent module's own max_iotlb_entries (parent-limits.ts); undefined: none. */
  opts: { variant?: VdpaSimVariant; deviceLimit?: number },
): Parent {
  switch (kind) {
    case 'vdpa_sim':
      return new VdpaSimParent(counters, k.generation, opts.variant ?? 'set_map', opts.deviceLimit);
    case 'mlx5':
      return new Mlx5Parent(counters, k.generation, opts.deviceLimit);
    case 'vduse':
      return new VduseParent(counters, opts.deviceLimit, k.vduseGroupAsid);
    case 'platform-iommu':
      return new PlatformIommuParent(counters);
  }
}
