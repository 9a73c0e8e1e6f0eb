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
import {
  CTL,
  LEVEL_SHIFT,
  LEVEL_SLOTS,
  LEVEL_SPAN,
  MAX_BUCKET_CHAIN,
  META_LAST_SHIFT,
  META_PERM_SHIFT,
  PAGE_OFFSET_MASK,
  PAGE_SIZE,
  TOP_LEVEL,
} from './layout.js';

/** The shared buffers of one tree: pass this to another worker and `attach` it. */
export interface IotlbHandle {
  ctl: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  eStart: SharedArrayBuffer;
  eLast: SharedArrayBuffer;
  eAddr: SharedArrayBuffer;
  eMeta: SharedArrayBuffer;
  bEntry: SharedArrayBuffer;
  bNext: SharedArrayBuffer;
}

const TWO_POW_52 = 2 ** 52;

export class RadixView {
  protected readonly ctl: Int32Array;
  protected slots!: Int32Array;
  /** Entry start page, last page (inclusive). */
  protected eStart!: Float64Array;
  protected eLast!: Float64Array;
  /** Entry target address as [lo, hi] u32 pairs. */
  protected eAddr!: Uint32Array;
  protected eMeta!: Int32Array;
  protected bEntry!: Int32Array;
  protected bNext!: Int32Array;
  protected epoch = -1;

  /** Result of the last successful lookup: target page, offset, perm. */
  outPage = 0;
  outOff = 0;
  outPerm = 0;

  // The current overlap query [q, l] as (page, offset) pairs.
  private qp = 0;
  private qo = 0;
  private lp = 0;
  private lo = 0;

  constructor(readonly handle: IotlbHandle) {
    this.ctl = new Int32Array(handle.ctl);
    this.refreshViews();
  }

  /** Rebuilds the fixed-length views after a buffer grew (see growable.ts). */
  protected refreshViews(): void {
    const h = this.handle;
    this.epoch = Atomics.load(this.ctl, CTL.GROW_EPOCH);
    this.slots = new Int32Array(h.slots, 0, h.slots.byteLength >> 2);
    this.eStart = new Float64Array(h.eStart, 0, h.eStart.byteLength >> 3);
    this.eLast = new Float64Array(h.eLast, 0, h.eLast.byteLength >> 3);
    this.eAddr = new Uint32Array(h.eAddr, 0, h.eAddr.byteLength >> 2);
    this.eMeta = new Int32Array(h.eMeta, 0, h.eMeta.byteLength >> 2);
    this.bEntry = new Int32Array(h.bEntry, 0, h.bEntry.byteLength >> 2);
    this.bNext = new Int32Array(h.bNext, 0, h.bNext.byteLength >> 2);
  }

  /** Number of entries. */
  get count(): number {
    return this.ctl[CTL.COUNT];
  }

  // ---- entry fields, by id (ids are valid until the next mutation) ----

  startPage(id: number): number {
    return this.eStart[id];
  }
  startOff(id: number): number {
    return this.eMeta[id] & PAGE_OFFSET_MASK;
  }
  lastPage(id: number): number {
    return this.eLast[id];
  }
  lastOff(id: number): number {
    return (this.eMeta[id] >>> META_LAST_SHIFT) & PAGE_OFFSET_MASK;
  }
  perm(id: number): number {
    return (this.eMeta[id] >>> META_PERM_SHIFT) & 0xff;
  }
  addrLo(id: number): number {
    return this.eAddr[2 * id];
  }
  addrHi(id: number): number {
    return this.eAddr[2 * id + 1];
  }
  /** Target page of the entry's first byte (exact: < 2^52). */
  addrPage(id: number): number {
    return this.eAddr[2 * id + 1] * 2 ** 20 + (this.eAddr[2 * id] >>> 12);
  }

  // ---- point lookup ----

  /**
   * Finds the entry containing byte (page, off) and sets outPage/outOff/outPerm
   * to its translation. Returns the entry id, or 0 for a miss. No seqlock here:
   * the writer calls it directly, readers wrap it (IotlbReader).
   */
  protected lookup(page: number, off: number): number {
    const s = this.slots;
    let node = 0;
    for (let level = TOP_LEVEL; ; level--) {
      // Levels 0..3 index bits 0..26: the low 32 bits of `page` suffice.
      const idx =
        level > 3
          ? Math.floor(page / LEVEL_SPAN[level]) & (LEVEL_SLOTS[level] - 1)
          : (page >>> LEVEL_SHIFT[level]) & (LEVEL_SLOTS[level] - 1);
      const v = s[node + 1 + idx];
      if (v > 0) return this.covers(v, page, off) ? this.translateIn(v, page, off) : 0;
      if (!(v < 0)) return 0; // empty, or a torn read past a view (reader retries)
      if (level === 0) return this.bucketLookup(-v, page, off);
      node = -v;
    }
  }

  private covers(e: number, page: number, off: number): boolean {
    const sp = this.eStart[e];
    if (page < sp) return false;
    const meta = this.eMeta[e];
    if (page === sp && off < (meta & PAGE_OFFSET_MASK)) return false;
    const lp = this.eLast[e];
    if (page > lp) return false;
    if (page === lp && off > ((meta >>> META_LAST_SHIFT) & PAGE_OFFSET_MASK)) return false;
    return true;
  }

  private translateIn(e: number, page: number, off: number): number {
    const meta = this.eMeta[e];
    const lo = this.eAddr[2 * e];
    // addr + (iova - start), in pages and offsets; u64 arithmetic wraps mod 2^64.
    const o = (lo & PAGE_OFFSET_MASK) + off - (meta & PAGE_OFFSET_MASK);
    const carry = Math.floor(o / PAGE_SIZE);
    let p = this.eAddr[2 * e + 1] * 2 ** 20 + (lo >>> 12) + (page - this.eStart[e]) + carry;
    if (p >= TWO_POW_52) p -= TWO_POW_52;
    this.outPage = p;
    this.outOff = o - carry * PAGE_SIZE;
    this.outPerm = (meta >>> META_PERM_SHIFT) & 0xff;
    return e;
  }

  private bucketLookup(b: number, page: number, off: number): number {
    for (let n = 0; b > 0 && n < MAX_BUCKET_CHAIN; n++) {
      const e = this.bEntry[b];
      if (e > 0 && this.covers(e, page, off)) return this.translateIn(e, page, off);
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
    this.qp = qp;
    this.qo = qo;
    this.lp = lp;
    this.lo = lo;
    return this.findIn(0, TOP_LEVEL, 0, qp, lp);
  }

  /** First entry after `id` that overlaps [q, l] (entries are disjoint). */
  protected findAfter(id: number, lp: number, lo: number): number {
    let p = this.eLast[id];
    let o = ((this.eMeta[id] >>> META_LAST_SHIFT) & PAGE_OFFSET_MASK) + 1;
    if (o === PAGE_SIZE) {
      if (p === TWO_POW_52 - 1) return 0; // the entry ends at 2^64-1
      p += 1;
      o = 0;
    }
    if (p > lp || (p === lp && o > lo)) return 0;
    return this.findFrom(p, o, lp, lo);
  }

  private findIn(node: number, level: number, base: number, ps: number, pl: number): number {
    const s = this.slots;
    const span = LEVEL_SPAN[level];
    const i1 = Math.floor((pl - base) / span);
    for (let i = Math.floor((ps - base) / span); i <= i1; i++) {
      const v = s[node + 1 + i];
      if (v > 0) {
        if (this.overlapsQuery(v)) return v;
        continue;
      }
      if (!(v < 0)) continue;
      if (level === 0) {
        const r = this.bucketFind(-v);
        if (r) return r;
        continue;
      }
      const sb = base + i * span;
      const r = this.findIn(-v, level - 1, sb, ps > sb ? ps : sb, pl < sb + span - 1 ? pl : sb + span - 1);
      if (r) return r;
    }
    return 0;
  }

  private overlapsQuery(e: number): boolean {
    // e.last >= q
    const elp = this.eLast[e];
    if (elp < this.qp) return false;
    const meta = this.eMeta[e];
    if (elp === this.qp && ((meta >>> META_LAST_SHIFT) & PAGE_OFFSET_MASK) < this.qo) return false;
    // e.start <= l
    const esp = this.eStart[e];
    if (esp > this.lp) return false;
    if (esp === this.lp && (meta & PAGE_OFFSET_MASK) > this.lo) return false;
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
