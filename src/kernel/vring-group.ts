/**
 * VHOST_SET_FEATURES and VHOST_VDPA_GET_VRING_GROUP (drivers/vhost/vdpa.c),
 * the two ioctls QEMU 8.1+'s CVQ isolation probe needs beyond SET_STATUS.
 * Read in Debian's 6.1.192 and 6.12.117 trees, where both are the same code:
 *
 *  - VHOST_SET_FEATURES (vhost_vdpa_set_features) sits in
 *    vhost_vdpa_unlocked_ioctl's own switch: no owner check. EBUSY once the
 *    device has FEATURES_OK; then vdpa_set_features -> .set_driver_features,
 *    whose error is EINVAL. vdpa_sim refuses features without
 *    VIRTIO_F_ACCESS_PLATFORM (vdpasim_set_driver_features), mlx5 too and
 *    MQ without CTRL_VQ (verify_driver_features); VDUSE keeps anything.
 *    A reset forgets them (vdpasim_do_reset, mlx5_vdpa_reset: features 0).
 *  - VHOST_VDPA_GET_VRING_GROUP is a vring ioctl: not in that switch, so
 *    vhost_dev_ioctl's owner check comes first (EPERM), then
 *    vhost_vdpa_vring_ioctl's index check (ENOBUFS for idx >= nvqs), then
 *    no .get_vq_group is EOPNOTSUPP and a group >= ngroups is EIO.
 *    vdpasim_get_vq_group: VQ 2 (the CVQ) is group 1, every other VQ group
 *    0 (the lab's vdpa_sim with more queue pairs: its last VQ, the CVQ).
 *    mlx5_vdpa_get_vq_group: the CVQ (ctrl_vq_idx: max_vqs when MQ was
 *    negotiated, else 2) is MLX5_VDPA_CVQ_GROUP (1), the rest group 0.
 *    VDUSE has no .get_vq_group in either tree (vduse_dev.c): EOPNOTSUPP;
 *    from v7.0 ("vduse: add vq group support", Debian's 7.2.13 tree) it has
 *    one, which answers group 0 for a device created with API version 0 (the
 *    only kind the lab models: one group, one address space).
 *    The lab's platform-IOMMU parent is modeled without one.
 */
import type { ErrnoName } from '../errors.js';
import { fail, OK, type OpResult } from './op-result.js';
import type { ParentKind } from './parents/index.js';
import { STATUS } from './uapi.js';

/** Virtio feature bits the parents check (include/uapi/linux/virtio_config.h, virtio_net.h). */
export const VIRTIO_F = {
  NET_MAC: 5,
  NET_STATUS: 16,
  NET_CTRL_VQ: 17,
  NET_MQ: 22,
  VERSION_1: 32,
  ACCESS_PLATFORM: 33,
} as const;

export const virtioBit = (name: keyof typeof VIRTIO_F): bigint => 1n << BigInt(VIRTIO_F[name]);

/**
 * Virtqueues each parent registers when a script does not say: vdpa_sim_net
 * VDPASIM_NET_VQ_NUM (3); mlx5 with 8 queue pairs and the CVQ (17:
 * _vdpa_register_device(max_vqs + 1)), the lab's default guest; VDUSE and a
 * platform-IOMMU parent as a 1-pair net device.
 */
export const DEFAULT_NVQS: Record<ParentKind, number> = { vdpa_sim: 3, mlx5: 17, vduse: 3, 'platform-iommu': 3 };

/** What the two ioctls read and write of the open device. */
export interface VringGroupTarget {
  readonly config: { parent: ParentKind; ngroups: number; nvqs?: number };
  readonly owner: boolean;
  readonly status: number;
  /** The kernel's version behaviour (versions.ts): does VDUSE have .get_vq_group? */
  readonly kernel: { readonly vduseVqGroup: boolean };
  /** The driver features the parent holds (0 after a reset). */
  driverFeatures: bigint;
}

export function nvqsOf(dev: VringGroupTarget): number {
  return dev.config.nvqs ?? DEFAULT_NVQS[dev.config.parent];
}

/** The parent's .set_driver_features: null when accepted, else its error. */
function parentSetFeatures(kind: ParentKind, features: bigint): ErrnoName | null {
  const has = (n: keyof typeof VIRTIO_F) => (features & virtioBit(n)) !== 0n;
  switch (kind) {
    case 'vdpa_sim':
      return has('ACCESS_PLATFORM') ? null : 'EINVAL';
    case 'mlx5':
      if (!has('ACCESS_PLATFORM')) return 'EOPNOTSUPP';
      return has('NET_MQ') && !has('NET_CTRL_VQ') ? 'EINVAL' : null;
    case 'vduse':
    case 'platform-iommu':
      return null;
  }
}

/** vhost_vdpa_set_features. */
export function setFeatures(dev: VringGroupTarget, features: bigint): OpResult {
  if (dev.status & STATUS.FEATURES_OK) return fail('EBUSY');
  // vdpa_set_features turns any parent error into EINVAL.
  if (parentSetFeatures(dev.config.parent, features)) return fail('EINVAL');
  dev.driverFeatures = features;
  return OK;
}

/** The parent's .get_vq_group for `idx`, or null when it has none. */
function parentVqGroup(dev: VringGroupTarget, idx: number): number | null {
  switch (dev.config.parent) {
    case 'vdpa_sim':
      // vdpasim_get_vq_group tests idx == 2: the last of vdpa_sim_net's 3 VQs, the CVQ. The lab's
      // larger vdpa_sim devices (queuePairs > 1, which the real one cannot have) keep the CVQ, their
      // last VQ, in group 1: the literal test would put a data VQ there instead.
      return idx === nvqsOf(dev) - 1 ? 1 : 0;
    case 'mlx5': {
      // ctrl_vq_idx: max_vqs (the data VQs; nvqs is max_vqs + 1) with MQ negotiated, else 2.
      const cvq = dev.driverFeatures & virtioBit('NET_MQ') ? nvqsOf(dev) - 1 : 2;
      return idx === cvq ? 1 : 0;
    }
    case 'vduse':
      // vduse_get_vq_group: 0 below VDUSE_API_VERSION_1.
      return dev.kernel.vduseVqGroup ? 0 : null;
    case 'platform-iommu':
      return null;
  }
}

/** VHOST_VDPA_GET_VRING_GROUP: the answer carries the group on success. */
export function getVringGroup(dev: VringGroupTarget, idx: number): OpResult & { group?: number } {
  if (!dev.owner) return fail('EPERM');
  if (idx >= nvqsOf(dev)) return fail('ENOBUFS');
  const group = parentVqGroup(dev, idx);
  if (group === null) return fail('EOPNOTSUPP');
  if (group >= dev.config.ngroups) return fail('EIO');
  return { ...OK, group };
}
