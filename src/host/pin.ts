/**
 * Per-page pin work on the frame table: the cost the lab exists to expose.
 * pin_user_pages(FOLL_LONGTERM) takes one pin per page; unpin_user_page drops
 * it, after set_page_dirty_lock for writable maps (vhost_vdpa_pa_unmap).
 * Plain (non-atomic) writes: one writer per frame range at a time.
 */
import type { HostRegion } from './region.js';

export interface PinCounters {
  pinCalls: number;
  pagesPinned: number;
  pagesUnpinned: number;
  pagesDirtied: number;
}

export function newPinCounters(): PinCounters {
  return { pinCalls: 0, pagesPinned: 0, pagesUnpinned: 0, pagesDirtied: 0 };
}

/** Takes one pin on frames [frame, frame + n) of the region. */
export function pinFrames(region: HostRegion, frame: number, n: number, c: PinCounters): void {
  const pins = region.pins;
  const end = frame + n;
  for (let f = frame; f < end; f++) pins[f]++;
  c.pagesPinned += n;
}

/** Drops one pin on frames [frame, frame + n), dirtying them first if `dirty`. */
export function unpinFrames(region: HostRegion, frame: number, n: number, dirty: boolean, c: PinCounters): void {
  const pins = region.pins;
  const end = frame + n;
  if (dirty) {
    region.dirty.fill(1, frame, end);
    c.pagesDirtied += n;
  }
  for (let f = frame; f < end; f++) pins[f]--;
  c.pagesUnpinned += n;
}
