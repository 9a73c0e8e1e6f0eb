/**
 * The radix IOTLB's query walks: the first entry overlapping a byte range
 * (itree_first/itree_next) and the gathering walk that lists every entry
 * overlapping a range in IOVA order, a batch at a time, in one walk of the
 * tree (unmaps and set_map copies visit tens of millions of entries on a 4k
 * guest). Read-only: they write only the tree's query
 * state (Tree.qp ... Tree.runPerm, tree.ts).
 */
import * as layout from './layout.js';
import { lastOff, lastPage, slotOf, type GatherBatch, type Tree } from './tree.js';

// Module-local copies of the layout constants (tree.ts on why).
const { LEAF_XLAT, LEVEL_SPAN, MAX_BUCKET_CHAIN, META_LAST_SHIFT, PAGE_OFFSET_MASK, PAGE_SIZE, REC_LAST, REC_META, REC_START, TOP_LEVEL } = layout;

const TWO_POW_52 = 2 ** 52;
/** Pages under one level-0 node. */
const LEAF_PAGES = LEVEL_SPAN[1];
/** From a leaf slot to its translation word (LEAF_XLAT in layout.ts). */
const XLAT_FROM_SLOT = LEAF_XLAT - 1;

/** The translation word x of a one-page entry: its target page and perm. */
export const xlatTarget = (x: number): number => (x - 1) >>> 2;
export const xlatPerm = (x: number): number => (x - 1) & 3;

/**
 * First entry (lowest start) overlapping bytes [q, l], both inclusive, or 0.
 * The caller guarantees (qp, qo) <= (lp, lo).
 */
export function findFrom(t: Tree, qp: number, qo: number, lp: number, lo: number): number {
  // Across pages: the gathering walk, stopped at its first entry.
  if (qp !== lp) return gatherOverlapping(t, qp, qo, lp, lo, t.firstOnly) ? t.firstOnly.ids[0] : 0;
  t.qp = qp;
  t.qo = qo;
  t.lp = lp;
  t.lo = lo;
  return findInPage(t, qp);
}

/** First entry after `id` that overlaps up to (lp, lo) (entries are disjoint). */
export function findAfter(t: Tree, id: number, lp: number, lo: number): number {
  let p = lastPage(t, id);
  let o = lastOff(t, id) + 1;
  if (o === PAGE_SIZE) {
    if (p === TWO_POW_52 - 1) return 0; // the entry ends at 2^64-1
    p += 1;
    o = 0;
  }
  if (p > lp || (p === lp && o > lo)) return 0;
  return findFrom(t, p, o, lp, lo);
}

/** The query lies in one page: one descent, no scan. */
function findInPage(t: Tree, page: number): number {
  const s = t.slots;
  let node = 0;
  for (let level = TOP_LEVEL; ; level--) {
    const v = s[node + 1 + slotOf(page, level)];
    if (v > 0) return overlapsQuery(t, v) ? v : 0;
    if (!(v < 0)) return 0;
    if (level === 0) return bucketFind(t, -v);
    node = -v;
  }
}

/**
 * Writes into `out` the ids of the first out.ids.length entries overlapping
 * [q, l] (from (qp, qo) on), in IOVA order, each once, with their leaf
 * translation words and pages (GatherBatch); returns how many.
 * One walk of the tree, no re-descent and no callback per entry: unmapping
 * and set_map walks visit tens of millions of entries on a 4k guest.
 * Continue after the last id with findAfter-style bounds (see RadixIotlb).
 */
export function gatherOverlapping(t: Tree, qp: number, qo: number, lp: number, lo: number, out: GatherBatch): number {
  t.qp = qp;
  t.qo = qo;
  t.lp = lp;
  t.lo = lo;
  t.lastVisited = 0;
  t.gathered = 0;
  t.runTail = -1;
  gatherIn(t, 0, TOP_LEVEL, 0, qp, lp, out);
  return t.gathered;
}

/** gatherInnerLeaf in run mode (GatherBatch.counts). */
function gatherRunsInLeaf(t: Tree, node: number, base: number, ps: number, pl: number, out: GatherBatch): boolean {
  const s = t.slots;
  const ids = out.ids;
  const xl = out.xlat;
  const pg = out.pages;
  const cnt = out.counts!;
  const cap = ids.length;
  let g = t.gathered;
  let last = t.lastVisited;
  let tail = t.runTail;
  let next = t.runNext;
  let perm = t.runPerm;
  let full = false;
  const from = node + 1 + ps - base;
  const to = node + 1 + pl - base;
  for (let at = from, page = ps; at <= to && !full; at++, page++) {
    const v = s[at];
    if (v > 0) {
      if (v === last) continue;
      last = v;
      const x = s[at + XLAT_FROM_SLOT];
      if (x !== 0 && tail >= 0 && page === next && ((x - 1) & 3) === perm) {
        cnt[tail]++;
        next++;
        continue;
      }
      ids[g] = v;
      xl[g] = x;
      pg[g] = page;
      cnt[g] = 1;
      tail = x !== 0 ? g : -1;
      next = page + 1;
      perm = (x - 1) & 3;
      g++;
      full = g === cap;
    } else if (v < 0) {
      tail = -1;
      for (let b = -v, n = 0; b > 0 && n < MAX_BUCKET_CHAIN && !full; n++, b = t.bNext[b]) {
        const e = t.bEntry[b];
        if (e === last) continue;
        last = e;
        ids[g] = e;
        xl[g] = 0;
        cnt[g++] = 1;
        full = g === cap;
      }
    }
  }
  t.gathered = g;
  t.lastVisited = last;
  t.runTail = tail;
  t.runNext = next;
  t.runPerm = perm;
  return !full;
}

/**
 * gatherIn over slots [from, to] of a level-0 node whose pages all lie
 * strictly inside the query's: every entry touching them overlaps it, so
 * each new id goes straight out (no bounds check). The common node of a
 * whole-section walk; its state is kept in locals, not fields.
 */
function gatherInnerLeaf(t: Tree, node: number, base: number, ps: number, pl: number, out: GatherBatch): boolean {
  const s = t.slots;
  const ids = out.ids;
  const xl = out.xlat;
  const pg = out.pages;
  const cap = ids.length;
  let g = t.gathered;
  let last = t.lastVisited;
  let full = false;
  const from = node + 1 + ps - base;
  const to = node + 1 + pl - base;
  for (let at = from, page = ps; at <= to && !full; at++, page++) {
    const v = s[at];
    if (v > 0) {
      if (v === last) continue;
      last = v;
      ids[g] = v;
      xl[g] = s[at + XLAT_FROM_SLOT];
      pg[g++] = page;
      full = g === cap;
    } else if (v < 0) {
      for (let b = -v, n = 0; b > 0 && n < MAX_BUCKET_CHAIN && !full; n++, b = t.bNext[b]) {
        const e = t.bEntry[b];
        if (e === last) continue;
        last = e;
        ids[g] = e;
        xl[g++] = 0;
        full = g === cap;
      }
    }
  }
  t.gathered = g;
  t.lastVisited = last;
  return !full;
}

/** One node of the gathering walk; false once `out` is full. */
function gatherIn(t: Tree, node: number, level: number, base: number, ps: number, pl: number, out: GatherBatch): boolean {
  const s = t.slots;
  if (level === 0 && base > t.qp && base + LEAF_PAGES - 1 < t.lp) {
    return out.counts === undefined ? gatherInnerLeaf(t, node, base, ps, pl, out) : gatherRunsInLeaf(t, node, base, ps, pl, out);
  }
  const span = LEVEL_SPAN[level];
  const ids = out.ids;
  const i1 = Math.floor((pl - base) / span);
  for (let i = Math.floor((ps - base) / span); i <= i1; i++) {
    const v = s[node + 1 + i];
    if (v > 0) {
      if (v === t.lastVisited) continue;
      // A slot's entry touches the slot's stretch, and an entry touching a
      // page strictly inside the query's pages overlaps the query: only
      // stretches reaching the query's first or last page need the check.
      const sb = base + i * span;
      if ((sb > t.qp && sb + span - 1 < t.lp) || overlapsQuery(t, v)) {
        t.lastVisited = v;
        const g = t.gathered++;
        ids[g] = v;
        out.xlat[g] = level === 0 ? s[node + LEAF_XLAT + i] : 0;
        out.pages[g] = sb;
        if (out.counts !== undefined) {
          out.counts[g] = 1;
          t.runTail = -1;
        }
        if (t.gathered === ids.length) return false;
      }
    } else if (v < 0) {
      if (level === 0) {
        for (let b = -v, n = 0; b > 0 && n < MAX_BUCKET_CHAIN; n++, b = t.bNext[b]) {
          const e = t.bEntry[b];
          if (e !== t.lastVisited && overlapsQuery(t, e)) {
            t.lastVisited = e;
            const g = t.gathered++;
            ids[g] = e;
            out.xlat[g] = 0;
            if (out.counts !== undefined) {
              out.counts[g] = 1;
              t.runTail = -1;
            }
            if (t.gathered === ids.length) return false;
          }
        }
      } else {
        const sb = base + i * span;
        const se = sb + span - 1;
        if (!gatherIn(t, -v, level - 1, sb, ps > sb ? ps : sb, pl < se ? pl : se, out)) return false;
      }
    }
  }
  return true;
}

function overlapsQuery(t: Tree, e: number): boolean {
  const r = t.rec;
  const i = 4 * e;
  const m32 = r[i + REC_META] >>> 0;
  // e.last >= q
  const elp = r[i + REC_LAST];
  if (elp < t.qp || (elp === t.qp && ((m32 >>> META_LAST_SHIFT) & PAGE_OFFSET_MASK) < t.qo)) return false;
  // e.start <= l
  const esp = r[i + REC_START];
  if (esp > t.lp || (esp === t.lp && (m32 & PAGE_OFFSET_MASK) > t.lo)) return false;
  return true;
}

function bucketFind(t: Tree, b: number): number {
  for (let n = 0; b > 0 && n < MAX_BUCKET_CHAIN; n++) {
    const e = t.bEntry[b];
    if (e > 0 && overlapsQuery(t, e)) return e;
    b = t.bNext[b];
  }
  return 0;
}
