/**
 * The delete paths of the radix IOTLB, page-number API: deletes gather the
 * doomed entries in one ordered walk (query-walks.ts), hand them to the
 * caller a batch at a time while they can still be read, then clear the
 * pages between the batch's ends subtree by subtree (tree-surgery.ts).
 */
import * as layout from './layout.js';
import { freeEntry } from './pools.js';
import { findFrom, gatherOverlapping } from './query-walks.js';
import { ownRecords, reset } from './record-sharing.js';
import { beginWrite, endWrite } from './seqlock.js';
import { clearIn, coversAll, removeFrom, removeOnePage } from './tree-surgery.js';
import { lastOff, lastPage, newGatherBatch, startPage, type GatherBatch, type Tree } from './tree.js';

/**
 * Receives a batch of entries in IOVA order: ids[0..n) and, beside each,
 * its leaf translation word and page (GatherBatch in tree.ts; the
 * word is 0 unless the entry is one whole page answered from a leaf).
 */
export type BatchSink = (ids: Int32Array, n: number, xlat: Int32Array, pages: Float64Array, counts?: Int32Array) => void;

/** A run-mode batch's receiver: as BatchSink, and counts[k] one-page entries behind item k (GatherBatch.counts). */
export type RunSink = (ids: Int32Array, n: number, xlat: Int32Array, pages: Float64Array, counts: Int32Array) => void;

// Module-local copies of the layout constants and control-block indexes (tree.ts on why).
const {
  CTL,
  MAX_PAGE,
  PAGE_OFFSET_MASK,
  PAGE_SIZE,
  REC_WORDS,
  TOP_LEVEL,
} = layout;
const {
  COUNT: CTL_COUNT,
} = CTL;
/** Entries per gathered batch. */
const BATCH = 65536;
/** A delete over at least this many pages first checks whether it takes every entry. */
const BULK_DELETE_MIN_PAGES = 1024;

/** Removes one entry by id. */
export function removeId(t: Tree, id: number): void {
  if (t.recordSource) ownRecords(t);
  beginWrite(t);
  removeIdLocked(t, id);
  endWrite(t);
}

/** removeId inside a write section the caller holds. */
function removeIdLocked(t: Tree, id: number): void {
  const sp = startPage(t, id);
  const lp = lastPage(t, id);
  if (sp === lp) removeOnePage(t, sp, id);
  else removeFrom(t, 0, TOP_LEVEL, 0, sp, lp, id);
  freeEntry(t, id);
  t.ctl[CTL_COUNT]--;
}

/**
 * Removes every entry overlapping [(sp,so), (lp,lo)]; calls `each(id)` just
 * before an entry goes, so callers can read it (e.g. to unpin its pages).
 */
export function deleteParts(t: Tree, sp: number, so: number, lp: number, lo: number, each?: (id: number) => void): number {
  return deleteBatches(t, sp, so, lp, lo, each ? (ids, n) => {
    for (let k = 0; k < n; k++) each(ids[k]);
  } : undefined);
}

/**
 * deleteParts, handing the doomed entries to `sink(ids, n)` a batch at a
 * time, in IOVA order, while they can still be read. Returns how many went.
 */
export function deleteBatches(t: Tree, sp: number, so: number, lp: number, lo: number, sink?: BatchSink): number {
  if (lp < sp || (lp === sp && lo < so)) return 0;
  if (t.recordSource) ownRecords(t);
  if (sp === lp) return deleteInPage(t, sp, so, lo, sink);
  if (lp - sp >= BULK_DELETE_MIN_PAGES && coversAll(t, sp, so, lp, lo)) {
    // Unmapping a whole section often takes every entry left: visit them in
    // order, then empty the tree in one step instead of entry by entry.
    const n = t.ctl[CTL_COUNT];
    if (sink) batchesOf(t, sp, so, lp, lo, idBatch(t), sink);
    reset(t);
    return n;
  }
  let removed = 0;
  const batch = idBatch(t);
  for (;;) {
    // Gather ids in one ordered walk, then remove them together. What is
    // left of the range starts after them, so the same query finds it.
    const n = gatherOverlapping(t, sp, so, lp, lo, batch);
    if (n === 0) break;
    sink?.(batch.ids, n, batch.xlat, batch.pages);
    removeGathered(t, batch.ids, n);
    removed += n;
    if (n < batch.ids.length) break;
  }
  // Empty again: start the pools afresh, so the next maps allocate in order.
  if (removed && t.ctl[CTL_COUNT] === 0) reset(t);
  return removed;
}

/**
 * deleteBatches within one page (a DMA unmap of one page, a bench delete):
 * one iterative descent per entry instead of a gathering walk.
 */
function deleteInPage(t: Tree, page: number, so: number, lo: number, sink?: BatchSink): number {
  let removed = 0;
  for (let id = findFrom(t, page, so, page, lo); id; id = findFrom(t, page, so, page, lo)) {
    if (sink) {
      const one = t.oneBatch;
      one.ids[0] = id;
      one.xlat[0] = 0; // (the sink reads the record)
      sink(one.ids, 1, one.xlat, one.pages);
    }
    removeId(t, id);
    removed++;
  }
  if (removed && t.ctl[CTL_COUNT] === 0) reset(t);
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
function removeGathered(t: Tree, ids: Int32Array, n: number): void {
  beginWrite(t);
  try {
    const innerFirst = lastPage(t, ids[0]) + 1;
    const innerLast = n > 1 ? startPage(t, ids[n - 1]) - 1 : -1;
    let inner = 0;
    for (let k = 0; k < n; k++) {
      const id = ids[k];
      if (startPage(t, id) < innerFirst || lastPage(t, id) > innerLast) removeIdLocked(t, id);
      else inner++;
    }
    if (inner) {
      t.lastDropped = 0;
      clearIn(t, 0, TOP_LEVEL, 0, innerFirst, innerLast);
    }
  } finally {
    endWrite(t);
  }
}

/** Gathers the entries overlapping [(sp,so), (lp,lo)] into `out`, batch after batch, and hands each to `visit`. */
export function batchesOf(t: Tree, sp: number, so: number, lp: number, lo: number, out: GatherBatch, visit: BatchSink): void {
  for (;;) {
    const n = gatherOverlapping(t, sp, so, lp, lo, out);
    if (n === 0) return;
    // Where the next batch starts: just past the last entry gathered (in run mode, the run's last page).
    const last = out.ids[n - 1];
    const run = out.counts === undefined ? 1 : out.counts[n - 1];
    let p = run > 1 ? out.pages[n - 1] + run - 1 : lastPage(t, last);
    let o = run > 1 ? PAGE_SIZE : lastOff(t, last) + 1;
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
function idBatch(t: Tree): GatherBatch {
  return (t.idScratch ??= newGatherBatch(BATCH));
}
export function walkBatch(t: Tree): GatherBatch {
  return (t.walkScratch ??= newGatherBatch(BATCH));
}
export function runBatch(t: Tree): GatherBatch {
  return (t.runScratch ??= newGatherBatch(BATCH, true));
}

/**
 * True when both trees hold the same entries (ranges, targets, perms), ids
 * aside. Walks both in address order and compares each pair's 32-byte
 * record words directly (start, last, addr, and one word of offsets and perm).
 */
export function sameEntries(a: Tree, b: Tree): boolean {
  const n = a.ctl[CTL_COUNT];
  if (n !== b.ctl[CTL_COUNT]) return false;
  const mine = new Int32Array(n);
  let k = 0;
  batchesOf(a, 0, 0, MAX_PAGE, PAGE_OFFSET_MASK, walkBatch(a), (ids, m) => {
    mine.set(ids.subarray(0, m), k);
    k += m;
  });
  const ra = a.rec;
  const rb = b.rec;
  let i = 0;
  let same = true;
  batchesOf(b, 0, 0, MAX_PAGE, PAGE_OFFSET_MASK, walkBatch(b), (ids, m) => {
    for (let j = 0; j < m && same; j++, i++) {
      const x = REC_WORDS * mine[i];
      const y = REC_WORDS * ids[j];
      same = ra[x] === rb[y] && ra[x + 1] === rb[y + 1] && ra[x + 2] === rb[y + 2] && ra[x + 3] === rb[y + 3];
    }
  });
  return same && i === n;
}
