/**
 * QEMU 8.1+'s CVQ isolation probe: `vhost_vdpa_probe_cvq_isolation`
 * (net/vhost-vdpa.c), called by `net_vhost_vdpa_init` for the CVQ's net
 * client of a device that offers VIRTIO_NET_F_CTRL_VQ ("vdpa: move CVQ
 * isolation check to net_init_vhost_vdpa", 152128d646, first released in
 * 8.1). It runs once per netdev, at net init: after every data queue pair's
 * vhost_dev_init (so after SET_OWNER and the backend features) and before
 * the machine has any RAM (net_init_clients runs from
 * qemu_create_late_backends, before qmp_x_exit_preconfig builds the board
 * and its RAM), so no map precedes it on any release, 10.1+ included (its
 * listener, registered at SET_OWNER, has no RAM section yet to map).
 *
 * The dance, in the order of "vdpa: fix device status ordering"-style fix
 * 845ec38ae1 (8.2 and 8.1.x stable; 8.1.0 itself sent SET_FEATURES first
 * and ACKNOWLEDGE|DRIVER|FEATURES_OK in one SET_STATUS, which the lab does
 * not model): VHOST_GET_BACKEND_FEATURES, and without IOTLB_ASID nothing
 * more (not isolated); SET_STATUS ACKNOWLEDGE|DRIVER; VHOST_SET_FEATURES
 * with the device's features; SET_STATUS +FEATURES_OK; GET_VRING_GROUP of
 * the CVQ (index 2 * queue_pairs), then of each data VQ below it until one
 * shares the CVQ's group (not isolated); then, whatever happened, a raw
 * SET_STATUS 0 (the `out:` label): a kernel reset of a device with nothing
 * mapped. QEMU calls ioctl() directly, so nothing of it is traced. A CVQ
 * group refused with ENOTSUP (EOPNOTSUPP: a parent without .get_vq_group)
 * means "not isolated"; any other failure fails the netdev's creation.
 *
 * Afterwards the status is 0: `vhost_vdpa_init` added ACKNOWLEDGE|DRIVER for
 * the first device only, so the first start adds back FEATURES_OK alone.
 */
import { KernelError } from '../errors.js';
import { featureBit, sendOp, STATUS, type OpResult, type VhostVdpa } from '../kernel/index.js';
import type { VdpaBackend } from './vdpa-backend.js';

/** Virtio features the lab's net devices offer: VERSION_1, ACCESS_PLATFORM, CTRL_VQ, MAC, and MQ with more than one pair. */
export function netDeviceFeatures(queuePairs: number): bigint {
  const bits = (1n << 32n) | (1n << 33n) | (1n << 17n) | (1n << 5n);
  return queuePairs > 1 ? bits | (1n << 22n) : bits;
}

export interface ProbeOutcome {
  /** The CVQ is in a virtqueue group of its own. */
  isolated: boolean;
  /** The ioctl whose failure fails QEMU's net init (the reset was still sent). */
  failed?: { what: string; r: OpResult };
}

/** The probe's ioctls on one open fd (the VMM's device or a replay's); `queuePairs` gives the CVQ's index. */
export function runCvqProbe(dev: VhostVdpa, features: bigint, queuePairs: number): ProbeOutcome {
  let failed: ProbeOutcome['failed'];
  const ok = (what: string, r: OpResult): boolean => {
    if (r.ret !== 0) failed = { what, r };
    return r.ret === 0;
  };
  const isolated = (): boolean => {
    const cvqIndex = 2 * queuePairs;
    const status = STATUS.ACKNOWLEDGE | STATUS.DRIVER;
    if (!ok('SET_STATUS 0x3', sendOp(dev, { op: 'set_status', status }))) return false;
    if (!ok('SET_FEATURES', sendOp(dev, { op: 'set_features', features }))) return false;
    if (!ok('SET_STATUS 0xb', sendOp(dev, { op: 'set_status', status: status | STATUS.FEATURES_OK }))) return false;
    const cvq = sendOp(dev, { op: 'get_vring_group', index: cvqIndex });
    if (cvq.ret !== 0) return cvq.errno === 'EOPNOTSUPP' ? false : ok(`GET_VRING_GROUP ${cvqIndex}`, cvq);
    for (let i = 0; i < cvqIndex; i++) {
      const g = sendOp(dev, { op: 'get_vring_group', index: i });
      if (!ok(`GET_VRING_GROUP ${i}`, g)) return false;
      if (g.extra?.group === cvq.extra?.group) return false;
    }
    return true;
  };
  // GET_BACKEND_FEATURES cannot fail on the model; without IOTLB_ASID QEMU returns before the dance.
  if ((dev.getBackendFeatures() & featureBit('IOTLB_ASID')) === 0n) return { isolated: false };
  const answer = isolated();
  sendOp(dev, { op: 'set_status', status: 0 }); // out: the reset QEMU sends whatever the probe answered (its result unchecked)
  return failed ? { isolated: false, failed } : { isolated: answer };
}

/** The VMM's probe of one device: true when the CVQ is isolated; throws where QEMU's net init fails. */
export function probeCvqIsolation(b: VdpaBackend, features: bigint, queuePairs: number): boolean {
  b.probing = true;
  try {
    const o = runCvqProbe(b.dev, features, queuePairs);
    if (o.failed) throw new KernelError(o.failed.r.errno!, o.failed.r.cause!, `${b.name}: the CVQ isolation probe's ${o.failed.what} failed: ${o.failed.r.errno} (QEMU's net_vhost_vdpa_init fails: no netdev)`);
    return o.isolated;
  } finally {
    b.probing = false;
  }
}
