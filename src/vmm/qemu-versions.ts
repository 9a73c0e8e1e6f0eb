/**
 * QEMU releases as the VMM model plays them: where each registers and
 * unregisters the vhost-vdpa memory listener, whether it acks SUSPEND and
 * IOTLB_ASID (and so isolates the CVQ in ASID 1 and can switch to shadow
 * virtqueues at migration). The values are rows of one table
 * (qemu-releases.ts), which the trace parser (trace/qemu-formats.ts) reads
 * too, so `run --qemu` and `replay` name releases alike.
 *
 * Read from hw/virtio/vhost-vdpa.c and net/vhost-vdpa.c at each release tag:
 *
 * - 7.2: `vhost_vdpa_set_backend_cap` acks IOTLB_MSG_V2 and IOTLB_BATCH only
 *   (no ASID, no SUSPEND): the CVQ shares ASID 0 with the data VQs and is not
 *   shadowed. `vhost_vdpa_dev_start(dev, false)` resets
 *   (`vhost_vdpa_reset_device`), re-adds ACKNOWLEDGE|DRIVER and unregisters
 *   the listener; `vhost_vdpa_dev_start(dev, true)` registers it and sets
 *   DRIVER_OK. A vhost-vdpa device blocks migration unless started with
 *   x-svq=on: there is no switch to shadow virtqueues at migration.
 * - 8.0 to 10.0: "vdpa: move vhost reset after get vring base" puts the reset
 *   and the listener unregister in `vhost_vdpa_reset_status` (c3716f260bff);
 *   the "ASID support in vhost-vdpa net" series acks IOTLB_ASID and puts the
 *   CVQ in ASID 1 behind a shadow virtqueue (`vhost_vdpa_net_cvq_start`,
 *   "vdpa: always start CVQ in SVQ mode if possible", c1a1008685); the
 *   "Dynamically switch to vhost shadow virtqueues at vdpa net migration"
 *   series acks SUSPEND, adds `vhost_vdpa_suspend` (VHOST_VDPA_SUSPEND when
 *   acked, else a `vhost_vdpa_reset_device`: a second reset per stop;
 *   0bb302a9960a) and the switch to SVQ when migration starts
 *   (`vdpa_net_migration_state_notifier`, back only when it fails or is
 *   cancelled). Both were merged for 8.0. 9.0's VhostVDPAShared changes
 *   the trace format, not the messages.
 * - 8.1+: "vdpa: move CVQ isolation check to net_init_vhost_vdpa" (152128d646)
 *   probes the CVQ's group once at net init (cvq-probe.ts: a status dance and
 *   a reset of the still empty device) instead of at every CVQ start (8.0).
 * - 8.0 and 8.1 block migration of a device with a CVQ: "vdpa net: block
 *   migration if the device has CVQ" (9c363cf6d5, 8.0; 8.1's "vdpa: do not
 *   block migration if device has cvq and x-svq=on" spares x-svq=on, which
 *   the lab does not model) sets "net vdpa cannot migrate with CVQ
 *   feature" in net_vhost_vdpa_init, vhost_dev_init adds it, and `migrate`
 *   fails before the notifier switches to SVQ. "vdpa: remove net cvq
 *   migration blocker" (8134d12888, 8.2) lifts it. The lab's devices always
 *   offer CTRL_VQ, so their SVQ events are n/a on 8.0 and 8.1 (had the switch
 *   run, `vhost_vdpa_net_cvq_start` there took `shadow_vqs_enabled` from
 *   `always_svq`: the CVQ unshadowed, nothing mapped for it).
 * - 8.2+: at a start with the data VQs shadowed (`shadow_data`, after the
 *   switch) `vhost_vdpa_net_cvq_start` jumps to `out:` before the isolation
 *   check and SET_GROUP_ASID, with `address_space_id` left at
 *   VHOST_VDPA_GUEST_PA_ASID (0) and `shadow_vqs_enabled` taken from the
 *   first data device ("vdpa: use first queue SVQ state for CVQ default",
 *   pulled with the blocker's removal for 8.2; 9.0's VhostVDPAShared reads `v->shared->shadow_data`,
 *   and "vdpa: add back vhost_vdpa_net_first_nc_vdpa" restores s0's flag
 *   before 9.0's release): the CVQ buffers and its shadow vrings go to ASID 0
 *   in the data's IOVA tree, isolated CVQ or not; the stop unmaps them there
 *   (`vhost_vdpa_net_cvq_stop`, `vhost_vdpa_cvq_unmap_buf` and
 *   `vhost_vdpa_svq_unmap_ring` use `v->address_space_id`). The first start
 *   after the switch back sets the CVQ group's ASID and maps in ASID 1 again.
 * - 9.2+: "virtio: Always reset vhost devices" (2688e8df60f5): virtio_reset
 *   (a guest's status write of 0, a system reset, the machine's first reset)
 *   calls vhost_reset_device after the stop, i.e. vhost_vdpa_reset_device on
 *   the net device's first vhost_dev: a second SET_STATUS 0 per guest reset,
 *   two before a boot's first start, no ACKNOWLEDGE|DRIVER added back.
 * - 10.1+: "vdpa: move memory listener register to vhost_vdpa_init" (Eugenio
 *   Pérez, posted by Jonah Palmer, merged through the virtio tree in May 2025,
 *   first released in 10.1): `vhost_vdpa_init` sets the backend features and
 *   `vhost_vdpa_set_owner` registers the listener right after SET_OWNER, so
 *   guest RAM is mapped and pinned when the device is created (on a migration
 *   destination, before the downtime); `vhost_vdpa_reset_device` unregisters
 *   it after a successful SET_STATUS 0 and `vhost_vdpa_dev_start` registers it
 *   again only when `listener_registered` is false. The same series ("vdpa:
 *   move iova_tree allocation to net_vhost_vdpa_init", a400720365ea) makes
 *   the shadow IOVA tree once per netdev: with x-svq=on the RAM sections
 *   mapped at init take its first IOVAs and the first start's shadow vrings
 *   and CVQ buffers come after them (iovaTreeAtInit, map-plan.ts).
 * - 10.1 and 10.2 send the same stream: Debian's 10.0.13 and 10.2.2 sources
 *   differ in the four files (hw/virtio/vhost-vdpa.c, net/vhost-vdpa.c,
 *   hw/virtio/vhost-shadow-virtqueue.c, trace-events) by that series, the
 *   vIOMMU path's memory_translate_iotlb (not modeled: no vIOMMU) and the
 *   RSS hash-types GET_CONFIG (no map), nothing else; 11.1.3's binary prints
 *   every vhost_vdpa_* event of 10.2.2 in the same format. 11.0 and 11.1
 *   play as 10.1+: their sources were not at hand (docs/replay.md, "The
 *   releases after 10.1"), and `qemu check` of the 11.1.3 recording finds no
 *   unexplained difference against it.
 */
import { InputError } from '../errors.js';
import { QEMU_RELEASES, QEMU_TABLE, releasesHint, resolveRelease, type QemuRelease, type QemuRow } from './qemu-releases.js';

export { QEMU_RELEASES, type QemuRelease };

/**
 * The default: 10.0, the newest release whose listener placement (register in
 * vhost_vdpa_dev_start, unregister in vhost_vdpa_reset_status) is the one the
 * lab modeled before it had QEMU versions.
 */
export const DEFAULT_QEMU: QemuRelease = '10.0';

/** One release's behaviours: its row of the table. */
export interface QemuBehaviour extends QemuRow {
  release: QemuRelease;
}

/** A QEMU release the lab models; `10.1`, `10.2`, `11.0`... resolve to `10.1+`, `8.2.1` to `8.2`. */
export function resolveQemu(name: string): QemuBehaviour {
  const row = resolveRelease(QEMU_TABLE, name);
  if (!row) throw new InputError('qemu', `'${name}' is not a QEMU release the lab models: ${releasesHint(QEMU_TABLE)}`);
  return row;
}

/** Every release and its behaviour, for docs and tests. */
export const QEMU_BEHAVIOURS: readonly QemuBehaviour[] = QEMU_TABLE;
