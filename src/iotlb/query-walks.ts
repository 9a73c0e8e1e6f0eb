/**
 * The radix IOTLB's query walks: the first entry overlapping a byte range
 * (itree_first/itree_next) and the gathering walk that lists every entry
 * overlapping a range in IOVA order, a batch at a time, in one walk of the
 * tree (unmaps and set_map copies visit tens of millions of entries on a 4k
 * guest). Read-only; the writer's layers build on it.
 */
import * as layout from './layout.js';
import { RadixView, slotOf } from './radix-view.js';

// Module-local copies of the layout constants (see radix-view.ts on why).
const { LEAF_XLAT, LEVEL_SPAN, MAX_BUCKET_CHAIN, META_LAST_SHIFT, PAGE_OFFSET_MASK, PAGE_SIZE, REC_LAST, REC_META, REC_START, TOP_LEVEL } = layout;

const TWO_POW_52 = 2 ** 52;
/** Pages under one level-0 node. */
const LEAF_PAGES = LEVEL_SPAN[1];
/** From a leaf slot to its translation word (LEAF_XLAT in layout.ts). */
const XLAT_FROM_SLOT = LEAF_XLAT - 1;

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

/** The translation word x of a one-page entry: its target page and perm. */
export const xlatTarget = (x: number): number => (x - 1) >>> 2;
export const xlatPerm = (x: number): number => (x - 1) & 3;

export class RadixQuery extends RadixView {
  // The current overlap query [q, l] as (page, offset) pairs.
  private qp = 0;
  private qo = 0;
  private lp = 0;
  private lo = 0;

  /**
   * First entry (lowest start) overlapping bytes [q, l], both inclusive, or 0.
   * The caller guarantees (qp, qo) <= (lp, lo).
   */
  protected findFrom(qp: number, qo: number, lp: number, lo: number): number {
    // Across pages: the gathering walk, stopped at its first entry.
    if (qp !== lp) return this.gatherOverlapping(qp, qo, lp, lo, this.firstOnly) ? this.firstOnly.ids[0] : 0;
    this.qp = qp;
    this.qo = qo;
    this.lp = lp;
    this.lo = lo;
    return this.findInPage(qp);
  }

  private readonly firstOnly = newGatherBatch(1);

  /** First entry after `id` that overlaps up to (lp, lo) (entries are disjoint). */
  protected findAfter(id: number, lp: number, lo: number): number {
    let p = this.lastPage(id);
    let o = this.lastOff(id) + 1;
    if (o === PAGE_SIZE) {
      if (p === TWO_POW_52 - 1) return 0; // the entry ends at 2^64-1
      p += 1;
      o = 0;
    }
    if (p > lp || (p === lp && o > lo)) return 0;
    return this.findFrom(p, o, lp, lo);
  }

  /** The query lies in one page: one descent, no scan. */
  private findInPage(page: number): number {
    const s = this.slots;
    let node = 0;
    for (let level = TOP_LEVEL; ; level--) {
      const v = s[node + 1 + slotOf(page, level)];
      if (v > 0) return this.overlapsQuery(v) ? v : 0;
      if (!(v < 0)) return 0;
      if (level === 0) return this.bucketFind(-v);
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
  protected gatherOverlapping(qp: number, qo: number, lp: number, lo: number, out: GatherBatch): number {
    this.qp = qp;
    this.qo = qo;
    this.lp = lp;
    this.lo = lo;
    this.lastVisited = 0;
    this.gathered = 0;
    this.runTail = -1;
    this.gatherIn(0, TOP_LEVEL, 0, qp, lp, out);
    return this.gathered;
  }

  /** Run mode: the item a next one-page entry may extend (-1: none), and what it must be: its page and perm. */
  private runTail = -1;
  private runNext = 0;
  private runPerm = 0;

  /** gatherInnerLeaf in run mode (GatherBatch.counts). */
  private gatherRunsInLeaf(node: number, base: number, ps: number, pl: number, out: GatherBatch): boolean {
    const s = this.slots;
    const ids = out.ids;
    const xl = out.xlat;
    const pg = out.pages;
    const cnt = out.counts!;
    const cap = ids.length;
    let g = this.gathered;
    let last = this.lastVisited;
    let tail = this.runTail;
    let next = this.runNext;
    let perm = this.runPerm;
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
        for (let b = -v, n = 0; b > 0 && n < MAX_BUCKET_CHAIN && !full; n++, b = this.bNext[b]) {
          const e = this.bEntry[b];
          if (e === last) continue;
          last = e;
          ids[g] = e;
          xl[g] = 0;
          cnt[g++] = 1;
          full = g === cap;
        }
      }
    }
    this.gathered = g;
    this.lastVisited = last;
    this.runTail = tail;
    this.runNext = next;
    this.runPerm = perm;
    return !full;
  }

  /**
   * gatherIn over slots [from, to] of a level-0 node whose pages all lie
   * strictly inside the query's: every entry touching them overlaps it, so
   * each new id goes straight out (no bounds check). The common node of a
   * whole-section walk; its state is kept in locals, not fields.
   */
  private gatherInnerLeaf(node: number, base: number, ps: number, pl: number, out: GatherBatch): boolean {
    const s = this.slots;
    const ids = out.ids;
    const xl = out.xlat;
    const pg = out.pages;
    const cap = ids.length;
    let g = this.gathered;
    let last = this.lastVisited;
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
        for (let b = -v, n = 0; b > 0 && n < MAX_BUCKET_CHAIN && !full; n++, b = this.bNext[b]) {
          const e = this.bEntry[b];
          if (e === last) continue;
          last = e;
          ids[g] = e;
          xl[g++] = 0;
          full = g === cap;
        }
      }
    }
    this.gathered = g;
    this.lastVisited = last;
    return !full;
  }

  private gathered = 0;
  /** The last id gathered: an entry's slots come one after another in the walk, so this dedupes them. */
  private lastVisited = 0;

  /** One node of the gathering walk; false once `out` is full. */
  private gatherIn(node: number, level: number, base: number, ps: number, pl: number, out: GatherBatch): boolean {
    const s = this.slots;
    if (level === 0 && base > this.qp && base + LEAF_PAGES - 1 < this.lp) {
      return out.counts === undefined ? this.gatherInnerLeaf(node, base, ps, pl, out) : this.gatherRunsInLeaf(node, base, ps, pl, out);
    }
    const span = LEVEL_SPAN[level];
    const ids = out.ids;
    const i1 = Math.floor((pl - base) / span);
    for (let i = Math.floor((ps - base) / span); i <= i1; i++) {
      const v = s[node + 1 + i];
      if (v > 0) {
        if (v === this.lastVisited) continue;
        // A slot's entry touches the slot's stretch, and an entry touching a
        // page strictly inside the query's pages overlaps the query: only
        // stretches reaching the query's first or last page need the check.
        const sb = base + i * span;
        if ((sb > this.qp && sb + span - 1 < this.lp) || this.overlapsQuery(v)) {
          this.lastVisited = v;
          const g = this.gathered++;
          ids[g] = v;
          out.xlat[g] = level === 0 ? s[node + LEAF_XLAT + i] : 0;
          out.pages[g] = sb;
          if (out.counts !== undefined) {
            out.counts[g] = 1;
            this.runTail = -1;
          }
          if (this.gathered === ids.length) return false;
        }
      } else if (v < 0) {
        if (level === 0) {
          for (let b = -v, n = 0; b > 0 && n < MAX_BUCKET_CHAIN; n++, b = this.bNext[b]) {
            const e = this.bEntry[b];
            if (e !== this.lastVisited && this.overlapsQuery(e)) {
              this.lastVisited = e;
              const g = this.gathered++;
              ids[g] = e;
              out.xlat[g] = 0;
              if (out.counts !== undefined) {
                out.counts[g] = 1;
                this.runTail = -1;
              }
              if (this.gathered === ids.length) return false;
            }
          }
        } else {
          const sb = base + i * span;
          const se = sb + span - 1;
          if (!this.gatherIn(-v, level - 1, sb, ps > sb ? ps : sb, pl < se ? pl : se, out)) return false;
        }
      }
    }
    return true;
  }

  private overlapsQuery(e: number): boolean {
    const r = this.rec;
    const i = 4 * e;
    const m32 = r[i + REC_META] >>> 0;
    // e.last >= q
    const elp = r[i + REC_LAST];
    if (elp < this.qp || (elp === this.qp && ((m32 >>> META_LAST_SHIFT) & PAGE_OFFSET_MASK) < this.qo)) return false;
    // e.start <= l
    const esp = r[i + REC_START];
    if (esp > this.lp || (esp === this.lp && (m32 & PAGE_OFFSET_MASK) > this.lo)) return false;
    return true;
  }

  private bucketFind(b: number): number {
    for (let n = 0; b > 0 && n < MAX_BUCKET_CHAIN; n++) {
      const e = this.bEntry[b];
      if (e > 0 && this.overlapsQuery(e)) return e;
      b = this.bNext[b];
    }
    return 0;
  }
}
