/**
 * The radix IOTLB's memory: the writer's pools over the shared buffers
 * (node slots, entry records, bucket links), bump allocation plus free lists
 * whose links live in the freed items, buffer growth, the parking of freed
 * record ids while another tree reads the records (record-sharing.ts), the
 * writer's node caches, and the writer's half of the seqlock (seqlock.ts).
 * Layers above: tree-surgery.ts, record-sharing.ts, insert-paths.ts,
 * delete-paths.ts, radix-iotlb.ts. Below: query-walks.ts, radix-view.ts.
 */
import { growTo } from './growable.js';
import * as layout from './layout.js';
import { RadixQuery } from './query-walks.js';
import type { IotlbHandle } from './radix-view.js';
import { beginWrite, endWrite } from './seqlock.js';

// Module-local copies of the layout constants and control-block indexes:
// in optimized code V8 (Node 20) reloads an imported binding, or a property
// of an imported object, on every use, but folds a module-local const to its
// value. On the hot paths that was a fifth of a whole-page insert (measured).
const {
  CTL,
  ENTRY_BYTES,
  LEAF_XLAT,
  META_ADDR_OFF_SCALE,
  META_LAST_SHIFT,
  META_PERM_SHIFT,
  NODE_WORDS,
  PAGE_OFFSET_MASK,
  REC_ADDR,
  REC_LAST,
  REC_META,
  REC_START,
  REC_WORDS,
  TOP_LEVEL,
  XLAT_MAX_PAGE,
} = layout;
const {
  SEQ: CTL_SEQ,
  COUNT: CTL_COUNT,
  SLOTS_TOP: CTL_SLOTS_TOP,
  ENTRIES_TOP: CTL_ENTRIES_TOP,
  BUCKETS_TOP: CTL_BUCKETS_TOP,
  FREE_ENTRY: CTL_FREE_ENTRY,
  FREE_BUCKET: CTL_FREE_BUCKET,
  FREE_NODE_17: CTL_FREE_NODE_17,
  FREE_LEAF: CTL_FREE_LEAF,
  FREE_NODE_513: CTL_FREE_NODE_513,
  GROW_EPOCH: CTL_GROW_EPOCH,
} = CTL;
/** The offset bits of a record's meta word, and their value for an entry of whole pages (start offset 0, last offset 4095). */
const WHOLE_PAGE_MASK = (PAGE_OFFSET_MASK << META_LAST_SHIFT) | PAGE_OFFSET_MASK;
const WHOLE_PAGE_META = PAGE_OFFSET_MASK << META_LAST_SHIFT;

function freeListField(level: number): number {
  return level === 0 ? CTL_FREE_LEAF : level === 1 ? CTL_FREE_NODE_17 : CTL_FREE_NODE_513;
}

export class RadixPools extends RadixQuery {
  protected initEmpty(): void {
    this.leafBlock = -1;
    this.midBlock = -1;
    const c = this.ctl;
    this.slots.fill(0, 0, NODE_WORDS[TOP_LEVEL]);
    c[CTL_SLOTS_TOP] = NODE_WORDS[TOP_LEVEL];
    if (this.sharers > 0) {
      // Another tree still reads every record: none may be reused yet. New
      // ones come from the top of the pool until it lets go (releaseRecords).
      this.parkedBelow = c[CTL_ENTRIES_TOP];
      this.parked.length = 0;
    } else {
      c[CTL_ENTRIES_TOP] = 1; // id 0 means "empty"
    }
    c[CTL_BUCKETS_TOP] = 1;
    c[CTL_FREE_ENTRY] = 0;
    c[CTL_FREE_BUCKET] = 0;
    c[CTL_FREE_NODE_17] = 0;
    c[CTL_FREE_LEAF] = 0;
    c[CTL_FREE_NODE_513] = 0;
    c[CTL_COUNT] = 0;
  }

  /** Trees reading this tree's records. */
  protected sharers = 0;

  /** Ids freed while shared, waiting to be reused. */
  protected parked: number[] = [];

  /** Every id in [1, parkedBelow) went in a reset while shared (0: none did). */
  protected parkedBelow = 0;

  /** Writer-side cache of the level-0 node holding the last whole-page insert. */
  protected leafBlock = -1;
  /** Writer-side cache of the level-1 node of the last descent (its 512-page block, and offset). */
  protected midBlock = -1;
  protected midNode = 0;
  protected leafNode = 0;

  // ---- the writer's half of the seqlock (see seqlock.ts) ----

  /**
   * The buffers went to another thread (RadixIotlb.handle, the only way out):
   * from then on writes are published with atomics, and the tree never reads
   * another tree's records (record-sharing.ts). Until then no other thread
   * can read the tree, and the sequence number and slots are written plainly:
   * an Atomics call is a builtin call in Node 20 (15-25 ns here): building
   * 1 M one-page entries from empty took 48 ns per insert instead of 56
   * (medians of 11 alternating builds, #14). Handing the
   * buffers to a worker (postMessage, workerData) orders the plain writes
   * before anything the worker reads.
   */
  protected exported = false;

  protected beginWrite(): void {
    if (this.exported) beginWrite(this.ctl);
    else this.ctl[CTL_SEQ]++;
  }

  protected endWrite(): void {
    if (this.exported) endWrite(this.ctl);
    else this.ctl[CTL_SEQ]++;
  }

  /**
   * Writes the translation of leaf `node`'s slot `at` for entry `e` (see
   * LEAF_XLAT in layout.ts): non-zero when e is one whole page to a
   * page-aligned target it can hold, else 0. Call it before the slot gets
   * e: a reader that sees the id then sees its translation.
   */
  protected setXlat(node: number, at: number, e: number): void {
    const s = this.slots;
    const r = this.rec;
    const i = REC_WORDS * e;
    const x = node + LEAF_XLAT + (at - node - 1);
    const meta = r[i + REC_META];
    const addr = r[i + REC_ADDR];
    const perm = meta >>> META_PERM_SHIFT;
    const whole = r[i + REC_START] === r[i + REC_LAST] && meta < META_ADDR_OFF_SCALE && (meta & WHOLE_PAGE_MASK) === WHOLE_PAGE_META;
    s[x] = whole && addr <= XLAT_MAX_PAGE && perm <= 3 ? 1 + addr * 4 + perm : 0;
  }

  /** Allocates an entry id and writes its 32-byte record. */
  protected newRecord(sp: number, so: number, lp: number, lo: number, addrPage: number, addrOff: number, perm: number): number {
    const id = this.allocEntry();
    const r = this.rec;
    const i = REC_WORDS * id;
    r[i + REC_START] = sp;
    r[i + REC_LAST] = lp;
    r[i + REC_ADDR] = addrPage;
    r[i + REC_META] = ((so | (lo << META_LAST_SHIFT) | ((perm & 0xff) << META_PERM_SHIFT)) >>> 0) + addrOff * META_ADDR_OFF_SCALE;
    return id;
  }

  // ---- pools (bump allocation + free lists; links live in freed records) ----

  protected allocNode(level: number): number {
    const words = NODE_WORDS[level];
    const field = freeListField(level);
    let off = this.ctl[field];
    if (off) {
      this.ctl[field] = this.slots[off + 1];
    } else {
      off = this.ctl[CTL_SLOTS_TOP];
      if (off + words > this.slots.length) this.ensure('slots', (off + words) * 4);
      this.ctl[CTL_SLOTS_TOP] = off + words;
    }
    this.slots.fill(0, off, off + words);
    return off;
  }

  protected freeNode(off: number, level: number): void {
    if (level === 0 && off === this.leafNode) this.leafBlock = -1;
    if (level === 1 && off === this.midNode) this.midBlock = -1;
    const field = freeListField(level);
    this.slots[off] = 0;
    this.slots[off + 1] = this.ctl[field];
    this.ctl[field] = off;
  }

  protected allocEntry(): number {
    let id = this.ctl[CTL_FREE_ENTRY];
    if (id) {
      this.ctl[CTL_FREE_ENTRY] = this.rec[REC_WORDS * id + REC_ADDR];
      return id;
    }
    id = this.ctl[CTL_ENTRIES_TOP];
    // Compare with the view, not sab.byteLength: reading a growable SAB's length is slow.
    if ((id + 1) * REC_WORDS > this.rec.length) this.ensure('rec', (id + 1) * ENTRY_BYTES);
    this.ctl[CTL_ENTRIES_TOP] = id + 1;
    return id;
  }

  protected freeEntry(id: number): void {
    if (this.sharers > 0) {
      this.parked.push(id);
      return;
    }
    const i = REC_WORDS * id;
    this.rec[i + REC_START] = -1;
    this.rec[i + REC_LAST] = -1;
    this.rec[i + REC_ADDR] = this.ctl[CTL_FREE_ENTRY]; // free-list link
    this.ctl[CTL_FREE_ENTRY] = id;
  }

  protected allocBucket(entry: number, next: number): number {
    let b = this.ctl[CTL_FREE_BUCKET];
    if (b) {
      this.ctl[CTL_FREE_BUCKET] = this.bNext[b];
    } else {
      b = this.ctl[CTL_BUCKETS_TOP];
      if (b + 1 > this.bEntry.length) {
        this.ensure('bEntry', (b + 1) * 4);
        this.ensure('bNext', (b + 1) * 4);
      }
      this.ctl[CTL_BUCKETS_TOP] = b + 1;
    }
    this.bEntry[b] = entry;
    this.bNext[b] = next;
    return b;
  }

  protected freeBucket(b: number): void {
    this.bEntry[b] = 0;
    this.bNext[b] = this.ctl[CTL_FREE_BUCKET];
    this.ctl[CTL_FREE_BUCKET] = b;
  }

  protected ensure(name: Exclude<keyof IotlbHandle, 'ctl' | 'seq'>, bytes: number): void {
    if (growTo(this.buffers[name], bytes)) {
      Atomics.add(this.ctl, CTL_GROW_EPOCH, 1);
      this.refreshViews();
    }
  }
}
