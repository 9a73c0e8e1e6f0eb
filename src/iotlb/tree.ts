/**
 * The radix IOTLB as one struct: the views over one tree's shared buffers
 * (layout.ts) and the writer's and readers' scalar state, in one plain
 * object. The verbs are functions over it, one module per job, as the
 * kernel's drivers/vhost/iotlb.c is one struct vhost_iotlb and a few
 * functions taking it:
 *   lookup.ts           the point lookup (the writer and readers)
 *   query-walks.ts      first overlap (itree_first/next), the gathering walk
 *   seqlock.ts          the seqlock, the writer's half and the readers'
 *   pools.ts            node/record/bucket pools, growth, parked ids
 *   tree-surgery.ts     entries into slots and out again; buckets
 *   record-sharing.ts   copyFrom, shareFrom (set_map copies), reset
 *   insert-paths.ts     addPages, addPageRuns, insertParts
 *   delete-paths.ts     removeId, deleteParts, deleteBatches, batch walks
 * RadixIotlb (radix-iotlb.ts, the writer) and IotlbReader (reader.ts, in
 * other workers) are thin classes over a Tree.
 *
 * Slot values (Int32):
 *   0   empty: no entry touches this stretch;
 *   > 0 an entry id, the ONLY entry touching this stretch (it may cover it
 *       whole: a large leaf, like an IOMMU superpage; or only part of it:
 *       a compressed path). Lookups check the entry's exact byte bounds;
 *   < 0 at level >= 1: a child node at offset -v in the slot pool;
 *       at level 0: a chain of buckets -v listing the entries that share
 *       this page, sorted by start (byte-granular entries only).
 *
 * Why one struct made in one place (newTree): every tree, the writer's and
 * every reader's, has the same hidden class, so each property load in a
 * verb is monomorphic. Hot verbs still copy what they read in a loop into
 * locals first (flatbush's habit), and re-read a view only after a call
 * that may grow its buffer (pools.ts, ensure).
 */
import type { IotlbError } from '../errors.js';
import * as layout from './layout.js';
import type { IotlbHandle } from './layout.js';

// Module-local copies of the layout constants: in optimized code V8 (Node
// 20) reloads an imported binding, or a property of an imported object, on
// every use, but folds a module-local const to its value. On the hot paths
// that was a fifth of a whole-page insert (measured).
const { CTL, META_ADDR_OFF_SCALE, META_LAST_SHIFT, META_PERM_SHIFT, PAGE_OFFSET_MASK, REC_ADDR, REC_LAST, REC_META, REC_START, TOP_LEVEL } = layout;
const CTL_GROW_EPOCH = CTL.GROW_EPOCH;

/**
 * One gathering walk's output: entry ids in IOVA order and, beside each,
 * the leaf translation word of its slot (layout.ts, LEAF_XLAT; 0 when the
 * entry is not a one-page entry answered from a leaf) and, where that word
 * is non-zero, the entry's page. A consumer of a one-page entry then reads
 * its page, target and perm from the walk, not from its 32-byte record: the
 * unmaps and set_map walks of a 128 GiB 4k guest visit 33.5 M entries each,
 * and the records are 1 GiB a pass, read once (#14, measured in README).
 */
export interface GatherBatch {
  ids: Int32Array;
  xlat: Int32Array;
  pages: Float64Array;
  /**
   * Run mode only (newGatherBatch(n, true)): item k stands for counts[k]
   * IOVA-consecutive one-page entries of one perm from pages[k] on (ids[k]
   * the first of them, xlat[k] its word); 1 for every other item. A walk
   * that only needs ranges and perms (mlx5's MR build) then makes one item
   * per run, not per entry: on a 4k guest of mean run 1, one per 32 pages
   * or more instead of three stores and a visit per page (#14).
   */
  counts: Int32Array | undefined;
}

export function newGatherBatch(n: number, runs = false): GatherBatch {
  return { ids: new Int32Array(n), xlat: new Int32Array(n), pages: new Float64Array(n), counts: runs ? new Int32Array(n) : undefined };
}

// Fixed-length views of a whole buffer (growable.ts on why fixed). Division,
// not `>> 2`: a shift works on int32, so a buffer of 2 GiB or more (a
// 256 GiB 4k guest's records) gave a negative length.
const int32View = (b: SharedArrayBuffer): Int32Array => new Int32Array(b, 0, b.byteLength / 4);
const float64View = (b: SharedArrayBuffer): Float64Array => new Float64Array(b, 0, b.byteLength / 8);

/**
 * One radix IOTLB: its shared buffers' views and the state of the verbs over
 * it. A struct: fields and a constructor that sets every one of them, no
 * methods, no subclasses.
 *
 * Why a class and not an object literal made by a factory: V8 (Node 20)
 * made the literal's boilerplate on its second use and generalized the
 * field types of its map then (node --trace-generalization), which threw
 * away every verb already optimized against the first map, mid-run; the
 * cold random delete of `bench iotlb` (1 M entries) ran at 0.45-0.8x
 * main's rate. A constructor's stores keep one map from the start, as the
 * old class chain had.
 */
export class Tree {
  // ---- the shared memory ----
  /** The buffers the views are over (a writer may point `rec` at another tree's: record-sharing.ts). */
  buffers: IotlbHandle;
  /** The control block (CTL in layout.ts); a writer moves it once, before any reader exists (RadixIotlb.handle). */
  ctl: Int32Array;
  slots: Int32Array;
  /** Entry records, REC_WORDS doubles each (layout.ts). */
  rec: Float64Array;
  bEntry: Int32Array;
  bNext: Int32Array;
  /** CTL.GROW_EPOCH when the views were built: a reader rebuilds them when it moved. */
  epoch: number;

  // ---- the point lookup (lookup.ts) ----
  /** Result of the last successful lookup: target page, offset, perm. */
  outPage: number;
  outOff: number;
  outPerm: number;
  /**
   * Lookup cache: the level-3 node of the last 512 GiB stretch, valid while
   * the writer's sequence number is unchanged (SEQ is bumped by every write).
   */
  cacheHi: number;
  cacheSeq: number;
  cacheLevel3: number;

  // ---- the current overlap query and gathering walk (query-walks.ts) ----
  /** The query [q, l] as (page, offset) pairs. */
  qp: number;
  qo: number;
  lp: number;
  lo: number;
  /** Entries gathered so far into the walk's batch. */
  gathered: number;
  /** The last id gathered: an entry's slots come one after another in the walk, so this dedupes them. */
  lastVisited: number;
  /** Run mode: the item a next one-page entry may extend (-1: none), and what it must be: its page and perm. */
  runTail: number;
  runNext: number;
  runPerm: number;
  /** findFrom's one-entry batch. */
  firstOnly: GatherBatch;

  // ---- the writer's pools and caches (pools.ts) ----
  /**
   * The buffers went to another thread (RadixIotlb.handle, the only way out):
   * from then on writes are published with atomics (seqlock.ts).
   */
  exported: boolean;
  /** The entry limit (-1: unenforced), kept outside shared memory: it is read on every insert. */
  entryLimit: number;
  /** Cache of the level-0 node holding the last whole-page insert (its 32-page block, and offset). */
  leafBlock: number;
  leafNode: number;
  /** Cache of the level-1 node of the last descent (its 512-page block, and offset). */
  midBlock: number;
  midNode: number;
  /** Where findSlotFor stopped (insert-paths.ts). */
  foundNode: number;
  foundLevel: number;
  /** Scratch path for removeOnePage: node offset and slot index per level. */
  pathNode: Int32Array;
  pathAt: Int32Array;
  /** The entry a clear freed last (tree-surgery.ts, dropEntry). */
  lastDropped: number;
  /** Why the last addPageRuns stopped short (undefined when it did not). */
  batchError: IotlbError | undefined;

  // ---- records read from another tree (record-sharing.ts) ----
  /** The tree whose records this one reads (set by shareFrom), if any. */
  recordSource: Tree | undefined;
  /** This tree's own record buffer, while it reads another's. */
  ownRec: SharedArrayBuffer;
  /** Trees reading this tree's records. */
  sharers: number;
  /** Ids freed while shared, waiting to be reused. */
  parked: number[];
  /** Every id in [1, parkedBelow) went in a reset while shared (0: none did). */
  parkedBelow: number;

  // ---- walk scratch (delete-paths.ts), made on first use: 1 MiB each, most trees never walk ----
  idScratch: GatherBatch | undefined;
  walkScratch: GatherBatch | undefined;
  runScratch: GatherBatch | undefined;
  oneBatch: GatherBatch;

  constructor(buffers: IotlbHandle) {
    const ctl = new Int32Array(buffers.ctl);
    this.buffers = buffers;
    this.ctl = ctl;
    this.epoch = Atomics.load(ctl, CTL_GROW_EPOCH);
    this.slots = int32View(buffers.slots);
    this.rec = float64View(buffers.rec);
    this.bEntry = int32View(buffers.bEntry);
    this.bNext = int32View(buffers.bNext);
    this.outPage = 0;
    this.outOff = 0;
    this.outPerm = 0;
    this.cacheHi = -1;
    this.cacheSeq = -1;
    this.cacheLevel3 = 0;
    this.qp = 0;
    this.qo = 0;
    this.lp = 0;
    this.lo = 0;
    this.gathered = 0;
    this.lastVisited = 0;
    this.runTail = -1;
    this.runNext = 0;
    this.runPerm = 0;
    this.firstOnly = newGatherBatch(1);
    this.exported = false;
    this.entryLimit = -1;
    this.leafBlock = -1;
    this.leafNode = 0;
    this.midBlock = -1;
    this.midNode = 0;
    this.foundNode = 0;
    this.foundLevel = 0;
    this.pathNode = new Int32Array(TOP_LEVEL + 1);
    this.pathAt = new Int32Array(TOP_LEVEL + 1);
    this.lastDropped = 0;
    this.batchError = undefined;
    this.recordSource = undefined;
    this.ownRec = buffers.rec;
    this.sharers = 0;
    this.parked = [];
    this.parkedBelow = 0;
    this.idScratch = undefined;
    this.walkScratch = undefined;
    this.runScratch = undefined;
    this.oneBatch = newGatherBatch(1);
  }
}

/** A tree over `buffers`: views built, caches empty. The buffers' contents are left as they are (pools.ts, initEmpty, empties them). */
export function newTree(buffers: IotlbHandle): Tree {
  return new Tree(buffers);
}

/** Rebuilds the fixed-length views after a buffer grew or was swapped (see growable.ts). */
export function refreshViews(t: Tree): void {
  const h = t.buffers;
  t.epoch = Atomics.load(t.ctl, CTL_GROW_EPOCH);
  t.slots = int32View(h.slots);
  t.rec = float64View(h.rec);
  t.bEntry = int32View(h.bEntry);
  t.bNext = int32View(h.bNext);
}

/**
 * Index of `page` in a node of `level` (see LEVEL_BITS in layout.ts).
 * Levels 0..3 use bits 0..26, which survive the 32-bit truncation of `>>>`.
 */
export function slotOf(page: number, level: number): number {
  switch (level) {
    case 6:
      return Math.floor(page / 2 ** 45);
    case 5:
      return Math.floor(page / 2 ** 36) & 511;
    case 4:
      return Math.floor(page / 2 ** 27) & 511;
    case 3:
      return (page >>> 18) & 511;
    case 2:
      return (page >>> 9) & 511;
    case 1:
      return (page >>> 5) & 15;
    default:
      return page & 31;
  }
}

// ---- entry fields, by id (ids are valid until the next mutation) ----

export function startPage(t: Tree, id: number): number {
  return t.rec[4 * id + REC_START];
}
export function lastPage(t: Tree, id: number): number {
  return t.rec[4 * id + REC_LAST];
}
/** Target page of the entry's first byte (exact: < 2^52). */
export function addrPage(t: Tree, id: number): number {
  return t.rec[4 * id + REC_ADDR];
}
export function startOff(t: Tree, id: number): number {
  return t.rec[4 * id + REC_META] & PAGE_OFFSET_MASK;
}
export function lastOff(t: Tree, id: number): number {
  return (t.rec[4 * id + REC_META] >>> META_LAST_SHIFT) & PAGE_OFFSET_MASK;
}
export function permOf(t: Tree, id: number): number {
  return (t.rec[4 * id + REC_META] >>> META_PERM_SHIFT) & 0xff;
}
export function addrOff(t: Tree, id: number): number {
  return Math.floor(t.rec[4 * id + REC_META] / META_ADDR_OFF_SCALE);
}
