/**
 * The read side of the radix IOTLB: views over the shared buffers, point
 * lookup and the first-overlap query. The writer (RadixIotlb) and attached
 * readers (IotlbReader) both build on it.
 *
 * Slot values (Int32):
 *   0   empty: no entry touches this stretch;
 *   > 0 an entry id, the ONLY entry touching this stretch (it may cover it
 *       whole: a large leaf, like an IOMMU superpage; or only part of it:
 *       a compressed path). Lookups check the entry's exact byte bounds;
 *   < 0 at level >= 1: a child node at offset -v in the slot pool;
 *       at level 0: a chain of buckets -v listing the entries that share
 *       this page, sorted by start (byte-granular entries only).
 */
import * as layout from './layout.js';

// Module-local copies of the layout constants and control-block indexes:
// in optimized code V8 (Node 20) reloads an imported binding, or a property
// of an imported object, on every use, but folds a module-local const to its
// value. On the hot paths that was a fifth of a whole-page insert (measured).
const {
  CTL,
  LEAF_XLAT,
  XLAT_HI_MASK,
  XLAT_PERM_SHIFT,
  XLAT_VALID,
  LEVEL_SPAN,
  MAX_BUCKET_CHAIN,
  META_ADDR_OFF_SCALE,
  META_LAST_SHIFT,
  META_PERM_SHIFT,
  PAGE_OFFSET_MASK,
  PAGE_SIZE,
  REC_ADDR,
  REC_LAST,
  REC_META,
  REC_START,
  TOP_LEVEL,
} = layout;
const { SEQ: CTL_SEQ, COUNT: CTL_COUNT, GROW_EPOCH: CTL_GROW_EPOCH } = CTL;

/** The shared buffers of one tree: pass this to another worker and `attach` it. */
export interface IotlbHandle {
  ctl: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  rec: SharedArrayBuffer;
  bEntry: SharedArrayBuffer;
  bNext: SharedArrayBuffer;
}

const TWO_POW_52 = 2 ** 52;
/** Pages under one level-0 node. */
const LEAF_PAGES = LEVEL_SPAN[1];
/** The offset bits of a record's meta word, and their value for an entry of whole pages (start offset 0, last offset 4095). */
const WHOLE_PAGES_MASK = (PAGE_OFFSET_MASK << META_LAST_SHIFT) | PAGE_OFFSET_MASK;
const WHOLE_PAGES_META = PAGE_OFFSET_MASK << META_LAST_SHIFT;

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

export class RadixView {
  protected readonly ctl: Int32Array;
  protected slots!: Int32Array;
  /** Entry records, REC_WORDS doubles each (layout.ts). */
  protected rec!: Float64Array;
  protected bEntry!: Int32Array;
  protected bNext!: Int32Array;
  protected epoch = -1;

  /** Result of the last successful lookup: target page, offset, perm. */
  outPage = 0;
  outOff = 0;
  outPerm = 0;

  // Lookup cache: the level-3 node of the last 512 GiB stretch, valid while
  // the writer's sequence number is unchanged (SEQ is bumped by every write).
  private cacheHi = -1;
  private cacheSeq = -1;
  private cacheLevel3 = 0;

  // The current overlap query [q, l] as (page, offset) pairs.
  private qp = 0;
  private qo = 0;
  private lp = 0;
  private lo = 0;

  /** The shared buffers this view reads (a writer may point `rec` at another tree's: RadixIotlb.shareFrom). */
  constructor(protected readonly buffers: IotlbHandle) {
    this.ctl = new Int32Array(buffers.ctl);
    this.refreshViews();
  }

  /** Rebuilds the fixed-length views after a buffer grew (see growable.ts). */
  protected refreshViews(): void {
    const h = this.buffers;
    this.epoch = Atomics.load(this.ctl, CTL_GROW_EPOCH);
    this.slots = new Int32Array(h.slots, 0, h.slots.byteLength >> 2);
    this.rec = new Float64Array(h.rec, 0, h.rec.byteLength >> 3);
    this.bEntry = new Int32Array(h.bEntry, 0, h.bEntry.byteLength >> 2);
    this.bNext = new Int32Array(h.bNext, 0, h.bNext.byteLength >> 2);
  }

  /** Number of entries. */
  get count(): number {
    return this.ctl[CTL_COUNT];
  }

  /** The writer's sequence number: even and unchanged means no write happened. */
  get sequence(): number {
    return Atomics.load(this.ctl, CTL_SEQ);
  }

  // ---- entry fields, by id (ids are valid until the next mutation) ----

  startPage(id: number): number {
    return this.rec[4 * id + REC_START];
  }
  lastPage(id: number): number {
    return this.rec[4 * id + REC_LAST];
  }
  /** Target page of the entry's first byte (exact: < 2^52). */
  addrPage(id: number): number {
    return this.rec[4 * id + REC_ADDR];
  }
  startOff(id: number): number {
    return this.rec[4 * id + REC_META] & PAGE_OFFSET_MASK;
  }
  lastOff(id: number): number {
    return (this.rec[4 * id + REC_META] >>> META_LAST_SHIFT) & PAGE_OFFSET_MASK;
  }
  perm(id: number): number {
    return (this.rec[4 * id + REC_META] >>> META_PERM_SHIFT) & 0xff;
  }
  addrOff(id: number): number {
    return Math.floor(this.rec[4 * id + REC_META] / META_ADDR_OFF_SCALE);
  }

  // ---- point lookup ----

  /**
   * Finds the entry containing byte (page, off) and sets outPage/outOff/outPerm
   * to its translation. Returns the entry id, or 0 for a miss. No seqlock here:
   * the writer calls it directly, readers wrap it (IotlbReader).
   * Unrolled over the seven levels: this is the hot path of every DMA.
   */
  protected lookup(page: number, off: number): number {
    const s = this.slots;
    const hi = Math.floor(page / 2 ** 27); // page bits 27..51: the 512 GiB stretch
    let v: number;
    const seq = this.ctl[CTL_SEQ];
    if (hi === this.cacheHi && seq === this.cacheSeq) {
      v = this.cacheLevel3; // no write since: the top three levels are as they were
    } else {
      v = s[1 + (hi >>> 18)];
      if (!(v < 0)) return v > 0 ? this.hit(v, page, off) : 0; // (undefined: torn read, reader retries)
      v = s[1 - v + ((hi >>> 9) & 511)];
      if (!(v < 0)) return v > 0 ? this.hit(v, page, off) : 0;
      v = s[1 - v + (hi & 511)];
      if (!(v < 0)) return v > 0 ? this.hit(v, page, off) : 0;
      if ((seq & 1) === 0) {
        this.cacheHi = hi;
        this.cacheSeq = seq;
        this.cacheLevel3 = v;
      }
    }
    v = s[1 - v + ((page >>> 18) & 511)];
    if (!(v < 0)) return v > 0 ? this.hit(v, page, off) : 0;
    v = s[1 - v + ((page >>> 9) & 511)];
    if (!(v < 0)) return v > 0 ? this.hit(v, page, off) : 0;
    v = s[1 - v + ((page >>> 5) & 15)];
    if (!(v < 0)) return v > 0 ? this.hit(v, page, off) : 0;
    // A leaf: a one-page entry of the whole page answers from the leaf's
    // translation words, without reading its record (see LEAF_XLAT).
    const leaf = -v;
    const k = page & 31;
    v = s[leaf + 1 + k];
    if (v > 0) {
      const hi = s[leaf + LEAF_XLAT + 1 + 2 * k];
      if ((hi & XLAT_VALID) === 0) return this.hit(v, page, off);
      this.outPage = (hi & XLAT_HI_MASK) * 2 ** 32 + (s[leaf + LEAF_XLAT + 2 * k] >>> 0);
      this.outOff = off;
      this.outPerm = (hi >>> XLAT_PERM_SHIFT) & 0xff;
      return v;
    }
    return v < 0 ? this.bucketLookup(-v, page, off) : 0;
  }

  /** If entry e contains (page, off), sets the out fields and returns e; else 0. */
  private hit(e: number, page: number, off: number): number {
    const r = this.rec;
    const i = 4 * e;
    const sp = r[i + REC_START];
    const meta = r[i + REC_META];
    if (meta < META_ADDR_OFF_SCALE && (meta & WHOLE_PAGES_MASK) === WHOLE_PAGES_META) {
      // Whole pages to a page-aligned target (every PA-mode entry): no
      // offsets to compare or carry, and the perm is the top byte.
      if (page < sp || page > r[i + REC_LAST]) return 0;
      let p = r[i + REC_ADDR] + (page - sp);
      if (p >= TWO_POW_52) p -= TWO_POW_52;
      this.outPage = p;
      this.outOff = off;
      this.outPerm = meta >>> META_PERM_SHIFT;
      return e;
    }
    const m32 = meta >>> 0;
    if (page < sp || (page === sp && off < (m32 & PAGE_OFFSET_MASK))) return 0;
    const lp = r[i + REC_LAST];
    if (page > lp || (page === lp && off > ((m32 >>> META_LAST_SHIFT) & PAGE_OFFSET_MASK))) return 0;
    // addr + (iova - start), in pages and offsets; u64 arithmetic wraps mod 2^64.
    const o = Math.floor(meta / META_ADDR_OFF_SCALE) + off - (m32 & PAGE_OFFSET_MASK);
    const carry = o < 0 ? -1 : o >= PAGE_SIZE ? 1 : 0;
    let p = r[i + REC_ADDR] + (page - sp) + carry;
    if (p >= TWO_POW_52) p -= TWO_POW_52;
    this.outPage = p;
    this.outOff = o - carry * PAGE_SIZE;
    this.outPerm = (m32 >>> META_PERM_SHIFT) & 0xff;
    return e;
  }

  private bucketLookup(b: number, page: number, off: number): number {
    for (let n = 0; b > 0 && n < MAX_BUCKET_CHAIN; n++) {
      const e = this.bEntry[b];
      if (e > 0 && this.hit(e, page, off)) return e;
      b = this.bNext[b];
    }
    return 0;
  }

  // ---- overlap query ----

  /**
   * First entry (lowest start) overlapping bytes [q, l], both inclusive, or 0.
   * The caller guarantees (qp, qo) <= (lp, lo).
   */
  protected findFrom(qp: number, qo: number, lp: number, lo: number): number {
    // Across pages: the gathering walk, stopped at its first entry.
    if (qp !== lp) return this.gatherOverlapping(qp, qo, lp, lo, this.firstOnly) ? this.firstOnly[0] : 0;
    this.qp = qp;
    this.qo = qo;
    this.lp = lp;
    this.lo = lo;
    return this.findInPage(qp);
  }

  private readonly firstOnly = new Int32Array(1);

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
   * Writes into `out` the ids of the first out.length entries overlapping
   * [q, l] (from (qp, qo) on), in IOVA order, each once; returns how many.
   * One walk of the tree, no re-descent and no callback per entry: unmapping
   * and set_map walks visit tens of millions of entries on a 4k guest.
   * Continue after the last id with findAfter-style bounds (see RadixIotlb).
   */
  protected gatherOverlapping(qp: number, qo: number, lp: number, lo: number, out: Int32Array): number {
    this.qp = qp;
    this.qo = qo;
    this.lp = lp;
    this.lo = lo;
    this.lastVisited = 0;
    this.gathered = 0;
    this.gatherIn(0, TOP_LEVEL, 0, qp, lp, out);
    return this.gathered;
  }

  /**
   * gatherIn over slots [from, to] of a level-0 node whose pages all lie
   * strictly inside the query's: every entry touching them overlaps it, so
   * each new id goes straight out (no bounds check). The common node of a
   * whole-section walk; its state is kept in locals, not fields.
   */
  private gatherInnerLeaf(from: number, to: number, out: Int32Array): boolean {
    const s = this.slots;
    const cap = out.length;
    let g = this.gathered;
    let last = this.lastVisited;
    let full = false;
    for (let at = from; at <= to && !full; at++) {
      const v = s[at];
      if (v > 0) {
        if (v === last) continue;
        last = v;
        out[g++] = v;
        full = g === cap;
      } else if (v < 0) {
        for (let b = -v, n = 0; b > 0 && n < MAX_BUCKET_CHAIN && !full; n++, b = this.bNext[b]) {
          const e = this.bEntry[b];
          if (e === last) continue;
          last = e;
          out[g++] = e;
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
  private gatherIn(node: number, level: number, base: number, ps: number, pl: number, out: Int32Array): boolean {
    const s = this.slots;
    if (level === 0 && base > this.qp && base + LEAF_PAGES - 1 < this.lp) return this.gatherInnerLeaf(node + 1 + ps - base, node + 1 + pl - base, out);
    const span = LEVEL_SPAN[level];
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
          out[this.gathered++] = v;
          if (this.gathered === out.length) return false;
        }
      } else if (v < 0) {
        if (level === 0) {
          for (let b = -v, n = 0; b > 0 && n < MAX_BUCKET_CHAIN; n++, b = this.bNext[b]) {
            const e = this.bEntry[b];
            if (e !== this.lastVisited && this.overlapsQuery(e)) {
              this.lastVisited = e;
              out[this.gathered++] = e;
              if (this.gathered === out.length) return false;
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
