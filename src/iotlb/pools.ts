/**
 * The radix IOTLB's memory: the writer's pools over the shared buffers
 * (node slots, entry records, bucket links), bump allocation plus free lists
 * whose links live in the freed items, buffer growth, the parking of freed
 * record ids while another tree reads the records (record-sharing.ts), the
 * writer's node caches. Used by tree-surgery.ts, record-sharing.ts,
 * insert-paths.ts, delete-paths.ts and radix-iotlb.ts.
 */
import { growTo } from './growable.js';
import * as layout from './layout.js';
import type { IotlbHandle } from './layout.js';
import { refreshViews, type Tree } from './tree.js';

// Module-local copies of the layout constants and control-block indexes (tree.ts on why).
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

/** Empties the tree: the root's slots and the pool tops (parked ids stay parked while another tree reads the records). */
export function initEmpty(t: Tree): void {
  t.leafBlock = -1;
  t.midBlock = -1;
  const c = t.ctl;
  t.slots.fill(0, 0, NODE_WORDS[TOP_LEVEL]);
  c[CTL_SLOTS_TOP] = NODE_WORDS[TOP_LEVEL];
  if (t.sharers > 0) {
    // Another tree still reads every record: none may be reused yet. New
    // ones come from the top of the pool until it lets go (releaseRecords).
    t.parkedBelow = c[CTL_ENTRIES_TOP];
    t.parked.length = 0;
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

/**
 * Writes the translation of leaf `node`'s slot `at` for entry `e` (see
 * LEAF_XLAT in layout.ts): non-zero when e is one whole page to a
 * page-aligned target it can hold, else 0. Call it before the slot gets
 * e: a reader that sees the id then sees its translation.
 */
export function setXlat(t: Tree, node: number, at: number, e: number): void {
  const s = t.slots;
  const r = t.rec;
  const i = REC_WORDS * e;
  const x = node + LEAF_XLAT + (at - node - 1);
  const meta = r[i + REC_META];
  const addr = r[i + REC_ADDR];
  const perm = meta >>> META_PERM_SHIFT;
  const whole = r[i + REC_START] === r[i + REC_LAST] && meta < META_ADDR_OFF_SCALE && (meta & WHOLE_PAGE_MASK) === WHOLE_PAGE_META;
  s[x] = whole && addr <= XLAT_MAX_PAGE && perm <= 3 ? 1 + addr * 4 + perm : 0;
}

/** Allocates an entry id and writes its 32-byte record. */
export function newRecord(t: Tree, sp: number, so: number, lp: number, lo: number, addrPage: number, addrOff: number, perm: number): number {
  const id = allocEntry(t);
  const r = t.rec;
  const i = REC_WORDS * id;
  r[i + REC_START] = sp;
  r[i + REC_LAST] = lp;
  r[i + REC_ADDR] = addrPage;
  r[i + REC_META] = ((so | (lo << META_LAST_SHIFT) | ((perm & 0xff) << META_PERM_SHIFT)) >>> 0) + addrOff * META_ADDR_OFF_SCALE;
  return id;
}

// ---- pools (bump allocation + free lists; links live in freed records) ----

export function allocNode(t: Tree, level: number): number {
  const words = NODE_WORDS[level];
  const field = freeListField(level);
  let off = t.ctl[field];
  if (off) {
    t.ctl[field] = t.slots[off + 1];
  } else {
    off = t.ctl[CTL_SLOTS_TOP];
    if (off + words > t.slots.length) ensure(t, 'slots', (off + words) * 4);
    t.ctl[CTL_SLOTS_TOP] = off + words;
  }
  t.slots.fill(0, off, off + words);
  return off;
}

export function freeNode(t: Tree, off: number, level: number): void {
  if (level === 0 && off === t.leafNode) t.leafBlock = -1;
  if (level === 1 && off === t.midNode) t.midBlock = -1;
  const field = freeListField(level);
  t.slots[off] = 0;
  t.slots[off + 1] = t.ctl[field];
  t.ctl[field] = off;
}

export function allocEntry(t: Tree): number {
  let id = t.ctl[CTL_FREE_ENTRY];
  if (id) {
    t.ctl[CTL_FREE_ENTRY] = t.rec[REC_WORDS * id + REC_ADDR];
    return id;
  }
  id = t.ctl[CTL_ENTRIES_TOP];
  // Compare with the view, not sab.byteLength: reading a growable SAB's length is slow.
  if ((id + 1) * REC_WORDS > t.rec.length) ensure(t, 'rec', (id + 1) * ENTRY_BYTES);
  t.ctl[CTL_ENTRIES_TOP] = id + 1;
  return id;
}

export function freeEntry(t: Tree, id: number): void {
  if (t.sharers > 0) {
    t.parked.push(id);
    return;
  }
  const i = REC_WORDS * id;
  t.rec[i + REC_START] = -1;
  t.rec[i + REC_LAST] = -1;
  t.rec[i + REC_ADDR] = t.ctl[CTL_FREE_ENTRY]; // free-list link
  t.ctl[CTL_FREE_ENTRY] = id;
}

export function allocBucket(t: Tree, entry: number, next: number): number {
  let b = t.ctl[CTL_FREE_BUCKET];
  if (b) {
    t.ctl[CTL_FREE_BUCKET] = t.bNext[b];
  } else {
    b = t.ctl[CTL_BUCKETS_TOP];
    if (b + 1 > t.bEntry.length) {
      ensure(t, 'bEntry', (b + 1) * 4);
      ensure(t, 'bNext', (b + 1) * 4);
    }
    t.ctl[CTL_BUCKETS_TOP] = b + 1;
  }
  t.bEntry[b] = entry;
  t.bNext[b] = next;
  return b;
}

export function freeBucket(t: Tree, b: number): void {
  t.bEntry[b] = 0;
  t.bNext[b] = t.ctl[CTL_FREE_BUCKET];
  t.ctl[CTL_FREE_BUCKET] = b;
}

export function ensure(t: Tree, name: Exclude<keyof IotlbHandle, 'ctl' | 'seq'>, bytes: number): void {
  if (growTo(t.buffers[name], bytes)) {
    Atomics.add(t.ctl, CTL_GROW_EPOCH, 1);
    refreshViews(t);
  }
}
