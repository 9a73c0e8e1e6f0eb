/**
 * The insert paths of the radix IOTLB, page-number API: single inserts (a
 * whole page into an empty slot of an existing node is published by one
 * atomic store, everything else goes under the seqlock) and batch inserts
 * of one pin batch's runs in a single write section.
 */
import { IotlbError } from '../errors.js';
import { checkPerm, isPage } from './checks.js';
import * as layout from './layout.js';
import { ensure, newRecord, setXlat } from './pools.js';
import { findFrom } from './query-walks.js';
import { ownRecords } from './record-sharing.js';
import { beginWrite, endWrite } from './seqlock.js';
import { insertInto, insertOnePage } from './tree-surgery.js';
import { lastPage, slotOf, startPage, type Tree } from './tree.js';

// Module-local copies of the layout constants and control-block indexes (tree.ts on why).
const {
  CTL,
  ENTRY_BYTES,
  LEAF_XLAT,
  LEVEL_SPAN,
  MAX_PAGE,
  META_LAST_SHIFT,
  META_PERM_SHIFT,
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
  ENTRIES_TOP: CTL_ENTRIES_TOP,
  FREE_ENTRY: CTL_FREE_ENTRY,
} = CTL;
/** Last byte offset of a page: a whole-page entry runs from offset 0 to this. */
const PAGE_LAST_OFF = 4095;
/** Pages under one level-0 node (what the writer's leaf cache covers). */
const LEAF_NODE_PAGES = LEVEL_SPAN[1];
/** Pages under one level-1 node (what the writer's level-1 cache covers). */
const MID_NODE_PAGES = LEVEL_SPAN[2];

/**
 * Maps `npages` whole pages from IOVA page `iovaPage` to target page
 * `addrPage`: the shape of every PA-mode entry (vhost_vdpa_pa_map).
 * Returns the new entry id.
 */
export function addPages(t: Tree, iovaPage: number, npages: number, addrPage: number, perm: number): number {
  if (npages === 1 && Math.floor(iovaPage / LEAF_NODE_PAGES) === t.leafBlock) {
    const id = appendPage(t, iovaPage, addrPage, perm);
    if (id !== 0) return id;
  }
  const last = iovaPage + npages - 1;
  if (!(npages >= 1 && isPage(iovaPage) && isPage(last) && isPage(addrPage))) {
    throw new IotlbError('EINVAL', `bad page range: iovaPage ${iovaPage}, npages ${npages}, addrPage ${addrPage}`);
  }
  if ((perm & 0xff) !== perm) checkPerm(perm);
  return insertParts(t, iovaPage, 0, last, PAGE_OFFSET_MASK, addrPage, 0, perm);
}

/**
 * Maps `count` IOVA-consecutive whole-page entries in ONE write section:
 * entry k starts where entry k-1 ends, spans pages[k] pages and maps to
 * target page addrPages[k]. This is vhost_vdpa_pa_map's loop over the
 * physically contiguous runs of one pin batch, without a seqlock round and
 * a validation per entry: on a fragmented 4k guest there is one entry per page.
 * Fills ids[k]. Returns how many went in, in order; when fewer than `count`,
 * `batchError` says why the next one was refused and the tree holds exactly
 * the ones before it (as if they had been added one by one).
 */
export function addPageRuns(t: Tree, iovaPage: number, count: number, pages: Int32Array, addrPages: Float64Array, perm: number, ids: Int32Array): number {
  checkPerm(perm);
  if (t.recordSource) ownRecords(t);
  t.batchError = undefined;
  const limit = t.entryLimit;
  let page = iovaPage;
  let k = 0;
  beginWrite(t);
  try {
    for (; k < count; k++) {
      if (limit < 0 && pages[k] === 1 && Math.floor(page / LEAF_NODE_PAGES) === t.leafBlock) {
        const added = appendToLeaf(t, page, k, count, pages, addrPages, perm, ids);
        k += added;
        page += added;
        if (k === count) break;
      }
      const n = pages[k];
      const addr = addrPages[k];
      if (!(n >= 1 && isPage(page) && isPage(page + n - 1) && isPage(addr))) {
        t.batchError = new IotlbError('EINVAL', `bad page range: iovaPage ${page}, npages ${n}, addrPage ${addr}`);
        break;
      }
      if (limit >= 0 && t.ctl[CTL_COUNT] >= limit) {
        t.batchError = limit === 0 ? new IotlbError('EINVAL', 'iotlb limit is 0') : new IotlbError('ENOSPC', `iotlb holds ${limit} entries, the limit`);
        break;
      }
      let id: number;
      if (n === 1) {
        id = insertWholePageLocked(t, page, addr, 0, perm);
      } else if (findFrom(t, page, 0, page + n - 1, PAGE_OFFSET_MASK)) {
        id = 0;
      } else {
        id = newRecord(t, page, 0, page + n - 1, PAGE_OFFSET_MASK, addr, 0, perm);
        insertInto(t, 0, TOP_LEVEL, 0, page, page + n - 1, id);
        t.ctl[CTL_COUNT]++;
      }
      if (!id) {
        t.batchError = new IotlbError('EEXIST', `range overlaps an existing entry`);
        break;
      }
      ids[k] = id;
      page += n;
    }
  } finally {
    endWrite(t);
  }
  return k;
}

/**
 * addPageRuns' inner loop for its common case: single pages going into the
 * cached level-0 node, with new records taken from the top of the pool (no
 * free list), no limit. Tree and pool counters are written once per call.
 * Returns how many entries went in from index k; stops at the first entry
 * that is not such a page (or at a taken slot, a bad address, the leaf's
 * end), leaving it to the general path.
 */
function appendToLeaf(t: Tree, page: number, k: number, count: number, pages: Int32Array, addrPages: Float64Array, perm: number, ids: Int32Array): number {
  const ctl = t.ctl;
  if (ctl[CTL_FREE_ENTRY] !== 0) return 0;
  const leaf = t.leafNode;
  const room = Math.min(count - k, LEAF_NODE_PAGES - (page & (LEAF_NODE_PAGES - 1)));
  let top = ctl[CTL_ENTRIES_TOP];
  if ((top + room) * REC_WORDS > t.rec.length) ensure(t, 'rec', (top + room) * ENTRY_BYTES);
  const slots = t.slots;
  const r = t.rec;
  const meta = ((PAGE_LAST_OFF << META_LAST_SHIFT) | ((perm & 0xff) << META_PERM_SHIFT)) >>> 0;
  const xlatPerm = perm <= 3 ? 1 + perm : -1; // (perm is checked: 0..255)
  let added = 0;
  for (; added < room; added++) {
    const addr = addrPages[k + added];
    const slot = (page + added) & (LEAF_NODE_PAGES - 1);
    const at = leaf + 1 + slot;
    if (!(pages[k + added] === 1 && slots[at] === 0 && addr >= 0 && addr <= MAX_PAGE && addr === Math.floor(addr))) break;
    const id = top++;
    const i = REC_WORDS * id;
    r[i + REC_START] = page + added;
    r[i + REC_LAST] = page + added;
    r[i + REC_ADDR] = addr;
    r[i + REC_META] = meta;
    slots[leaf + LEAF_XLAT + slot] = xlatPerm > 0 && addr <= XLAT_MAX_PAGE ? addr * 4 + xlatPerm : 0;
    slots[at] = id;
    ids[k + added] = id;
  }
  ctl[CTL_ENTRIES_TOP] = top;
  slots[leaf] += added;
  ctl[CTL_COUNT] += added;
  return added;
}

/**
 * addPages' common case, the 4k guest's entry: one page into an empty slot
 * of the level-0 node the last insert used, a record from the top of the
 * pool, no limit, the tree's own records, no reader yet. Returns the new
 * id, or 0 (nothing written) when any of that does not hold or an argument
 * is not a plain page number and perm: the general path then decides.
 * Why: the general path (insertParts -> insertWholePage) took 28 ns per
 * insert building 1 M pages in IOVA order, where the stores themselves
 * take about 9 (a bare loop writing the same words); this one takes 18
 * (medians of 11 builds in one process, #14): one call, one test of
 * everything the general path checks on the way.
 */
function appendPage(t: Tree, page: number, addr: number, perm: number): number {
  const ctl = t.ctl;
  const r = t.rec;
  const slots = t.slots;
  const id = ctl[CTL_ENTRIES_TOP];
  const i = REC_WORDS * id;
  const at = t.leafNode + 1 + (page & (LEAF_NODE_PAGES - 1));
  if (
    t.exported ||
    t.entryLimit >= 0 ||
    t.recordSource !== undefined ||
    ctl[CTL_FREE_ENTRY] !== 0 ||
    i + REC_WORDS > r.length ||
    slots[at] !== 0 ||
    !(page >= 0 && page === Math.floor(page) && addr >= 0 && addr <= MAX_PAGE && addr === Math.floor(addr) && perm >= 0 && perm <= 0xff && perm === (perm | 0))
  ) {
    return 0;
  }
  ctl[CTL_ENTRIES_TOP] = id + 1;
  r[i + REC_START] = page;
  r[i + REC_LAST] = page;
  r[i + REC_ADDR] = addr;
  r[i + REC_META] = ((PAGE_LAST_OFF << META_LAST_SHIFT) | (perm << META_PERM_SHIFT)) >>> 0;
  slots[at + (LEAF_XLAT - 1)] = perm <= 3 && addr <= XLAT_MAX_PAGE ? 1 + addr * 4 + perm : 0;
  slots[at] = id;
  slots[t.leafNode]++;
  ctl[CTL_COUNT]++;
  return id;
}

/**
 * Maps bytes [(sp,so), (lp,lo)] to (addrPage, addrOff) with perm: the
 * checked arguments of addRange. Throws IotlbError (EINVAL at limit 0,
 * ENOSPC at the limit, EEXIST on an overlap), the tree unchanged.
 */
export function insertParts(t: Tree, sp: number, so: number, lp: number, lo: number, addrPage: number, addrOff: number, perm: number): number {
  if (t.recordSource) ownRecords(t);
  const limit = t.entryLimit;
  if (limit === 0) throw new IotlbError('EINVAL', 'iotlb limit is 0');
  if (limit > 0 && t.ctl[CTL_COUNT] >= limit) {
    throw new IotlbError('ENOSPC', `iotlb holds ${t.ctl[CTL_COUNT]} entries, the limit`);
  }
  if (sp === lp && so === 0 && lo === PAGE_LAST_OFF) return insertWholePage(t, sp, addrPage, addrOff, perm);
  if (findFrom(t, sp, so, lp, lo)) {
    throw new IotlbError('EEXIST', `range overlaps an existing entry`);
  }
  beginWrite(t);
  const id = newRecord(t, sp, so, lp, lo, addrPage, addrOff, perm);
  if (sp === lp) insertOnePage(t, sp, id);
  else insertInto(t, 0, TOP_LEVEL, 0, sp, lp, id);
  t.ctl[CTL_COUNT]++;
  endWrite(t);
  return id;
}

/**
 * One whole-page entry, the common entry of a 4 KiB-fragmented guest.
 * Filling an empty slot of an existing node changes nothing a reader walks
 * but that slot: the record is written first, then its id is published
 * with one atomic store (a reader that sees the id reads the record through
 * it; the store is sequentially consistent). No seqlock round, and readers'
 * level-3 caches stay valid. Pool growth, push-downs and every removal still
 * go through the seqlock.
 */
function insertWholePage(t: Tree, page: number, addrPage: number, addrOff: number, perm: number): number {
  const roomy = t.ctl[CTL_FREE_ENTRY] !== 0 || (t.ctl[CTL_ENTRIES_TOP] + 1) * REC_WORDS <= t.rec.length;
  if (roomy && Math.floor(page / LEAF_NODE_PAGES) === t.leafBlock) {
    // The cached leaf: the page's slot is page mod 32. (Kept apart from the
    // general case below: folding the two made this path half again slower.)
    const at = t.leafNode + 1 + (page & (LEAF_NODE_PAGES - 1));
    if (t.slots[at] !== 0) throw new IotlbError('EEXIST', `range overlaps an existing entry`);
    const id = newRecord(t, page, 0, page, PAGE_LAST_OFF, addrPage, addrOff, perm);
    setXlat(t, t.leafNode, at, id);
    if (t.exported) Atomics.store(t.slots, at, id);
    else t.slots[at] = id; // no reader can exist yet (see `exported`)
    t.slots[t.leafNode]++;
    t.ctl[CTL_COUNT]++;
    return id;
  }
  if (!findSlotFor(t, page)) throw new IotlbError('EEXIST', `range overlaps an existing entry`);
  const node = t.foundNode;
  const level = t.foundLevel;
  const at = node + 1 + slotOf(page, level);
  if (roomy && t.slots[at] === 0) {
    const id = newRecord(t, page, 0, page, PAGE_LAST_OFF, addrPage, addrOff, perm);
    if (level === 0) setXlat(t, node, at, id);
    if (t.exported) Atomics.store(t.slots, at, id);
    else t.slots[at] = id;
    t.slots[node]++;
    t.ctl[CTL_COUNT]++;
    if (level === 0) {
      t.leafBlock = Math.floor(page / LEAF_NODE_PAGES);
      t.leafNode = node;
    }
    return id;
  }
  beginWrite(t);
  const id = insertFound(t, page, addrPage, addrOff, perm);
  endWrite(t);
  return id;
}

/**
 * insertWholePage inside a write section the caller holds.
 * Returns the id, or 0 on overlap.
 */
function insertWholePageLocked(t: Tree, page: number, addrPage: number, addrOff: number, perm: number): number {
  if (!findSlotFor(t, page)) return 0;
  return insertFound(t, page, addrPage, addrOff, perm);
}

/** Inserts a whole page where findSlotFor stopped (pushing down the stretch's only entry if needed). */
function insertFound(t: Tree, page: number, addrPage: number, addrOff: number, perm: number): number {
  const id = newRecord(t, page, 0, page, PAGE_LAST_OFF, addrPage, addrOff, perm);
  const leaf = insertOnePage(t, page, id, t.foundNode, t.foundLevel);
  if (leaf >= 0) {
    t.leafBlock = Math.floor(page / LEAF_NODE_PAGES);
    t.leafNode = leaf;
  }
  t.ctl[CTL_COUNT]++;
  return id;
}

/**
 * The read-only half of a whole-page insert: descends to where `page`
 * would go and leaves it in foundNode/foundLevel (an empty slot, or a slot
 * whose only entry misses the page and must move down). False when an
 * entry already touches the page. Starts at the cached level-0 node of the
 * last insert, else at the cached level-1 node above it, else at the root:
 * a dense map fills 32 pages per leaf and enters a new leaf every 32.
 */
function findSlotFor(t: Tree, page: number): boolean {
  const slots = t.slots;
  if (Math.floor(page / LEAF_NODE_PAGES) === t.leafBlock) {
    t.foundNode = t.leafNode;
    t.foundLevel = 0;
    return slots[t.leafNode + 1 + (page & (LEAF_NODE_PAGES - 1))] === 0;
  }
  const mid = Math.floor(page / MID_NODE_PAGES);
  let node = mid === t.midBlock ? t.midNode : 0;
  let level = mid === t.midBlock ? 1 : TOP_LEVEL;
  for (; ; level--) {
    if (level === 1) {
      t.midBlock = mid;
      t.midNode = node;
    }
    const v = slots[node + 1 + slotOf(page, level)];
    if (v < 0 && level > 0) {
      node = -v;
      continue;
    }
    t.foundNode = node;
    t.foundLevel = level;
    // Level 0: an entry or a bucket touches this very page. Above: a
    // stretch's only entry overlaps only if it holds the page.
    return v === 0 || (level > 0 && !(startPage(t, v) <= page && page <= lastPage(t, v)));
  }
}

