/**
 * The read side of the radix IOTLB: views over the shared buffers, entry
 * fields and the point lookup. The writer (RadixIotlb, through
 * query-walks.ts) and attached readers (IotlbReader) both build on it.
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
import type { SharedWasmMemory } from './seqlock.js';

// Module-local copies of the layout constants and control-block indexes:
// in optimized code V8 (Node 20) reloads an imported binding, or a property
// of an imported object, on every use, but folds a module-local const to its
// value. On the hot paths that was a fifth of a whole-page insert (measured).
const {
  CTL,
  LEAF_XLAT,
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
  /** The shared WebAssembly.Memory whose buffer `ctl` is, when it is one: readers read SEQ through it (seqlock.ts). */
  seq?: SharedWasmMemory;
  slots: SharedArrayBuffer;
  rec: SharedArrayBuffer;
  bEntry: SharedArrayBuffer;
  bNext: SharedArrayBuffer;
}

const TWO_POW_52 = 2 ** 52;
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
  /** The control block (CTL in layout.ts); a writer moves it once, before any reader exists (RadixIotlb.handle). */
  protected ctl: Int32Array;
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

  /** The shared buffers this view reads (a writer may point `rec` at another tree's: RadixIotlb.shareFrom). */
  constructor(protected readonly buffers: IotlbHandle) {
    this.ctl = new Int32Array(buffers.ctl);
    this.refreshViews();
  }

  /** Rebuilds the fixed-length views after a buffer grew (see growable.ts). */
  protected refreshViews(): void {
    const h = this.buffers;
    this.epoch = Atomics.load(this.ctl, CTL_GROW_EPOCH);
    // Division, not `>> 2`: a shift works on int32, so a buffer of 2 GiB or more (a 256 GiB 4k guest's records) gave a negative length.
    this.slots = new Int32Array(h.slots, 0, h.slots.byteLength / 4);
    this.rec = new Float64Array(h.rec, 0, h.rec.byteLength / 8);
    this.bEntry = new Int32Array(h.bEntry, 0, h.bEntry.byteLength / 4);
    this.bNext = new Int32Array(h.bNext, 0, h.bNext.byteLength / 4);
  }

  /** Number of entries. */
  get count(): number {
    return this.ctl[CTL_COUNT];
  }

  /**
   * The writer's sequence number: odd while a write section is open. It does
   * not move for the one write outside a section, a whole page published into
   * an empty slot (insert-paths.ts), which raises `count` instead: a tree
   * whose sequence and count are both unchanged was not written.
   */
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
    // translation word, without reading its record (see LEAF_XLAT).
    const leaf = -v;
    const k = page & 31;
    v = s[leaf + 1 + k];
    if (v > 0) {
      const x = s[leaf + LEAF_XLAT + k];
      if (!(x > 0)) return this.hit(v, page, off);
      this.outPage = (x - 1) >>> 2;
      this.outOff = off;
      this.outPerm = (x - 1) & 3;
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
}
