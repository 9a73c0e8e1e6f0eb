/**
 * Backend feature negotiation (VHOST_GET/SET_BACKEND_FEATURES in
 * drivers/vhost/vdpa.c): what a kernel version and a parent offer, and which
 * acks SET_BACKEND_FEATURES refuses, in the kernel's order of checks.
 */
import type { ErrnoName } from '../errors.js';
import type { BackendOps } from './parents/backend-ops.js';
import { featureBit } from './uapi.js';
import type { KernelBehaviour } from './versions.js';

/** Backend features vhost-vdpa always offers (VHOST_VDPA_BACKEND_FEATURES). */
export const BASE_FEATURES = featureBit('IOTLB_MSG_V2') | featureBit('IOTLB_BATCH') | featureBit('IOTLB_ASID');

/** What VHOST_SET_BACKEND_FEATURES knows at all in this version: the base set plus each feature bit it has. */
export function settableFeatures(k: KernelBehaviour): bigint {
  let bits = BASE_FEATURES;
  if (k.suspend) bits |= featureBit('SUSPEND');
  if (k.resume) bits |= featureBit('RESUME');
  if (k.enableAfterDriverOk) bits |= featureBit('ENABLE_AFTER_DRIVER_OK');
  if (k.descAsid) bits |= featureBit('DESC_ASID');
  if (k.resetMap) bits |= featureBit('IOTLB_PERSIST');
  return bits;
}

/** VHOST_GET_BACKEND_FEATURES: the base set, each optional feature the version knows and the parent backs. */
export function offeredFeatures(k: KernelBehaviour, ops: BackendOps, persistOffered: boolean): bigint {
  let bits = BASE_FEATURES | (k.suspend && ops.suspend ? featureBit('SUSPEND') : 0n);
  if (k.resume && ops.resume) bits |= featureBit('RESUME');
  if (k.descAsid && ops.descGroup) bits |= featureBit('DESC_ASID');
  if (persistOffered) bits |= featureBit('IOTLB_PERSIST');
  if (k.enableAfterDriverOk && ops.enableAfterDriverOk) bits |= featureBit('ENABLE_AFTER_DRIVER_OK');
  return bits;
}

/**
 * Why VHOST_SET_BACKEND_FEATURES refuses `bits`, or null: bits this version
 * does not know, then each optional feature the parent cannot back, are
 * EOPNOTSUPP; DESC_ASID without IOTLB_ASID is EINVAL. ENABLE_AFTER_DRIVER_OK
 * is accepted from any parent (v6.12 checks only that the bit is known).
 */
export function refuseFeatures(bits: bigint, k: KernelBehaviour, ops: BackendOps, persistOffered: boolean): ErrnoName | null {
  const has = (n: Parameters<typeof featureBit>[0]) => (bits & featureBit(n)) !== 0n;
  if (bits & ~settableFeatures(k)) return 'EOPNOTSUPP';
  if (has('SUSPEND') && !ops.suspend) return 'EOPNOTSUPP';
  if (has('RESUME') && !ops.resume) return 'EOPNOTSUPP';
  if (has('DESC_ASID') && !has('IOTLB_ASID')) return 'EINVAL';
  if (has('DESC_ASID') && !ops.descGroup) return 'EOPNOTSUPP';
  if (has('IOTLB_PERSIST') && !persistOffered) return 'EOPNOTSUPP';
  return null;
}
