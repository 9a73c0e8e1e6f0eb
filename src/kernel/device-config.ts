/**
 * What one vhost-vdpa fd is opened on (the parent, its module parameters,
 * the kernel version) and the message a write() carries: the inputs of
 * vhost-vdpa.ts, kept apart so the device's file holds its behaviour only.
 */
import type { ParentKind, VdpaSimVariant } from './parents/index.js';

export interface DeviceConfig {
  parent: ParentKind;
  /** vdpa_sim only: batch_mapping=1 (set_map, default) or 0 (dma_map). */
  variant?: VdpaSimVariant;
  /** A kernel version as uname -r names it (`6.12.117`), or an old alias (`legacy`, `reset-map`): versions.ts. */
  kernel: string;
  useVa: boolean;
  /** Virtqueues (vdpa->nvqs; vdpa_sim_net: 3, two data queues and the CVQ). Optional: the parent's default. */
  nvqs?: number;
  /** Address spaces (vdpa->nas) and virtqueue groups (vdpa->ngroups). */
  nas: number;
  ngroups: number;
  iovaRange: { first: bigint; last: bigint };
  /**
   * vhost_vdpa.max_iotlb_entries; undefined: a kernel without the 2026 fix (no limit).
   * Callers default it from the version (KernelBehaviour.defaultIotlbLimit).
   */
  iotlbLimit?: number;
  /**
   * The parent module's own max_iotlb_entries (vdpa_sim's iommu[], mlx5_vdpa's
   * CVQ iotlb and, from v6.7, each MR's iotlb, VDUSE's domain): a separate
   * module parameter, default 2048, enforced with the 2026 fix. Undefined:
   * iotlbLimit when that is 2 or more (a VM loads both modules with the
   * script's value), else the version's default (parent-limits.ts).
   */
  parentIotlbLimit?: number;
}

/** One struct vhost_msg_v2 (or v1) as written to the fd. */
export interface IotlbMsg {
  msgType: number;
  type: number;
  asid: number;
  iova: bigint;
  size: bigint;
  uaddr: bigint;
  perm: number;
}
