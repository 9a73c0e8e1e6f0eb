/**
 * Whole-tree copies of the radix IOTLB: copyFrom (one memcpy per buffer),
 * shareFrom (a set_map copy that reads the source's records in place until
 * either side changes) and reset, with the bookkeeping that keeps a shared
 * record alive: the source parks the ids it frees (pools.ts) until every
 * copy reading them lets go.
 */
import * as layout from './layout.js';
import { RadixSurgery } from './tree-surgery.js';

// Module-local copies of the layout constants and control-block indexes:
// in optimized code V8 (Node 20) reloads an imported binding, or a property
// of an imported object, on every use, but folds a module-local const to its
// value. On the hot paths that was a fifth of a whole-page insert (measured).
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

export class RadixSharing extends RadixSurgery {
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

  /** The tree whose records this one reads (set by shareFrom), if any. */
  protected recordSource: RadixSharing | undefined;

  /** This tree's own record buffer, while it reads another's (free() swaps it with the rest). */
  protected ownRec: SharedArrayBuffer = this.buffers.rec;

  /** The tree whose records this one reads (shareFrom), or undefined. */
  get sharesRecordsOf(): RadixSharing | undefined {
    return this.recordSource;
  }

  /**
   * Makes this tree a copy of `src`, as copyFrom, that reads src's entry
   * records in place instead of copying them: O(node slots), not
   * O(32 bytes per entry). Falls back to copyFrom when this tree's buffers
   * went to another thread, or src itself reads another tree's records.
   */
  shareFrom(src: RadixSharing): void {
    this.mustNotBeShared();
    if (this.exported || src === this || src.recordSource) {
      this.copyFrom(src);
      return;
    }
    this.letGoOfRecords();
    this.beginWrite();
    this.copyNodes(src);
    // src's free list runs through src's records: this tree has none of its own.
    this.ctl[CTL_FREE_ENTRY] = 0;
    this.recordSource = src;
    src.sharers++;
    this.buffers.rec = src.buffers.rec;
    this.refreshViews();
    this.endWrite();
  }

  /**
   * Makes this tree an exact copy of `src` (limits aside): one memcpy per
   * buffer, O(bytes). What a parent's set_map does entry by entry
   * (vdpasim_set_map: reset, then add_range per entry); the caller counts
   * the entries walked.
   */
  copyFrom(src: RadixSharing): void {
    // A copy of itself is what it already is. (Going on would let go of
    // records this tree reads from another, then copy from its own buffer.)
    if (src === this) return;
    this.mustNotBeShared();
    this.letGoOfRecords();
    this.beginWrite();
    const entriesTop = src.ctl[CTL_ENTRIES_TOP];
    if (entriesTop * REC_WORDS > this.rec.length) this.ensure('rec', entriesTop * ENTRY_BYTES);
    this.rec.set(src.rec.subarray(0, entriesTop * REC_WORDS));
    this.copyNodes(src);
    this.ctl[CTL_FREE_ENTRY] = src.ctl[CTL_FREE_ENTRY];
    this.endWrite();
  }

  /** Copies src's node slots, buckets and pool tops (not its records, nor their free list), inside a write section. */
  protected copyNodes(src: RadixSharing): void {
    this.leafBlock = -1;
    this.midBlock = -1;
    const c = src.ctl;
    const slotsTop = c[CTL_SLOTS_TOP];
    const bucketsTop = c[CTL_BUCKETS_TOP];
    if (slotsTop > this.slots.length) this.ensure('slots', slotsTop * 4);
    if (bucketsTop > this.bEntry.length) {
      this.ensure('bEntry', bucketsTop * 4);
      this.ensure('bNext', bucketsTop * 4);
    }
    this.slots.set(src.slots.subarray(0, slotsTop));
    this.bEntry.set(src.bEntry.subarray(0, bucketsTop));
    this.bNext.set(src.bNext.subarray(0, bucketsTop));
    for (const f of [CTL_COUNT, CTL_SLOTS_TOP, CTL_ENTRIES_TOP, CTL_BUCKETS_TOP, CTL_FREE_BUCKET, CTL_FREE_NODE_17, CTL_FREE_LEAF, CTL_FREE_NODE_513]) {
      this.ctl[f] = c[f];
    }
  }

  /** Stops reading another tree's records without keeping them: the caller is about to overwrite every entry. */
  protected letGoOfRecords(): void {
    const src = this.recordSource;
    if (!src) return;
    this.recordSource = undefined;
    this.buffers.rec = this.ownRec;
    this.refreshViews();
    src.releaseRecords();
  }

  /** Copies the records this tree reads from another into its own buffer, then lets go of them. */
  protected ownRecords(): void {
    const src = this.recordSource!;
    const top = this.ctl[CTL_ENTRIES_TOP];
    const theirs = src.rec.subarray(0, top * REC_WORDS);
    this.recordSource = undefined;
    this.buffers.rec = this.ownRec;
    this.refreshViews();
    if (top * REC_WORDS > this.rec.length) this.ensure('rec', top * ENTRY_BYTES);
    this.rec.set(theirs);
    src.releaseRecords();
  }

  /** One sharer let go; when none is left, parked ids become reusable. */
  protected releaseRecords(): void {
    if (--this.sharers > 0) return;
    const c = this.ctl;
    if (c[CTL_COUNT] === 0) {
      // Empty: start the pool afresh, so the next maps allocate in order.
      c[CTL_ENTRIES_TOP] = 1;
      c[CTL_FREE_ENTRY] = 0;
    } else {
      // (A reset while shared emptied `parked`: each id is freed once.)
      for (let id = 1; id < this.parkedBelow; id++) this.freeEntry(id);
      for (const id of this.parked) this.freeEntry(id);
    }
    this.parked = [];
    this.parkedBelow = 0;
  }

  /** A tree whose records another reads cannot be copied over (the reader would lose them). */
  protected mustNotBeShared(): void {
    if (this.sharers > 0) throw new Error('internal: a tree whose records another reads cannot be copied over');
  }

  /** Empties the tree (vhost_iotlb_reset). Buffers keep their capacity. */
  reset(): void {
    this.letGoOfRecords();
    this.beginWrite();
    this.initEmpty();
    this.endWrite();
  }
}
