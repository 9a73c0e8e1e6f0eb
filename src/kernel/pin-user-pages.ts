/**
 * pin_user_pages(FOLL_LONGTERM) as vhost_vdpa_pa_map calls it (mm/gup.c's
 * side of a PA map), and the unpins of its error paths and of unmaps: the
 * host work of the kernel model, kept apart from the vhost-vdpa message
 * handling that drives it. One per device; its scratch tables are reused by
 * every call, as the kernel reuses its page_list.
 */
import { pinPages, unpinFrames, type HostMm, type HostRegion, type ZeroPageRules } from '../host/index.js';
import type { KernelCounters } from './counters.js';

/** pin_user_pages calls take at most one page of struct page pointers. */
export const PIN_BATCH_PAGES = 512;

export class UserPagePins {
  constructor(
    private readonly mm: HostMm,
    private readonly counters: KernelCounters,
    /** The kernel's fault rules: v6.2+ R/O pins unshare the zero page, v6.13+ huge zero PMDs become THPs (page-states.ts). */
    private readonly rules: ZeroPageRules,
    /** v6.5+: a PMD-mapped THP is one gup step per call, not one per 4 KiB page (versions.ts, thpPinBatch). */
    private readonly thpPinBatch: boolean,
  ) {}

  /**
   * gup steps (page-table walk + try_grab_folio) for pages [idx, end) of a
   * region: __get_user_pages steps page_increm = the rest of the folio (capped
   * by the call) where follow_page_mask reports a huge mapping and the kernel
   * uses it, else one page. Folio boundaries are chunk boundaries of the
   * region (backing.ts), so they are counted on the region's page indices.
   */
  private grabSteps(vma: HostRegion, idx: number, end: number): number {
    const shift = vma.folioShift;
    if (shift === 0 || (vma.spec.backing === 'thp' && !this.thpPinBatch)) return end - idx;
    return Math.floor((end - 1) / 2 ** shift) - Math.floor(idx / 2 ** shift) + 1;
  }

  /** Scratch list of pinned segments for one pin_user_pages call. */
  readonly segments = {
    pfn: new Float64Array(PIN_BATCH_PAGES),
    len: new Int32Array(PIN_BATCH_PAGES),
    region: new Array<HostRegion>(PIN_BATCH_PAGES),
    frame: new Float64Array(PIN_BATCH_PAGES),
    pages: 0,
  };

  /**
   * pin_user_pages(FOLL_LONGTERM) over [page, page + count): pins frame by
   * frame, stopping at the first page no VMA covers. Fills `seg` with the
   * physically contiguous segments; returns how many, seg.pages = pages pinned.
   */
  pin(page: number, count: number, pinnedAheadUntil: number, write: boolean): number {
    const seg = this.segments;
    let n = 0;
    let done = 0;
    while (done < count) {
      const vma = this.mm.findVma(page + done);
      if (!vma || vma.startPage > page + done) break;
      const layout = vma.layout;
      let idx = page + done - vma.startPage;
      const end = Math.min(vma.pages, idx + (count - done));
      // Pin the piece (per-page work; not what was pinned ahead), then list its physically contiguous runs.
      const from = Math.max(idx, pinnedAheadUntil - vma.startPage);
      if (from < end) pinPages(vma, from, end - from, this.counters);
      // Pages with nothing (or the zero page, or a read-only PTE) behind them fault first (faultin_page).
      const faulted = vma.frames.pin(idx, end - idx, write, this.rules);
      if (end > idx) this.counters.folioGrabs += this.grabSteps(vma, idx, end);
      this.counters.faults += faulted.folios;
      this.counters.pagesFaulted += faulted.pages;
      if (layout.singlePageRuns) {
        // Every page its own run, frames descending within a chunk: list a
        // chunk's pages in one loop instead of a frameOf call per page.
        const cp = layout.chunkPages;
        const pfnBase = vma.pfnBase;
        while (idx < end) {
          const top = layout.frameOf(idx);
          const len = Math.min(end - idx, cp - (idx % cp));
          for (let j = 0; j < len; j++, n++) {
            seg.region[n] = vma;
            seg.frame[n] = top - j;
            seg.pfn[n] = pfnBase + top - j;
            seg.len[n] = 1;
          }
          idx += len;
          done += len;
        }
        continue;
      }
      while (idx < end) {
        const frame = layout.frameOf(idx);
        const len = Math.min(layout.runLeft, end - idx);
        seg.region[n] = vma;
        seg.frame[n] = frame;
        seg.pfn[n] = vma.pfnBase + frame;
        seg.len[n] = len;
        n++;
        idx += len;
        done += len;
      }
    }
    seg.pages = done;
    return n;
  }

  unpinSegments(from: number, to: number, dirty: boolean): void {
    const seg = this.segments;
    for (let i = from; i < to; i++) unpinFrames(seg.region[i], seg.frame[i], seg.len[i], dirty, this.counters);
  }

  /** The region the last unpin landed in (the unmap loop unpins one-page entries of it inline). */
  lastUnpinRegion: HostRegion | undefined;

  unpinPfnRange(pfn: number, pages: number, dirty: boolean): void {
    while (pages > 0) {
      // Consecutive unpins land in one region: try the last one first.
      let region = this.lastUnpinRegion;
      if (!region || pfn < region.pfnBase || pfn >= region.pfnBase + region.framePages) region = this.mm.regionOfPfn(pfn);
      if (!region) return;
      this.lastUnpinRegion = region;
      const frame = pfn - region.pfnBase;
      const n = Math.min(pages, region.framePages - frame);
      unpinFrames(region, frame, n, dirty, this.counters);
      pfn += n;
      pages -= n;
    }
  }
}
