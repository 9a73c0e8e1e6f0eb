/**
 * Constants from the Linux uapi headers the model speaks:
 * include/uapi/linux/vhost_types.h, vhost.h, virtio_config.h.
 */

/** struct vhost_msg(_v2).type */
export const VHOST_IOTLB_MSG = 0x1;
export const VHOST_IOTLB_MSG_V2 = 0x2;

/** struct vhost_iotlb_msg.type */
export const VHOST_IOTLB_MISS = 1;
export const VHOST_IOTLB_UPDATE = 2;
export const VHOST_IOTLB_INVALIDATE = 3;
export const VHOST_IOTLB_ACCESS_FAIL = 4;
export const VHOST_IOTLB_BATCH_BEGIN = 5;
export const VHOST_IOTLB_BATCH_END = 6;

/** struct vhost_iotlb_msg.perm */
export const VHOST_ACCESS_RO = 0x1;
export const VHOST_ACCESS_WO = 0x2;
export const VHOST_ACCESS_RW = 0x3;

/** Backend feature bits (VHOST_BACKEND_F_*). */
export const BACKEND_FEATURES = {
  IOTLB_MSG_V2: 1,
  IOTLB_BATCH: 2,
  IOTLB_ASID: 3,
  SUSPEND: 4,
  RESUME: 5,
  ENABLE_AFTER_DRIVER_OK: 6,
  DESC_ASID: 7,
  IOTLB_PERSIST: 8,
} as const;
export type BackendFeature = keyof typeof BACKEND_FEATURES;

export function featureBit(name: BackendFeature): bigint {
  return 1n << BigInt(BACKEND_FEATURES[name]);
}

export function featureNames(bits: bigint): BackendFeature[] {
  return (Object.keys(BACKEND_FEATURES) as BackendFeature[]).filter((n) => bits & featureBit(n));
}

/** Device status bits (VIRTIO_CONFIG_S_*). */
export const STATUS = {
  ACKNOWLEDGE: 1,
  DRIVER: 2,
  DRIVER_OK: 4,
  FEATURES_OK: 8,
  NEEDS_RESET: 0x40,
  FAILED: 0x80,
} as const;

/** vdpa_reset flags (include/linux/vdpa.h, v6.7+). */
export const VDPA_RESET_F_CLEAN_MAP = 1;
