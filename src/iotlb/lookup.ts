/**
 * The point lookup of the radix IOTLB, the hot path of every DMA: the writer
 * (RadixIotlb.translatePage) and attached readers (IotlbReader, under the
 * seqlock) both call `lookup` over their Tree.
 */
import * as layout from './layout.js';
import type { Tree } from './tree.js';

// Module-local copies of the layout constants (tree.ts on why).
const { CTL, LEAF_XLAT, MAX_BUCKET_CHAIN, META_ADDR_OFF_SCALE, META_LAST_SHIFT, META_PERM_SHIFT, PAGE_OFFSET_MASK, PAGE_SIZE, REC_ADDR, REC_LAST, REC_META, REC_START } = layout;
const CTL_SEQ = CTL.SEQ;

const TWO_POW_52 = 2 ** 52;
/** The offset bits of a record's meta word, and their value for an entry of whole pages (start offset 0, last offset 4095). */
const WHOLE_PAGES_MASK = (PAGE_OFFSET_MASK << META_LAST_SHIFT) | PAGE_OFFSET_MASK;
const WHOLE_PAGES_META = PAGE_OFFSET_MASK << META_LAST_SHIFT;

/**
 * Finds the entry containing byte (page, off) and sets t.outPage/outOff/outPerm
 * to its translation. Returns the entry id, or 0 for a miss. No seqlock here:
 * the writer calls it directly, readers wrap it (IotlbReader).
 * Unrolled over the seven levels.
 */
export function lookup(t: Tree, page: number, off: number): number {
  const s = t.slots;
  const hi = Math.floor(page / 2 ** 27); // page bits 27..51: the 512 GiB stretch
  let v: number;
  const seq = t.ctl[CTL_SEQ];
  if (hi === t.cacheHi && seq === t.cacheSeq) {
    v = t.cacheLevel3; // no write since: the top three levels are as they were
  } else {
    v = s[1 + (hi >>> 18)];
    if (!(v < 0)) return v > 0 ? hit(t, v, page, off) : 0; // (undefined: torn read, reader retries)
    v = s[1 - v + ((hi >>> 9) & 511)];
    if (!(v < 0)) return v > 0 ? hit(t, v, page, off) : 0;
    v = s[1 - v + (hi & 511)];
    if (!(v < 0)) return v > 0 ? hit(t, v, page, off) : 0;
    if ((seq & 1) === 0) {
      t.cacheHi = hi;
      t.cacheSeq = seq;
      t.cacheLevel3 = v;
    }
  }
  v = s[1 - v + ((page >>> 18) & 511)];
  if (!(v < 0)) return v > 0 ? hit(t, v, page, off) : 0;
  v = s[1 - v + ((page >>> 9) & 511)];
  if (!(v < 0)) return v > 0 ? hit(t, v, page, off) : 0;
  v = s[1 - v + ((page >>> 5) & 15)];
  if (!(v < 0)) return v > 0 ? hit(t, v, page, off) : 0;
  // A leaf: a one-page entry of the whole page answers from the leaf's
  // translation word, without reading its record (see LEAF_XLAT).
  const leaf = -v;
  const k = page & 31;
  v = s[leaf + 1 + k];
  if (v > 0) {
    const x = s[leaf + LEAF_XLAT + k];
    if (!(x > 0)) return hit(t, v, page, off);
    t.outPage = (x - 1) >>> 2;
    t.outOff = off;
    t.outPerm = (x - 1) & 3;
    return v;
  }
  return v < 0 ? bucketLookup(t, -v, page, off) : 0;
}

/** If entry e contains (page, off), sets the out fields and returns e; else 0. */
function hit(t: Tree, e: number, page: number, off: number): number {
  const r = t.rec;
  const i = 4 * e;
  const sp = r[i + REC_START];
  const meta = r[i + REC_META];
  if (meta < META_ADDR_OFF_SCALE && (meta & WHOLE_PAGES_MASK) === WHOLE_PAGES_META) {
    // Whole pages to a page-aligned target (every PA-mode entry): no
    // offsets to compare or carry, and the perm is the top byte.
    if (page < sp || page > r[i + REC_LAST]) return 0;
    let p = r[i + REC_ADDR] + (page - sp);
    if (p >= TWO_POW_52) p -= TWO_POW_52;
    t.outPage = p;
    t.outOff = off;
    t.outPerm = meta >>> META_PERM_SHIFT;
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
  t.outPage = p;
  t.outOff = o - carry * PAGE_SIZE;
  t.outPerm = (m32 >>> META_PERM_SHIFT) & 0xff;
  return e;
}

function bucketLookup(t: Tree, b: number, page: number, off: number): number {
  for (let n = 0; b > 0 && n < MAX_BUCKET_CHAIN; n++) {
    const e = t.bEntry[b];
    if (e > 0 && hit(t, e, page, off)) return e;
    b = t.bNext[b];
  }
  return 0;
}
