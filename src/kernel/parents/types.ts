/** What vhost-vdpa needs from a parent driver (struct vdpa_config_ops, the parts the lab models). */
import type { ErrnoName } from '../../errors.js';
import type { RadixIotlb } from '../../iotlb/index.js';

export type ParentKind = 'vdpa_sim' | 'mlx5' | 'vduse' | 'platform-iommu';
export const PARENT_KINDS: readonly ParentKind[] = ['vdpa_sim', 'mlx5', 'vduse', 'platform-iommu'];
export type KernelGeneration = 'legacy' | 'reset-map';
export const KERNEL_GENERATIONS: readonly KernelGeneration[] = ['legacy', 'reset-map'];

/** How vhost_vdpa_map reaches the device for each run. */
export type MapPath = 'dma_map' | 'set_map' | 'iommu';

/** The parent's own picture of one address space. */
export interface DeviceView {
  /** Identity / 1:1 DMA translation (vdpa_sim identity map, mlx5 DMA MR). */
  passthrough: boolean;
  /** Explicit mappings (empty when passthrough). */
  tree: RadixIotlb;
  /**
   * Set by a whole-table copy (set_map): the source and both trees' sequence
   * numbers and counts right after it. While neither tree has changed since,
   * the view is known to equal the source without comparing entries. The
   * count too: a whole page published into an empty slot by one store
   * (insert-paths.ts) moves no sequence number, but always raises the count.
   */
  copyOf?: { src: RadixIotlb; srcSeq: number; srcCount: number; dstSeq: number; dstCount: number };
}

export interface Parent {
  readonly kind: ParentKind;
  readonly mapPath: MapPath;
  /** .reset_map exists (v6.7+ vdpa_sim and mlx5). */
  readonly hasResetMap: boolean;
  readonly hasSetGroupAsid: boolean;
  /** Parent advertises VHOST_BACKEND_F_IOTLB_PERSIST itself. */
  readonly advertisesPersist: boolean;
  /** dma_map of one vhost entry (dma_map parents). */
  dmaMap(asid: number, src: RadixIotlb, id: number): ErrnoName | null;
  /** dma_unmap of one vhost entry, before vhost frees it. */
  dmaUnmap(asid: number, src: RadixIotlb, id: number): void;
  /** set_map: the whole table. */
  setMap(asid: number, src: RadixIotlb, running: boolean): ErrnoName | null;
  /** iommu_map / iommu_unmap into the platform IOMMU domain. */
  iommuMap(asid: number, src: RadixIotlb, id: number): ErrnoName | null;
  iommuUnmap(asid: number, src: RadixIotlb, id: number): void;
  /** Device reset; cleanMap: VDPA_RESET_F_CLEAN_MAP (always true on legacy kernels). */
  /** Returns true when the parent wiped its maps. */
  reset(cleanMap: boolean): boolean;
  /** .set_group_asid after vhost-vdpa's checks (mlx5 keeps its group2asid): null, or the op's error. */
  setGroupAsid(group: number, asid: number): ErrnoName | null;
  /** .reset_map(asid): back to the initial state. */
  resetMap(asid: number): void;
  /**
   * The device processes no descriptors after a .suspend: vdpa_sim's
   * !running, mlx5's mvdev->suspended. A reset clears it (vhost-vdpa's
   * deviceReset), .resume clears it.
   */
  suspended: boolean;
  /** .suspend (parents that have it: backend-ops.ts); `running`: DRIVER_OK is set. */
  suspend(running: boolean): void;
  /** .resume (parents that have it: backend-ops.ts); `running`: DRIVER_OK is set. */
  resume(running: boolean): void;
  /** .set_status with a non-zero status (a reset is `reset`). */
  statusSet(status: number): void;
  view(asid: number): DeviceView;
  /** ASIDs the device has state for. */
  asids(): number[];
}
