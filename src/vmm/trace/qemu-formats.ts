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
 *   offset; both are ignored). Checked for 10.0.13 and 10.2.2 in Debian's
 *   sources and for 11.1.3 in its binary's format strings (same
 *   vhost_vdpa_* events, same formats).
 *
 * Each release's formats are fields of its row in ../qemu-releases.ts
 * (traceShared, traceAsid, traceResetStatus, traceSetGroupAsid); the ranges
 * here are derived from them.
 */

import { QEMU_RELEASES, QEMU_TABLE, rangeWhere, type QemuBehaviours, type QemuRelease, type QemuRow, type ReleaseRange } from '../qemu-releases.js';

export { QEMU_RELEASES, type QemuRelease, type ReleaseRange };

const last = QEMU_RELEASES.length - 1;

/** Which trace behaviours each format variant the grammar knows prints with. */
const VARIANT_RULES: Record<string, (r: QemuBehaviours) => boolean> = {
  'dma:vdpa': (r) => !r.traceShared && !r.traceAsid,
  'dma:vdpa+asid': (r) => !r.traceShared && r.traceAsid,
  'dma:vdpa_shared+asid': (r) => r.traceShared && r.traceAsid,
  'batch:vdpa': (r) => !r.traceShared,
  'batch:vdpa_shared': (r) => r.traceShared,
  'reset:status': (r) => r.traceResetStatus,
  'reset:plain': (r) => !r.traceResetStatus,
  'init:vdpa': (r) => !r.traceShared,
  'init:shared': (r) => r.traceShared,
  // net/trace-events: with the CVQ's ASID.
  group_asid: (r) => r.traceSetGroupAsid,
};

/** The release range of each format variant, from a table's trace fields. */
export function variantRanges(table: readonly QemuRow[]): Record<string, ReleaseRange> {
  return Object.fromEntries(Object.entries(VARIANT_RULES).map(([format, has]) => [format, rangeWhere(table, has, `trace format ${format}`)]));
}

export const VARIANT_RELEASES: Record<string, ReleaseRange> = variantRanges(QEMU_TABLE);

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
