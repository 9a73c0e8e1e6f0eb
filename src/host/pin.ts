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

/**
 * The page list of one pin call: gup records every subpage it pins here
 * (record_subpages), one store per page, then grabs the folio's refs in one
 * go. Kept so that per-page step is real work that cannot be optimised away.
 */
const pageList = new Float64Array(512);

/** Takes one pin on frames [frame, frame + n) of the region: per page, a page-list store; per folio, one refcount add. */
export function pinFrames(region: HostRegion, frame: number, n: number, c: PinCounters): void {
  const pins = region.pins;
  const shift = region.folioShift;
  const end = frame + n;
  if (shift === 0) {
    for (let f = frame; f < end; f++) {
      pageList[f & 511] = f;
      pins[f]++;
    }
  } else {
    let f = frame;
    while (f < end) {
      const folio = f >>> shift;
      const stop = Math.min(end, (folio + 1) * 2 ** shift);
      for (let g = f; g < stop; g++) pageList[g & 511] = g;
      pins[folio] += stop - f;
      f = stop;
    }
  }
  c.pagesPinned += n;
}

/**
 * Drops one pin on frames [frame, frame + n), dirtying them first if `dirty`:
 * vhost_vdpa_pa_unmap calls set_page_dirty_lock and unpin_user_page per page,
 * and each call lands on the page's folio.
 */
export function unpinFrames(region: HostRegion, frame: number, n: number, dirty: boolean, c: PinCounters): void {
  const pins = region.pins;
  const marks = region.dirty;
  const shift = region.folioShift;
  const end = frame + n;
  let f = frame;
  while (f < end) {
    const folio = f >>> shift;
    const stop = Math.min(end, (folio + 1) * 2 ** shift);
    let count = pins[folio];
    if (dirty) for (let g = f; g < stop; g++) marks[folio] = 1, count--;
    else for (let g = f; g < stop; g++) count--;
    pins[folio] = count;
    f = stop;
  }
  if (dirty) c.pagesDirtied += n;
  c.pagesUnpinned += n;
}
