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

/**
 * The address spaces and virtqueue groups a VMM's device of `parent` has: the
 * workload's `nas` with 2 groups, except a platform-IOMMU parent, which has one
 * of each: vhost_vdpa_probe refuses more, as one IOMMU domain serves the device
 * (drivers/vhost/vdpa.c in 6.1.192, 6.12.117, 7.2.13; vp_vdpa_dev_add allocates 1 and 1).
 */
export function deviceShape(parent: ParentKind, nas: number): { nas: number; ngroups: number } {
  return parent === 'platform-iommu' ? { nas: 1, ngroups: 1 } : { nas, ngroups: 2 };
}

/**
 * Address width of the IOMMU the platform-IOMMU parent sits behind: VT-d with
 * 4-level second-level page tables (48 bits), as on most servers and in the
 * lab's VM (QEMU intel-iommu aw-bits=48, real/platform-iommu.ts).
 */
export const PLATFORM_IOMMU_AW_BITS = 48;

/**
 * The IOVA range a device offers when a script names none (v->range,
 * vhost_vdpa_set_iova_range at open): the parent's .get_iova_range
 * (vdpa_sim, mlx5: [0, 2^64-1]; VDUSE: its own, the lab's default whole);
 * a platform-IOMMU parent has none, so vhost-vdpa takes its domain's
 * aperture, force_aperture being set by intel-iommu: [0, __DOMAIN_MAX_ADDR(gaw)]
 * with gaw the IOMMU's width (domain_update_iommu_cap in 6.1.192, the paging
 * domain in 6.12.117 and 7.2.13). Real 6.12.117 behind a 48-bit intel-iommu
 * answered [0, 0xffffffffffff].
 */
export function defaultIovaRange(parent: ParentKind): { first: bigint; last: bigint } {
  return { first: 0n, last: parent === 'platform-iommu' ? (1n << BigInt(PLATFORM_IOMMU_AW_BITS)) - 1n : (1n << 64n) - 1n };
}
