/**
 * The delete paths of the radix IOTLB, page-number API: deletes gather the
 * doomed entries in one ordered walk (radix-view.ts), hand them to the
 * caller a batch at a time while they can still be read, then clear the
 * pages between the batch's ends subtree by subtree (tree-surgery.ts).
 */
import * as layout from './layout.js';
import { RadixInserts } from './insert-paths.js';
import { newGatherBatch, type GatherBatch } from './query-walks.js';

/**
 * Receives a batch of entries in IOVA order: ids[0..n) and, beside each,
 * its leaf translation word and page (GatherBatch in query-walks.ts; the
 * word is 0 unless the entry is one whole page answered from a leaf).
 */
export type BatchSink = (ids: Int32Array, n: number, xlat: Int32Array, pages: Float64Array, counts?: Int32Array) => void;

/** A run-mode batch's receiver: as BatchSink, and counts[k] one-page entries behind item k (GatherBatch.counts). */
export type RunSink = (ids: Int32Array, n: number, xlat: Int32Array, pages: Float64Array, counts: Int32Array) => void;

// Module-local copies of the layout constants and control-block indexes:
// in optimized code V8 (Node 20) reloads an imported binding, or a property
// of an imported object, on every use, but folds a module-local const to its
// value. On the hot paths that was a fifth of a whole-page insert (measured).
const {
  CTL,
  MAX_PAGE,
  PAGE_SIZE,
  TOP_LEVEL,
} = layout;
const {
  COUNT: CTL_COUNT,
} = CTL;
/** Entries per gathered batch. */
const BATCH = 65536;
/** A delete over at least this many pages first checks whether it takes every entry. */
const BULK_DELETE_MIN_PAGES = 1024;

export class RadixDeletes extends RadixInserts {
  /** Removes one entry by id. */
  removeId(id: number): void {
    if (this.recordSource) this.ownRecords();
    this.beginWrite();
    this.removeIdLocked(id);
    this.endWrite();
  }

  /** removeId inside a write section the caller holds. */
  protected removeIdLocked(id: number): void {
    const sp = this.startPage(id);
    const lp = this.lastPage(id);
    if (sp === lp) this.removeOnePage(sp, id);
    else this.removeFrom(0, TOP_LEVEL, 0, sp, lp, id);
    this.freeEntry(id);
    this.ctl[CTL_COUNT]--;
  }

  /**
   * Removes every entry overlapping [(sp,so), (lp,lo)]; calls `each(id)` just
   * before an entry goes, so callers can read it (e.g. to unpin its pages).
   */
  deleteParts(sp: number, so: number, lp: number, lo: number, each?: (id: number) => void): number {
    return this.deleteBatches(sp, so, lp, lo, each ? (ids, n) => {
      for (let k = 0; k < n; k++) each(ids[k]);
    } : undefined);
  }

  /**
   * deleteParts, handing the doomed entries to `sink(ids, n)` a batch at a
   * time, in IOVA order, while they can still be read. Returns how many went.
   */
  deleteBatches(sp: number, so: number, lp: number, lo: number, sink?: BatchSink): number {
    if (lp < sp || (lp === sp && lo < so)) return 0;
    if (this.recordSource) this.ownRecords();
    if (sp === lp) return this.deleteInPage(sp, so, lo, sink);
    if (lp - sp >= BULK_DELETE_MIN_PAGES && this.coversAll(sp, so, lp, lo)) {
      // Unmapping a whole section often takes every entry left: visit them in
      // order, then empty the tree in one step instead of entry by entry.
      const n = this.count;
      if (sink) this.batchesOf(sp, so, lp, lo, this.idBatch, sink);
      this.reset();
      return n;
    }
    let removed = 0;
    const batch = this.idBatch;
    for (;;) {
      // Gather ids in one ordered walk, then remove them together. What is
      // left of the range starts after them, so the same query finds it.
      const n = this.gatherOverlapping(sp, so, lp, lo, batch);
      if (n === 0) break;
      sink?.(batch.ids, n, batch.xlat, batch.pages);
      this.removeGathered(batch.ids, n);
      removed += n;
      if (n < batch.ids.length) break;
    }
    // Empty again: start the pools afresh, so the next maps allocate in order.
    if (removed && this.count === 0) this.reset();
    return removed;
  }

  /**
   * deleteBatches within one page (a DMA unmap of one page, a bench delete):
   * one iterative descent per entry instead of a gathering walk.
   */
  protected deleteInPage(page: number, so: number, lo: number, sink?: BatchSink): number {
    let removed = 0;
    for (let id = this.findFrom(page, so, page, lo); id; id = this.findFrom(page, so, page, lo)) {
      if (sink) {
        const one = this.oneBatch;
        one.ids[0] = id;
        one.xlat[0] = 0; // (the sink reads the record)
        sink(one.ids, 1, one.xlat, one.pages);
      }
      this.removeId(id);
      removed++;
    }
    if (removed && this.count === 0) this.reset();
    return removed;
  }

  /**
   * Removes entries gathered by one ordered walk (every entry overlapping the
   * query between ids[0] and ids[n-1]). Entries touching the pages strictly
   * between ids[0]'s last page and ids[n-1]'s first are then exactly the
   * gathered ones lying within those pages: those go by clearing the pages'
   * slots, subtrees at once. The rest (the two ends, and byte-granular
   * entries sharing their pages) go one by one.
   */
  protected removeGathered(ids: Int32Array, n: number): void {
    this.beginWrite();
    try {
      const innerFirst = this.lastPage(ids[0]) + 1;
      const innerLast = n > 1 ? this.startPage(ids[n - 1]) - 1 : -1;
      let inner = 0;
      for (let k = 0; k < n; k++) {
        const id = ids[k];
        if (this.startPage(id) < innerFirst || this.lastPage(id) > innerLast) this.removeIdLocked(id);
        else inner++;
      }
      if (inner) {
        this.lastDropped = 0;
        this.clearIn(0, TOP_LEVEL, 0, innerFirst, innerLast);
      }
    } finally {
      this.endWrite();
    }
  }

  /** Gathers the entries overlapping [(sp,so), (lp,lo)] into `out`, batch after batch, and hands each to `visit`. */
  protected batchesOf(sp: number, so: number, lp: number, lo: number, out: GatherBatch, visit: BatchSink): void {
    for (;;) {
      const n = this.gatherOverlapping(sp, so, lp, lo, out);
      if (n === 0) return;
      // Where the next batch starts: just past the last entry gathered (in run mode, the run's last page).
      const last = out.ids[n - 1];
      const run = out.counts === undefined ? 1 : out.counts[n - 1];
      let p = run > 1 ? out.pages[n - 1] + run - 1 : this.lastPage(last);
      let o = run > 1 ? PAGE_SIZE : this.lastOff(last) + 1;
      visit(out.ids, n, out.xlat, out.pages, out.counts);
      if (n < out.ids.length) return;
      if (o === PAGE_SIZE) {
        if (p === MAX_PAGE) return;
        p += 1;
        o = 0;
      }
      if (p > lp || (p === lp && o > lo)) return;
      sp = p;
      so = o;
    }
  }

  /**
   * Scratch for deletes and for forEachBatch: entries gathered per walk
   * (two, so a visit may delete from another tree), made on first use
   * (1 MiB each; most trees of a sweep never walk).
   */
  protected get idBatch(): GatherBatch {
    return (this.idScratch ??= newGatherBatch(BATCH));
  }
  protected get walkBatch(): GatherBatch {
    return (this.walkScratch ??= newGatherBatch(BATCH));
  }
  protected get runBatch(): GatherBatch {
    return (this.runScratch ??= newGatherBatch(BATCH, true));
  }
  private runScratch: GatherBatch | undefined;
  private idScratch: GatherBatch | undefined;
  private walkScratch: GatherBatch | undefined;
  private readonly oneBatch = newGatherBatch(1);
}
