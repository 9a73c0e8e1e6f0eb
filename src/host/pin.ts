/**
 * Per-page pin work on the frame table: the cost the lab exists to expose.
 * pin_user_pages(FOLL_LONGTERM) takes one pin per page; unpin_user_page drops
 * it, after set_page_dirty_lock for writable maps (vhost_vdpa_pa_unmap).
 * Plain (non-atomic) writes: one writer per frame range at a time.
 */
import type { HostRegion } from './region.js';

export interface PinCounters {
  pinCalls: number;
  /**
   * gup steps of the pin calls: each one page-table walk (follow_page_mask)
   * and one reference grab (try_grab_folio) for the pages it covers. One per
   * 4 KiB page on 4k, and on THP where the kernel walks per page (before
   * v6.5); one per huge page a call covers on hugetlb, and on THP from v6.5.
   */
  folioGrabs: number;
  /** Pages pinned: each one page-list entry, and the per-page checks of the pin and of vhost_vdpa_pa_map's walk. */
  pagesPinned: number;
  pagesUnpinned: number;
  pagesDirtied: number;
  /** Folios a pin faulted in (first touch of memory QEMU did not preallocate). */
  faults: number;
  /** 4 KiB pages those faults zeroed (a THP fault clears 512). */
  pagesFaulted: number;
}

export function newPinCounters(): PinCounters {
  return { pinCalls: 0, folioGrabs: 0, pagesPinned: 0, pagesUnpinned: 0, pagesDirtied: 0, faults: 0, pagesFaulted: 0 };
}

/**
 * The page list of one pin call: for a large folio gup records every subpage
 * here (record_subpages), one store per page, then grabs the folio's refs in
 * one go. It is the per-page step of THP and hugetlb pinning; on 4k the pin
 * count of the one-page folio is.
 */
const pageList = new Float64Array(512);

/** Takes one pin on frames [frame, frame + n) of the region: per page a pin count (4k) or a page-list store (large folios, plus one refcount add per folio). */
export function pinFrames(region: HostRegion, frame: number, n: number, c: PinCounters): void {
  const pins = region.pins;
  const shift = region.folioShift;
  const end = frame + n;
  if (shift === 0) {
    // One-page folios: the pin count itself is the per-page step.
    for (let f = frame; f < end; f++) pins[f]++;
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
  if (shift === 0) {
    // Single pages (one entry per page on fragmented 4k) are the common call: no fill() call for them.
    if (dirty) for (let f = frame; f < end; f++) marks[f] = 1;
    for (let f = frame; f < end; f++) pins[f]--;
    if (dirty) c.pagesDirtied += n;
    c.pagesUnpinned += n;
    return;
  }
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

/**
 * Pins pages [idx, idx + n) of the region, in address order, as
 * pin_user_pages walks them: one step per page whatever the physical layout.
 * Where every page is its own run (4k, mean run 1) the frames of a chunk
 * descend, so a whole chunk is one tight loop rather than a call per page.
 */
export function pinPages(region: HostRegion, idx: number, n: number, c: PinCounters): void {
  const layout = region.layout;
  const end = idx + n;
  if (layout.singlePageRuns) {
    const pins = region.pins;
    const cp = layout.chunkPages;
    while (idx < end) {
      const top = layout.frameOf(idx);
      const len = Math.min(end - idx, cp - (idx % cp));
      for (let f = top; f > top - len; f--) pins[f]++;
      idx += len;
    }
    c.pagesPinned += n;
    return;
  }
  while (idx < end) {
    const frame = layout.frameOf(idx);
    const len = Math.min(layout.runLeft, end - idx);
    pinFrames(region, frame, len, c);
    idx += len;
  }
}

/** Unpins pages [idx, idx + n) of the region in address order (the inverse of pinPages). */
export function unpinPages(region: HostRegion, idx: number, n: number, dirty: boolean, c: PinCounters): void {
  const layout = region.layout;
  const end = idx + n;
  if (layout.singlePageRuns) {
    const pins = region.pins;
    const marks = region.dirty;
    const cp = layout.chunkPages;
    while (idx < end) {
      const top = layout.frameOf(idx);
      const len = Math.min(end - idx, cp - (idx % cp));
      // set_page_dirty_lock on each page of the run, then each unpin.
      if (dirty) marks.fill(1, top - len + 1, top + 1);
      for (let f = top; f > top - len; f--) pins[f]--;
      idx += len;
    }
    if (dirty) c.pagesDirtied += n;
    c.pagesUnpinned += n;
    return;
  }
  while (idx < end) {
    const frame = layout.frameOf(idx);
    const len = Math.min(layout.runLeft, end - idx);
    unpinFrames(region, frame, len, dirty, c);
    idx += len;
  }
}
