/**
 * Whole-tree copies of the radix IOTLB: copyFrom (one memcpy per buffer),
 * shareFrom (a set_map copy that reads the source's records in place until
 * either side changes) and reset, with the bookkeeping that keeps a shared
 * record alive: the source parks the ids it frees (pools.ts) until every
 * copy reading them lets go.
 */
import * as layout from './layout.js';
import { ensure, freeEntry, initEmpty } from './pools.js';
import { beginWrite, endWrite } from './seqlock.js';
import { refreshViews, type Tree } from './tree.js';

// Module-local copies of the layout constants and control-block indexes (tree.ts on why).
const {
  CTL,
  ENTRY_BYTES,
  REC_WORDS,
} = layout;
const {
  COUNT: CTL_COUNT,
  SLOTS_TOP: CTL_SLOTS_TOP,
  ENTRIES_TOP: CTL_ENTRIES_TOP,
  BUCKETS_TOP: CTL_BUCKETS_TOP,
  FREE_ENTRY: CTL_FREE_ENTRY,
  FREE_BUCKET: CTL_FREE_BUCKET,
  FREE_NODE_17: CTL_FREE_NODE_17,
  FREE_LEAF: CTL_FREE_LEAF,
  FREE_NODE_513: CTL_FREE_NODE_513,
} = CTL;

// ====== set_map copies that read the source's records (shareFrom) ======
//
// A parent's set_map copies the whole vhost table into the device's own
// (vdpasim_set_map, mlx5's MR). For a 4k-fragmented 128 GiB guest that is
// 32 M records, 1 GiB of new memory, on every boot, and each first touch
// of it is a page fault (the largest single cost of such a cell here).
// Records never change while their entry lives, so the copy takes the
// source's node slots and buckets and reads the records where they are;
// the source parks the ids it frees meanwhile (no reuse, no free-list
// link written into them) until the copy lets go: on its next write,
// reset, copy or share. What either tree answers is unchanged.

/**
 * Makes this tree a copy of `src`, as copyFrom, that reads src's entry
 * records in place instead of copying them: O(node slots), not
 * O(32 bytes per entry). Falls back to copyFrom when this tree's buffers
 * went to another thread, or src itself reads another tree's records.
 */
export function shareFrom(t: Tree, src: Tree): void {
  mustNotBeShared(t);
  if (t.exported || src === t || src.recordSource) {
    copyFrom(t, src);
    return;
  }
  letGoOfRecords(t);
  beginWrite(t);
  copyNodes(t, src);
  // src's free list runs through src's records: this tree has none of its own.
  t.ctl[CTL_FREE_ENTRY] = 0;
  t.recordSource = src;
  src.sharers++;
  t.buffers.rec = src.buffers.rec;
  refreshViews(t);
  endWrite(t);
}

/**
 * Makes this tree an exact copy of `src` (limits aside): one memcpy per
 * buffer, O(bytes). What a parent's set_map does entry by entry
 * (vdpasim_set_map: reset, then add_range per entry); the caller counts
 * the entries walked.
 */
export function copyFrom(t: Tree, src: Tree): void {
  // A copy of itself is what it already is. (Going on would let go of
  // records this tree reads from another, then copy from its own buffer.)
  if (src === t) return;
  mustNotBeShared(t);
  letGoOfRecords(t);
  beginWrite(t);
  const entriesTop = src.ctl[CTL_ENTRIES_TOP];
  if (entriesTop * REC_WORDS > t.rec.length) ensure(t, 'rec', entriesTop * ENTRY_BYTES);
  t.rec.set(src.rec.subarray(0, entriesTop * REC_WORDS));
  copyNodes(t, src);
  t.ctl[CTL_FREE_ENTRY] = src.ctl[CTL_FREE_ENTRY];
  endWrite(t);
}

/** Copies src's node slots, buckets and pool tops (not its records, nor their free list), inside a write section. */
export function copyNodes(t: Tree, src: Tree): void {
  t.leafBlock = -1;
  t.midBlock = -1;
  const c = src.ctl;
  const slotsTop = c[CTL_SLOTS_TOP];
  const bucketsTop = c[CTL_BUCKETS_TOP];
  if (slotsTop > t.slots.length) ensure(t, 'slots', slotsTop * 4);
  if (bucketsTop > t.bEntry.length) {
    ensure(t, 'bEntry', bucketsTop * 4);
    ensure(t, 'bNext', bucketsTop * 4);
  }
  t.slots.set(src.slots.subarray(0, slotsTop));
  t.bEntry.set(src.bEntry.subarray(0, bucketsTop));
  t.bNext.set(src.bNext.subarray(0, bucketsTop));
  for (const f of [CTL_COUNT, CTL_SLOTS_TOP, CTL_ENTRIES_TOP, CTL_BUCKETS_TOP, CTL_FREE_BUCKET, CTL_FREE_NODE_17, CTL_FREE_LEAF, CTL_FREE_NODE_513]) {
    t.ctl[f] = c[f];
  }
}

/** Stops reading another tree's records without keeping them: the caller is about to overwrite every entry. */
export function letGoOfRecords(t: Tree): void {
  const src = t.recordSource;
  if (!src) return;
  t.recordSource = undefined;
  t.buffers.rec = t.ownRec;
  refreshViews(t);
  releaseRecords(src);
}

/** Copies the records this tree reads from another into its own buffer, then lets go of them. */
export function ownRecords(t: Tree): void {
  const src = t.recordSource!;
  const top = t.ctl[CTL_ENTRIES_TOP];
  const theirs = src.rec.subarray(0, top * REC_WORDS);
  t.recordSource = undefined;
  t.buffers.rec = t.ownRec;
  refreshViews(t);
  if (top * REC_WORDS > t.rec.length) ensure(t, 'rec', top * ENTRY_BYTES);
  t.rec.set(theirs);
  releaseRecords(src);
}

/** One sharer let go; when none is left, parked ids become reusable. */
export function releaseRecords(t: Tree): void {
  if (--t.sharers > 0) return;
  const c = t.ctl;
  if (c[CTL_COUNT] === 0) {
    // Empty: start the pool afresh, so the next maps allocate in order.
    c[CTL_ENTRIES_TOP] = 1;
    c[CTL_FREE_ENTRY] = 0;
  } else {
    // (A reset while shared emptied `parked`: each id is freed once.)
    for (let id = 1; id < t.parkedBelow; id++) freeEntry(t, id);
    for (const id of t.parked) freeEntry(t, id);
  }
  t.parked = [];
  t.parkedBelow = 0;
}

/** A tree whose records another reads cannot be copied over (the reader would lose them). */
export function mustNotBeShared(t: Tree): void {
  if (t.sharers > 0) throw new Error('internal: a tree whose records another reads cannot be copied over');
}

/** Empties the tree (vhost_iotlb_reset). Buffers keep their capacity. */
export function reset(t: Tree): void {
  letGoOfRecords(t);
  beginWrite(t);
  initEmpty(t);
  endWrite(t);
}
