/**
 * QEMU releases and which argument format each traced vhost-vdpa event has
 * in them, read from hw/virtio/trace-events at each release:
 *
 * - 7.2: `vhost_vdpa_dma_map/unmap` print `vdpa:%p` and no ASID;
 *   `vhost_vdpa_reset_device` prints `dev: %p status: 0x%x`;
 *   `vhost_vdpa_init` prints `dev: %p vdpa: %p`.
 * - 8.0: "vdpa: add asid parameter to vhost_vdpa_dma_map/unmap" adds
 *   `asid: %u` to both (still `vdpa:%p`).
 * - 8.1: "vdpa: Remove status in reset tracing" (July 2023): reset_device
 *   prints `dev: %p` only.
 * - 9.0: the VhostVDPAShared series: dma_map/unmap, listener_begin_batch and
 *   listener_commit print `vdpa_shared:%p` (the object shared by every vhost
 *   device of one fd); init prints `dev: %p, common dev: %p vdpa: %p`.
 * - 9.1 to the newest release: no change to the events the replay reads
 *   (set_vring_ready became set_vring_enable_one, dump_config gained an
 *   offset; both are ignored).
 */

export const QEMU_RELEASES = ['7.2', '8.0', '8.1', '8.2', '9.0', '9.1', '9.2', '10.0', '10.1+'] as const;
export type QemuRelease = (typeof QEMU_RELEASES)[number];

/** A contiguous run of releases, by index into QEMU_RELEASES (inclusive). */
export interface ReleaseRange {
  from: number;
  to: number;
}

const last = QEMU_RELEASES.length - 1;
const at = (r: QemuRelease) => QEMU_RELEASES.indexOf(r);

/** The release ranges of each format variant the grammar knows. */
export const VARIANT_RELEASES: Record<string, ReleaseRange> = {
  'dma:vdpa': { from: at('7.2'), to: at('7.2') },
  'dma:vdpa+asid': { from: at('8.0'), to: at('8.2') },
  'dma:vdpa_shared+asid': { from: at('9.0'), to: last },
  'batch:vdpa': { from: at('7.2'), to: at('8.2') },
  'batch:vdpa_shared': { from: at('9.0'), to: last },
  'reset:status': { from: at('7.2'), to: at('8.0') },
  'reset:plain': { from: at('8.1'), to: last },
  'init:vdpa': { from: at('7.2'), to: at('8.2') },
  'init:shared': { from: at('9.0'), to: last },
  // net/trace-events: with the CVQ's ASID ("vdpa: Always start CVQ in SVQ mode if possible" series, 8.0).
  group_asid: { from: at('8.0'), to: last },
};

export function describeRange(r: ReleaseRange): string {
  const a = QEMU_RELEASES[r.from];
  const b = QEMU_RELEASES[r.to];
  if (r.to === last) return r.from === last ? `QEMU ${b}` : `QEMU ${a} or later`;
  return a === b ? `QEMU ${a}` : `QEMU ${a} to ${b}`;
}

/** A range as one token (`7.2`, `9.0..10.1+`): how a replayed cell names the QEMU that logged its trace. */
export function rangeToken(r: ReleaseRange): string {
  const a = QEMU_RELEASES[r.from];
  const b = QEMU_RELEASES[r.to];
  return a === b ? a : `${a}..${b}`;
}

/** The releases every variant seen agrees on; null when they contradict each other. */
export function intersect(a: ReleaseRange, b: ReleaseRange): ReleaseRange | null {
  const r = { from: Math.max(a.from, b.from), to: Math.min(a.to, b.to) };
  return r.from <= r.to ? r : null;
}

export const ALL_RELEASES: ReleaseRange = { from: 0, to: last };
