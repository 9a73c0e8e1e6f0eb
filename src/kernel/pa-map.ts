/**
 * vhost_vdpa_pa_map (drivers/vhost/vdpa.c): the PA map path of an UPDATE
 * message. It pins the user range in pin_user_pages calls, cuts the pinned
 * pages into physically contiguous runs, and maps each run as one entry
 * through the device's vhost_vdpa_map (the device owns the tables and the
 * parent; this file owns the walk, its scratch list of runs, and the
 * kernel's error path with its nchunks/map_pfn/last_pfn bookkeeping).
 */
import type { ErrnoName } from '../errors.js';
import { IotlbError } from '../errors.js';
import { U64_MAX, type RadixIotlb } from '../iotlb/index.js';
import type { HostMm } from '../host/index.js';
import type { KernelCounters } from './counters.js';
import { VHOST_ACCESS_WO } from './uapi.js';
import { PIN_BATCH_PAGES, type UserPagePins } from './pin-user-pages.js';
import type { Parent } from './parents/index.js';

/** vhost_iotlb_add_range's error (EEXIST, ENOSPC, EINVAL) as the handler returns it; anything else is a bug. */
export function addError(e: unknown): ErrnoName {
  if (e instanceof IotlbError) return e.code;
  throw e;
}

/** Maps of at least this many pages are pinned ahead by the shards, when the mm has them. */
const SHARD_MIN_PAGES = 2 ** 16;

/** What the PA walk needs from the device: its state, and the two halves of vhost_vdpa_map and vhost_vdpa_unmap. */
export interface PaMapDevice {
  readonly parent: Parent;
  readonly inBatch: boolean;
  /** vhost_vdpa_map of one page-granular run: the vhost entry, then the device op. */
  mapPages(asid: number, iotlb: RadixIotlb, iovaPage: number, pages: number, pfn: number, perm: number): ErrnoName | null;
  /** The device half of vhost_vdpa_map for an entry already added (and pinned_vm). */
  attach(asid: number, iotlb: RadixIotlb, id: number, pages: number): ErrnoName | null;
  /** vhost_vdpa_unmap: what the error path calls on the whole message range. */
  unmap(asid: number, iotlb: RadixIotlb, iova: bigint, size: bigint): void;
}

export class PaMapper {
  constructor(
    private readonly dev: PaMapDevice,
    private readonly mm: HostMm,
    private readonly counters: KernelCounters,
    private readonly pins: UserPagePins,
  ) {}

  /**
   * vhost_vdpa_pa_map, with the kernel's own variables (nchunks, map_pfn,
   * last_pfn) so its error path behaves as the kernel's does. Pins in calls of
   * PIN_BATCH_PAGES; each physically contiguous run becomes one entry.
   */
  paMap(asid: number, iotlb: RadixIotlb, iova: bigint, size: bigint, uaddr: bigint, perm: number): ErrnoName | null {
    const mm = this.mm;
    const c = this.counters;
    const dev = this.dev;
    // PFN_UP(size + page_offset) in u64: a size reaching 2^64 with the offset wraps to 0 pages, which is EINVAL.
    let npages = Number(((size + (iova & 0xfffn) + 0xfffn) & U64_MAX) >> 12n);
    if (!npages) return 'EINVAL';
    if (npages + mm.pinnedVm > mm.memlockPages) return 'ENOMEM';
    let curPage = Number(uaddr >> 12n);
    let iovaPage = Number(iova >> 12n);
    let nchunks = 0;
    let mapPfn = 0;
    let lastPfn = 0;
    let ret: ErrnoName | null = null;
    const seg = this.pins.segments;
    // Sharded pinning: helpers pin the whole range ahead; the batches below
    // then only list runs. `reached` is how far the kernel's own walk got.
    const aheadEnd = mm.pinShards && npages >= SHARD_MIN_PAGES ? curPage + mm.pinShards.pinAhead(curPage, npages, c) : 0;
    let reached = curPage;
    out: {
      while (npages) {
        const sz2pin = Math.min(npages, PIN_BATCH_PAGES);
        c.pinCalls++;
        // FOLL_WRITE only for a writable map (perm & VHOST_ACCESS_WO): it decides what a first touch faults in.
        const n = this.pins.pin(curPage, sz2pin, aheadEnd, (perm & VHOST_ACCESS_WO) !== 0);
        const pinned = seg.pages;
        reached = curPage + pinned;
        if (pinned !== sz2pin) {
          // pin_user_pages stopped at a hole: nothing pinned is -EFAULT,
          // a short pin is undone and reported as ENOMEM.
          this.pins.unpinSegments(0, n, false);
          ret = pinned === 0 ? 'EFAULT' : 'ENOMEM';
          break out;
        }
        nchunks++;
        if (!lastPfn) mapPfn = seg.pfn[0];
        // The kernel maps each run as the walk closes it; here the runs a
        // page_list closes are listed first, then mapped in one go (mapRuns).
        const listNchunks = nchunks;
        const listIovaPage = iovaPage;
        const runs = this.runs;
        let closed = 0;
        for (let i = 0; i < n; i++) {
          const thisPfn = seg.pfn[i];
          if (lastPfn && thisPfn !== lastPfn + 1) {
            const csize = lastPfn - mapPfn + 1;
            runs.pages[closed] = csize;
            runs.pfn[closed] = mapPfn;
            runs.seg[closed] = i;
            closed++;
            mapPfn = thisPfn;
            iovaPage += csize;
            nchunks = 0;
          }
          lastPfn = thisPfn + seg.len[i] - 1;
        }
        const mapped = closed ? this.mapRuns(asid, iotlb, listIovaPage, closed, perm) : 0;
        if (mapped < closed) {
          // Back to the kernel's state when run `mapped` failed: nchunks was
          // still set only if it was the page_list's first map.
          ret = this.runs.error;
          nchunks = mapped === 0 ? listNchunks : 0;
          mapPfn = runs.pfn[mapped];
          lastPfn = mapPfn + runs.pages[mapped] - 1;
          // Unpin what is left unmapped in this page_list.
          this.pins.unpinSegments(runs.seg[mapped], n, false);
          break out;
        }
        curPage += pinned;
        npages -= pinned;
      }
      const csize = lastPfn - mapPfn + 1;
      ret = dev.mapPages(asid, iotlb, iovaPage, csize, mapPfn, perm);
    }
    if (ret) {
      // Pages pinned ahead that the walk never reached were never pinned for the kernel.
      if (aheadEnd > reached) mm.pinShards!.unpinAhead(reached, aheadEnd - reached, c);
      // Kernel: only `if (nchunks)` are the pinned-but-unmapped pages released.
      // After a successful map inside the same page_list nchunks is 0 and the
      // pages of the failed run stay pinned: the invariant checker reports it.
      if (nchunks) this.pins.unpinPfnRange(mapPfn, lastPfn - mapPfn + 1, false);
      dev.unmap(asid, iotlb, iova, size);
    }
    return ret;
  }

  /**
   * Maps `count` runs listed in `this.runs`, IOVA-consecutive from iovaPage,
   * exactly as `count` vhost_vdpa_map calls in a row would: each entry, then
   * its device op. Returns how many succeeded; runs.error says why the next failed.
   */
  private mapRuns(asid: number, iotlb: RadixIotlb, iovaPage: number, count: number, perm: number): number {
    const runs = this.runs;
    const dev = this.dev;
    const path = dev.parent.mapPath;
    if (path === 'set_map' && !dev.inBatch) {
      // Every map is a whole-table set_map that sees the entries before it: one by one.
      for (let k = 0; k < count; k++) {
        const r = dev.mapPages(asid, iotlb, iovaPage, runs.pages[k], runs.pfn[k], perm);
        if (r) return (runs.error = r), k;
        iovaPage += runs.pages[k];
      }
      return count;
    }
    const added = iotlb.addPageRuns(iovaPage, count, runs.pages, runs.pfn, perm, runs.ids);
    if (path === 'set_map') {
      // Inside a batch the device op is deferred to BATCH_END: only the accounting is per entry.
      let pages = 0;
      for (let k = 0; k < added; k++) pages += runs.pages[k];
      this.counters.iotlbInserts += added;
      this.mm.pinnedVm += pages;
    } else {
      for (let k = 0; k < added; k++) {
        const r = dev.attach(asid, iotlb, runs.ids[k], runs.pages[k]);
        if (r) {
          // attach took entry k back; the ones after it were added ahead of
          // the kernel, which never got to them: take them back unseen.
          for (let j = added - 1; j > k; j--) iotlb.removeId(runs.ids[j]);
          runs.error = r;
          return k;
        }
      }
    }
    if (added < count) runs.error = addError(iotlb.batchError);
    return added;
  }

  /** Scratch list of the runs one page_list closes (mapRuns' input). */
  private readonly runs = {
    pages: new Int32Array(PIN_BATCH_PAGES),
    pfn: new Float64Array(PIN_BATCH_PAGES),
    /** Index of the segment that closed the run (where the kernel's walk was). */
    seg: new Int32Array(PIN_BATCH_PAGES),
    ids: new Int32Array(PIN_BATCH_PAGES),
    error: 'EINVAL' as ErrnoName,
  };
}
