/**
 * The real QEMU releases the lab can fetch and run inside its kernel VM:
 * Debian's own `qemu-system-x86` of three suites (STACK.md, "Newer Debian
 * suites", checked 2026-12-07). Not pinned to a package version: a suite's
 * point releases move, and a prepared entry is named by what its binary's
 * `--version` answers, which is what a recording names too.
 */
import { InputError } from '../../errors.js';
import type { DebianSuite } from '../kernels.js';

export interface QemuRelease {
  /** What users type: `7.2`, `10.0`, `11.1`. */
  alias: string;
  suite: DebianSuite;
  /**
   * Virtqueue sizes the inner guest writes into the device's virtio-pci
   * common config (queue_size) before virtio_net binds, queue 0 first
   * (inner-init.ts): only for a release whose advertised sizes vdpa_sim
   * cannot take. Absent: the guest keeps what QEMU advertises.
   */
  guestQueueSizes?: readonly number[];
}

/**
 * QEMU 10.0.13 advertises 1024 entries for every virtqueue: its
 * virtio_add_queue (hw/virtio/virtio.c) ignores the size the device asks for
 * ("Always set to max queue size for qemu <11.1", read in Debian's
 * qemu_10.0.13+ds.orig.tar.xz; 10.2.2 and 11.1.3 keep virtio-net's 256/256
 * and the CVQ's 64). Linux's virtio_pci_modern takes the advertised size, so
 * vhost_virtqueue_start sends VHOST_SET_VRING_NUM 1024, which Linux 6.12's
 * vhost_vdpa_vring_ioctl refuses (EINVAL: num > vq_num_max, vdpa_sim's
 * VDPASIM_QUEUE_MAX 256): vhost_net_start fails and virtio_net_vhost_status
 * falls back on userspace virtio, so no map is ever sent (the trace of
 * 2026-12-07 stops at the first set_vring_num). A virtio 1 driver may
 * write a smaller queue_size itself, as QEMU's own comment in
 * virtio_net_device_realize says: the inner guest writes what every other
 * release advertises, so the stream is the one the model describes.
 */
const QUEUE_SIZES_BEFORE_10_0_13 = [256, 256, 64] as const;

export const QEMU_RELEASES: readonly QemuRelease[] = [
  { alias: '7.2', suite: 'bookworm' },
  { alias: '10.0', suite: 'trixie', guestQueueSizes: QUEUE_SIZES_BEFORE_10_0_13 },
  { alias: '11.1', suite: 'sid' },
];

/** The release of an alias (`10.0`) or of a full version it starts (`10.0.13`). */
export function resolveQemuRelease(name: string, where = '--qemu'): QemuRelease {
  const wanted = name.trim();
  const found = QEMU_RELEASES.find((r) => wanted === r.alias || wanted.startsWith(`${r.alias}.`));
  if (!found) {
    throw new InputError(where, `unknown QEMU release '${name}' (known: ${QEMU_RELEASES.map((r) => `${r.alias} (Debian ${r.suite})`).join(', ')})`);
  }
  return found;
}

/** `--qemu 7.2,11.1`: each release once, in the order given. */
export function qemuReleaseList(text: string, where = '--qemu'): QemuRelease[] {
  return [...new Set(text.split(',').map((part) => resolveQemuRelease(part, where)))];
}
