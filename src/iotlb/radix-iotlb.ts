/**
 * RadixIotlb: the lab's replacement for the kernel's vhost_iotlb
 * (drivers/vhost/iotlb.c), a radix tree over IOVA page numbers living in
 * SharedArrayBuffers. One writer (this object); any number of readers in other
 * workers (`IotlbReader.attach(iotlb.handle)`).
 *
 * Verbs follow iotlb.c: addRange, delRange, first, next, reset, plus translate.
 * Ranges are inclusive [start, last] byte addresses.
 *
 * Differences from vhost_iotlb, on purpose:
 * - Overlapping inserts are refused with EEXIST. vhost_iotlb does not check
 *   (vhost-vdpa checks before calling it, vhost_vdpa_process_iotlb_update), so
 *   the kernel never creates overlaps; refusing keeps "one entry per byte" an
 *   invariant the tree can rely on.
 * - [0, 2^64-1] is one entry here: entries store `last`, not `size`, so nothing
 *   overflows. The kernel model splits it in two where the kernel does.
 * - No FIFO list / VHOST_IOTLB_FLAG_RETIRE: vhost-vdpa never sets it.
 *
 * Concurrency: every mutation is bracketed by a seqlock (CTL.SEQ odd while
 * writing). Readers retry a lookup whose sequence changed, so they see the old
 * mapping or the new one, never half an insert.
 */
import { IotlbError } from '../errors.js';
import { checkU64, join, split } from './address.js';
import { growableSab, growTo } from './growable.js';
import * as layout from './layout.js';
import { RadixView, slotOf, type IotlbHandle } from './radix-view.js';

// Module-local copies of the layout constants and control-block indexes:
// in optimized code V8 (Node 20) reloads an imported binding, or a property
// of an imported object, on every use, but folds a module-local const to its
// value. On the hot paths that was a fifth of a whole-page insert (measured).
const {
  BUCKET_BYTES,
  CTL,
  ENTRY_BYTES,
  LEAF_XLAT,
  XLAT_PERM_SHIFT,
  XLAT_VALID,
  LEVEL_SLOTS,
  LEVEL_SPAN,
  MAX_PAGE,
  META_ADDR_OFF_SCALE,
  META_LAST_SHIFT,
  META_PERM_SHIFT,
  NODE_WORDS,
  PAGE_OFFSET_MASK,
  PAGE_SIZE,
  REC_ADDR,
  REC_LAST,
  REC_META,
  REC_START,
  REC_WORDS,
  TOP_LEVEL,
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
  LIMIT: CTL_LIMIT,
  LENGTH: CTL_LENGTH,
} = CTL;

/** Last byte offset of a page: a whole-page entry runs from offset 0 to this. */
const PAGE_LAST_OFF = 4095;
/** The offset bits of a record's meta word, and their value for an entry of whole pages (start offset 0, last offset 4095). */
const WHOLE_PAGE_MASK = (PAGE_OFFSET_MASK << META_LAST_SHIFT) | PAGE_OFFSET_MASK;
const WHOLE_PAGE_META = PAGE_OFFSET_MASK << META_LAST_SHIFT;
/** A delete over at least this many pages first checks whether it takes every entry. */
const BULK_DELETE_MIN_PAGES = 1024;
/** Pages under one level-0 node (what the writer's leaf cache covers). */
const LEAF_NODE_PAGES = LEVEL_SPAN[1];
/** Pages under one level-1 node (what the writer's level-1 cache covers). */
const MID_NODE_PAGES = LEVEL_SPAN[2];

/** One mapping, as the bigint API returns it. */
export interface IotlbEntry {
  start: bigint;
  last: bigint;
  addr: bigint;
  perm: number;
}

export interface RadixIotlbOptions {
  /**
   * Entry limit. Undefined: unenforced (mainline vhost-vdpa). A number: the
   * distribution-kernel fix "vhost_iotlb: bound map allocation in add_range"
   * (nmaps >= limit -> ENOSPC; limit 0 -> EINVAL). See MODEL.md.
   */
  limit?: number;
  /** Initial entry capacity (the buffers grow by doubling). */
  initialEntries?: number;
}

/** Default initial entry capacity; buffers double from here. */
export const defaultInitialEntries = 1024;

function freeListField(level: number): number {
  return level === 0 ? CTL_FREE_LEAF : level === 1 ? CTL_FREE_NODE_17 : CTL_FREE_NODE_513;
}

export class RadixIotlb extends RadixView {
  /** Creates an empty tree with fresh shared buffers. */
  constructor(options: RadixIotlbOptions = {}) {
    const n = Math.max(16, options.initialEntries ?? defaultInitialEntries);
    const handle: IotlbHandle = {
      ctl: new SharedArrayBuffer(CTL_LENGTH * 4),
      slots: growableSab(Math.max(4096, n * 2) * 4),
      rec: growableSab(n * ENTRY_BYTES),
      bEntry: growableSab(256 * 4),
      bNext: growableSab(256 * 4),
    };
    super(handle);
    const limit = options.limit;
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0 && limit < 2 ** 31)) {
      throw new IotlbError('EINVAL', `limit must be an integer in [0, 2^31), got ${limit}`);
    }
    this.ctl[CTL_LIMIT] = limit === undefined ? -1 : limit;
    this.entryLimit = this.ctl[CTL_LIMIT];
    this.initEmpty();
  }

  private initEmpty(): void {
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

  /** The entry limit (-1: unenforced), kept by the writer outside shared memory: it is read on every insert. */
  private readonly entryLimit: number;

  /** The entry limit, or undefined when unenforced. */
  get limit(): number | undefined {
    const l = this.ctl[CTL_LIMIT];
    return l < 0 ? undefined : l;
  }

  /** Shared memory in use (high-water of the pools), in bytes; records read from another tree (shareFrom) are that tree's. */
  get usedBytes(): number {
    const c = this.ctl;
    const records = this.recordSource ? 0 : c[CTL_ENTRIES_TOP] * ENTRY_BYTES;
    return CTL_LENGTH * 4 + c[CTL_SLOTS_TOP] * 4 + records + c[CTL_BUCKETS_TOP] * BUCKET_BYTES;
  }

  /**
   * The buffers to hand to another worker (IotlbReader.attach). A tree whose
   * buffers another thread reads always owns its records: it stops reading
   * another tree's now (ownRecords), and later copies are real copies.
   */
  get handle(): IotlbHandle {
    if (this.recordSource) this.ownRecords();
    this.exported = true;
    return this.buffers;
  }

  // ======================= bigint API (validates) =======================

  /**
   * Maps [start, last] to addr with perm. Throws IotlbError: EINVAL for a bad
   * argument or limit 0, EFAULT for last < start (as vhost_iotlb_add_range_ctx),
   * EEXIST for an overlap, ENOSPC at the limit. On error the tree is unchanged.
   * Returns the new entry's id.
   */
  addRange(start: bigint, last: bigint, addr: bigint, perm: number): number {
    checkU64(start, 'start');
    checkU64(last, 'last');
    checkU64(addr, 'addr');
    checkPerm(perm);
    if (last < start) throw new IotlbError('EFAULT', `last ${last} < start ${start}`);
    const s = split(start);
    const l = split(last);
    const a = split(addr);
    return this.insertParts(s.page, s.off, l.page, l.off, a.page, a.off, perm);
  }

  /** Removes every entry overlapping [start, last] (whole entries, no split). Returns how many. */
  delRange(start: bigint, last: bigint): number {
    checkU64(start, 'start');
    checkU64(last, 'last');
    if (last < start) throw new IotlbError('EFAULT', `last ${last} < start ${start}`);
    const s = split(start);
    const l = split(last);
    return this.deleteParts(s.page, s.off, l.page, l.off);
  }

  /** First entry (lowest start) overlapping [start, last], as itree_first. */
  first(start: bigint, last: bigint): IotlbEntry | undefined {
    checkU64(start, 'start');
    checkU64(last, 'last');
    if (last < start) return undefined;
    const s = split(start);
    const l = split(last);
    return this.entryAt(this.findFrom(s.page, s.off, l.page, l.off));
  }

  /** Next entry after `prev` overlapping [start, last], as itree_next. */
  next(prev: IotlbEntry, start: bigint, last: bigint): IotlbEntry | undefined {
    checkU64(last, 'last');
    if (prev.last >= last) return undefined;
    const from = prev.last + 1n > start ? prev.last + 1n : start;
    return this.first(from, last);
  }

  /** Translates one IOVA: the target address and perm, or undefined. */
  translate(iova: bigint): { addr: bigint; perm: number } | undefined {
    checkU64(iova, 'iova');
    const p = split(iova);
    if (!this.lookup(p.page, p.off)) return undefined;
    return { addr: join(this.outPage, this.outOff), perm: this.outPerm };
  }

  /** Every entry, in IOVA order. */
  *entries(): IterableIterator<IotlbEntry> {
    for (let id = this.firstId(0, 0, MAX_PAGE, PAGE_OFFSET_MASK); id; id = this.nextId(id, MAX_PAGE, PAGE_OFFSET_MASK)) {
      yield this.entryAt(id)!;
    }
  }

  /** Calls visit(id) for every entry in IOVA order (the tree must not change meanwhile). */
  forEachId(visit: (id: number) => void): void {
    this.forEachBatch((ids, n) => {
      for (let k = 0; k < n; k++) visit(ids[k]);
    });
  }

  /**
   * Calls visit(ids, n) with every entry's id in IOVA order, a batch at a
   * time (the tree must not change meanwhile; `ids` is reused). For walks
   * over millions of entries: one call per batch, not per entry.
   */
  forEachBatch(visit: (ids: Int32Array, n: number) => void): void {
    this.batchesOf(0, 0, MAX_PAGE, PAGE_OFFSET_MASK, this.walkBatch, visit);
  }

  /** Gathers the entries overlapping [(sp,so), (lp,lo)] into `out`, batch after batch, and hands each to `visit`. */
  private batchesOf(sp: number, so: number, lp: number, lo: number, out: Int32Array, visit: (ids: Int32Array, n: number) => void): void {
    for (;;) {
      const n = this.gatherOverlapping(sp, so, lp, lo, out);
      if (n === 0) return;
      // Where the next batch starts: just past the last entry gathered.
      const last = out[n - 1];
      let p = this.lastPage(last);
      let o = this.lastOff(last) + 1;
      visit(out, n);
      if (n < out.length) return;
      if (o === PAGE_SIZE) {
        if (p === MAX_PAGE) return;
        p += 1;
        o = 0;
      }
      if (p > lp || (p === lp && o > lo)) return;
      sp = p;
      so = o;
    }
  }

  /**
   * True when both trees hold the same entries (ranges, targets, perms), ids
   * aside. Walks both in address order and compares each pair's 32-byte
   * record words directly (start, last, addr, and one word of offsets and perm).
   */
  sameEntriesAs(other: RadixIotlb): boolean {
    const n = this.count;
    if (n !== other.count) return false;
    const mine = new Int32Array(n);
    let k = 0;
    this.forEachBatch((ids, m) => {
      mine.set(ids.subarray(0, m), k);
      k += m;
    });
    const a = this.rec;
    const b = other.rec;
    let i = 0;
    let same = true;
    other.forEachBatch((ids, m) => {
      for (let j = 0; j < m && same; j++, i++) {
        const x = REC_WORDS * mine[i];
        const y = REC_WORDS * ids[j];
        same = a[x] === b[y] && a[x + 1] === b[y + 1] && a[x + 2] === b[y + 2] && a[x + 3] === b[y + 3];
      }
    });
    return same && i === n;
  }

  /**
   * Makes this tree an exact copy of `src` (limits aside): one memcpy per
   * buffer, O(bytes). What a parent's set_map does entry by entry
   * (vdpasim_set_map: reset, then add_range per entry); the caller counts
   * the entries walked.
   */
  copyFrom(src: RadixIotlb): void {
    this.mustNotBeShared();
    this.letGoOfRecords();
    this.beginWrite();
    const entriesTop = src.ctl[CTL_ENTRIES_TOP];
    if (entriesTop * REC_WORDS > this.rec.length) this.ensure('rec', entriesTop * ENTRY_BYTES);
    this.rec.set(src.rec.subarray(0, entriesTop * REC_WORDS));
    this.copyNodes(src);
    this.ctl[CTL_FREE_ENTRY] = src.ctl[CTL_FREE_ENTRY];
    this.endWrite();
  }

  /** Copies src's node slots, buckets and pool tops (not its records, nor their free list), inside a write section. */
  private copyNodes(src: RadixIotlb): void {
    this.leafBlock = -1;
    this.midBlock = -1;
    const c = src.ctl;
    const slotsTop = c[CTL_SLOTS_TOP];
    const bucketsTop = c[CTL_BUCKETS_TOP];
    if (slotsTop > this.slots.length) this.ensure('slots', slotsTop * 4);
    if (bucketsTop > this.bEntry.length) {
      this.ensure('bEntry', bucketsTop * 4);
      this.ensure('bNext', bucketsTop * 4);
    }
    this.slots.set(src.slots.subarray(0, slotsTop));
    this.bEntry.set(src.bEntry.subarray(0, bucketsTop));
    this.bNext.set(src.bNext.subarray(0, bucketsTop));
    for (const f of [CTL_COUNT, CTL_SLOTS_TOP, CTL_ENTRIES_TOP, CTL_BUCKETS_TOP, CTL_FREE_BUCKET, CTL_FREE_NODE_17, CTL_FREE_LEAF, CTL_FREE_NODE_513]) {
      this.ctl[f] = c[f];
    }
  }

  // ====== set_map copies that read the source's records (shareFrom) ======
  //
  // A parent's set_map copies the whole vhost table into the device's own
  // (vdpasim_set_map, mlx5's MR). For a 4k-fragmented 128 GiB guest that is
  // 32 M records, 1 GiB of new memory, on every boot, and each first touch
  // of it is a page fault (the largest single cost of such a cell here).
  // Records never change while their entry lives, so the copy takes the
  // source's node slots and buckets and reads the records where they are;
  // the source parks the ids it frees meanwhile (no reuse, no free-list
  // link written into them) until the copy lets go: on its next write,
  // reset, copy or share. What either tree answers is unchanged.

  /** The tree whose records this one reads (set by shareFrom), if any. */
  private recordSource: RadixIotlb | undefined;
  /** This tree's own record buffer, while it reads another's. */
  private readonly ownRec: SharedArrayBuffer = this.buffers.rec;
  /** Trees reading this tree's records. */
  private sharers = 0;
  /** Ids freed while shared, waiting to be reused. */
  private parked: number[] = [];
  /** Every id in [1, parkedBelow) went in a reset while shared (0: none did). */
  private parkedBelow = 0;
  /** The buffers went to another thread (handle): never read another tree's records. */
  private exported = false;

  /** The tree whose records this one reads (shareFrom), or undefined. */
  get sharesRecordsOf(): RadixIotlb | undefined {
    return this.recordSource;
  }

  /**
   * Makes this tree a copy of `src`, as copyFrom, that reads src's entry
   * records in place instead of copying them: O(node slots), not
   * O(32 bytes per entry). Falls back to copyFrom when this tree's buffers
   * went to another thread, or src itself reads another tree's records.
   */
  shareFrom(src: RadixIotlb): void {
    this.mustNotBeShared();
    if (this.exported || src === this || src.recordSource) {
      this.copyFrom(src);
      return;
    }
    this.letGoOfRecords();
    this.beginWrite();
    this.copyNodes(src);
    // src's free list runs through src's records: this tree has none of its own.
    this.ctl[CTL_FREE_ENTRY] = 0;
    this.recordSource = src;
    src.sharers++;
    this.buffers.rec = src.buffers.rec;
    this.refreshViews();
    this.endWrite();
  }

  /** Stops reading another tree's records without keeping them: the caller is about to overwrite every entry. */
  private letGoOfRecords(): void {
    const src = this.recordSource;
    if (!src) return;
    this.recordSource = undefined;
    this.buffers.rec = this.ownRec;
    this.refreshViews();
    src.releaseRecords();
  }

  /** Copies the records this tree reads from another into its own buffer, then lets go of them. */
  private ownRecords(): void {
    const src = this.recordSource!;
    const top = this.ctl[CTL_ENTRIES_TOP];
    const theirs = src.rec.subarray(0, top * REC_WORDS);
    this.recordSource = undefined;
    this.buffers.rec = this.ownRec;
    this.refreshViews();
    if (top * REC_WORDS > this.rec.length) this.ensure('rec', top * ENTRY_BYTES);
    this.rec.set(theirs);
    src.releaseRecords();
  }

  /** One sharer let go; when none is left, parked ids become reusable. */
  private releaseRecords(): void {
    if (--this.sharers > 0) return;
    const c = this.ctl;
    if (c[CTL_COUNT] === 0) {
      // Empty: start the pool afresh, so the next maps allocate in order.
      c[CTL_ENTRIES_TOP] = 1;
      c[CTL_FREE_ENTRY] = 0;
    } else {
      // (A reset while shared emptied `parked`: each id is freed once.)
      for (let id = 1; id < this.parkedBelow; id++) this.freeEntry(id);
      for (const id of this.parked) this.freeEntry(id);
    }
    this.parked = [];
    this.parkedBelow = 0;
  }

  /** A tree whose records another reads cannot be copied over (the reader would lose them). */
  private mustNotBeShared(): void {
    if (this.sharers > 0) throw new Error('internal: a tree whose records another reads cannot be copied over');
  }

  /** Empties the tree (vhost_iotlb_reset). Buffers keep their capacity. */
  reset(): void {
    this.letGoOfRecords();
    this.beginWrite();
    this.initEmpty();
    this.endWrite();
  }

  entryAt(id: number): IotlbEntry | undefined {
    if (!id) return undefined;
    return {
      start: join(this.startPage(id), this.startOff(id)),
      last: join(this.lastPage(id), this.lastOff(id)),
      addr: join(this.addrPage(id), this.addrOff(id)),
      perm: this.perm(id),
    };
  }

  // ============ number API for hot paths (page numbers < 2^52) ============

  /**
   * Maps `npages` whole pages from IOVA page `iovaPage` to target page
   * `addrPage`: the shape of every PA-mode entry (vhost_vdpa_pa_map).
   * Returns the new entry id.
   */
  addPages(iovaPage: number, npages: number, addrPage: number, perm: number): number {
    const lastPage = iovaPage + npages - 1;
    if (!(npages >= 1 && isPage(iovaPage) && isPage(lastPage) && isPage(addrPage))) {
      throw new IotlbError('EINVAL', `bad page range: iovaPage ${iovaPage}, npages ${npages}, addrPage ${addrPage}`);
    }
    if ((perm & 0xff) !== perm) checkPerm(perm);
    return this.insertParts(iovaPage, 0, lastPage, PAGE_OFFSET_MASK, addrPage, 0, perm);
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
  addPageRuns(iovaPage: number, count: number, pages: Int32Array, addrPages: Float64Array, perm: number, ids: Int32Array): number {
    checkPerm(perm);
    if (this.recordSource) this.ownRecords();
    this.batchError = undefined;
    const limit = this.entryLimit;
    let page = iovaPage;
    let k = 0;
    this.beginWrite();
    try {
      for (; k < count; k++) {
        if (limit < 0 && pages[k] === 1 && Math.floor(page / LEAF_NODE_PAGES) === this.leafBlock) {
          const added = this.appendToLeaf(page, k, count, pages, addrPages, perm, ids);
          k += added;
          page += added;
          if (k === count) break;
        }
        const n = pages[k];
        const addr = addrPages[k];
        if (!(n >= 1 && isPage(page) && isPage(page + n - 1) && isPage(addr))) {
          this.batchError = new IotlbError('EINVAL', `bad page range: iovaPage ${page}, npages ${n}, addrPage ${addr}`);
          break;
        }
        if (limit >= 0 && this.ctl[CTL_COUNT] >= limit) {
          this.batchError = limit === 0 ? new IotlbError('EINVAL', 'iotlb limit is 0') : new IotlbError('ENOSPC', `iotlb holds ${limit} entries, the limit`);
          break;
        }
        let id: number;
        if (n === 1) {
          id = this.insertWholePageLocked(page, addr, 0, perm);
        } else if (this.findFrom(page, 0, page + n - 1, PAGE_OFFSET_MASK)) {
          id = 0;
        } else {
          id = this.newRecord(page, 0, page + n - 1, PAGE_OFFSET_MASK, addr, 0, perm);
          this.insertInto(0, TOP_LEVEL, 0, page, page + n - 1, id);
          this.ctl[CTL_COUNT]++;
        }
        if (!id) {
          this.batchError = new IotlbError('EEXIST', `range overlaps an existing entry`);
          break;
        }
        ids[k] = id;
        page += n;
      }
    } finally {
      this.endWrite();
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
  private appendToLeaf(page: number, k: number, count: number, pages: Int32Array, addrPages: Float64Array, perm: number, ids: Int32Array): number {
    const ctl = this.ctl;
    if (ctl[CTL_FREE_ENTRY] !== 0) return 0;
    const leaf = this.leafNode;
    const room = Math.min(count - k, LEAF_NODE_PAGES - (page & (LEAF_NODE_PAGES - 1)));
    let top = ctl[CTL_ENTRIES_TOP];
    if ((top + room) * REC_WORDS > this.rec.length) this.ensure('rec', (top + room) * ENTRY_BYTES);
    const slots = this.slots;
    const r = this.rec;
    const meta = ((PAGE_LAST_OFF << META_LAST_SHIFT) | ((perm & 0xff) << META_PERM_SHIFT)) >>> 0;
    const xlatPerm = ((perm & 0xff) << XLAT_PERM_SHIFT) | XLAT_VALID;
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
      const hi = Math.floor(addr / 2 ** 32);
      const x = leaf + LEAF_XLAT + 2 * slot;
      slots[x] = addr - hi * 2 ** 32;
      slots[x + 1] = hi | xlatPerm;
      slots[at] = id;
      ids[k + added] = id;
    }
    ctl[CTL_ENTRIES_TOP] = top;
    slots[leaf] += added;
    ctl[CTL_COUNT] += added;
    return added;
  }

  /** Why the last addPageRuns stopped short (undefined when it did not). */
  batchError: IotlbError | undefined;

  /** Point lookup without allocation; on a hit outPage/outOff/outPerm hold the result. */
  translatePage(page: number, off: number): number {
    return this.lookup(page, off);
  }

  /** First entry id overlapping [(sp,so), (lp,lo)], or 0. */
  firstId(sp: number, so: number, lp: number, lo: number): number {
    if (lp < sp || (lp === sp && lo < so)) return 0;
    return this.findFrom(sp, so, lp, lo);
  }

  /** Next entry id after `id` overlapping up to (lp, lo), or 0. */
  nextId(id: number, lp: number, lo: number): number {
    return this.findAfter(id, lp, lo);
  }

  /** Removes one entry by id. */
  removeId(id: number): void {
    if (this.recordSource) this.ownRecords();
    this.beginWrite();
    this.removeIdLocked(id);
    this.endWrite();
  }

  /** removeId inside a write section the caller holds. */
  private removeIdLocked(id: number): void {
    const sp = this.startPage(id);
    const lp = this.lastPage(id);
    if (sp === lp) this.removeOnePage(sp, id);
    else this.removeFrom(0, TOP_LEVEL, 0, sp, lp, id);
    this.freeEntry(id);
    this.ctl[CTL_COUNT]--;
  }

  /**
   * Removes every entry overlapping [(sp,so), (lp,lo)]; calls `each(id)` just
   * before an entry goes, so callers can read it (e.g. to unpin its pages).
   */
  deleteParts(sp: number, so: number, lp: number, lo: number, each?: (id: number) => void): number {
    return this.deleteBatches(sp, so, lp, lo, each ? (ids, n) => {
      for (let k = 0; k < n; k++) each(ids[k]);
    } : undefined);
  }

  /**
   * deleteParts, handing the doomed entries to `sink(ids, n)` a batch at a
   * time, in IOVA order, while they can still be read. Returns how many went.
   */
  deleteBatches(sp: number, so: number, lp: number, lo: number, sink?: (ids: Int32Array, n: number) => void): number {
    if (lp < sp || (lp === sp && lo < so)) return 0;
    if (this.recordSource) this.ownRecords();
    if (sp === lp) return this.deleteInPage(sp, so, lo, sink);
    if (lp - sp >= BULK_DELETE_MIN_PAGES && this.coversAll(sp, so, lp, lo)) {
      // Unmapping a whole section often takes every entry left: visit them in
      // order, then empty the tree in one step instead of entry by entry.
      const n = this.count;
      if (sink) this.batchesOf(sp, so, lp, lo, this.idBatch, sink);
      this.reset();
      return n;
    }
    let removed = 0;
    const batch = this.idBatch;
    for (;;) {
      // Gather ids in one ordered walk, then remove them together. What is
      // left of the range starts after them, so the same query finds it.
      const n = this.gatherOverlapping(sp, so, lp, lo, batch);
      if (n === 0) break;
      sink?.(batch, n);
      this.removeGathered(batch, n);
      removed += n;
      if (n < batch.length) break;
    }
    // Empty again: start the pools afresh, so the next maps allocate in order.
    if (removed && this.count === 0) this.reset();
    return removed;
  }

  /**
   * deleteBatches within one page (a DMA unmap of one page, a bench delete):
   * one iterative descent per entry instead of a gathering walk.
   */
  private deleteInPage(page: number, so: number, lo: number, sink?: (ids: Int32Array, n: number) => void): number {
    let removed = 0;
    for (let id = this.findFrom(page, so, page, lo); id; id = this.findFrom(page, so, page, lo)) {
      if (sink) {
        this.idBatch[0] = id;
        sink(this.idBatch, 1);
      }
      this.removeId(id);
      removed++;
    }
    if (removed && this.count === 0) this.reset();
    return removed;
  }

  /**
   * Removes entries gathered by one ordered walk (every entry overlapping the
   * query between ids[0] and ids[n-1]). Entries touching the pages strictly
   * between ids[0]'s last page and ids[n-1]'s first are then exactly the
   * gathered ones lying within those pages: those go by clearing the pages'
   * slots, subtrees at once. The rest (the two ends, and byte-granular
   * entries sharing their pages) go one by one.
   */
  private removeGathered(ids: Int32Array, n: number): void {
    this.beginWrite();
    try {
      const innerFirst = this.lastPage(ids[0]) + 1;
      const innerLast = n > 1 ? this.startPage(ids[n - 1]) - 1 : -1;
      let inner = 0;
      for (let k = 0; k < n; k++) {
        const id = ids[k];
        if (this.startPage(id) < innerFirst || this.lastPage(id) > innerLast) this.removeIdLocked(id);
        else inner++;
      }
      if (inner) {
        this.lastDropped = 0;
        this.clearIn(0, TOP_LEVEL, 0, innerFirst, innerLast);
      }
    } finally {
      this.endWrite();
    }
  }

  /**
   * Empties every slot of `node` over pages [ps, pl], freeing the entries
   * and nodes found there (every entry touching them lies within them), and
   * collapses a partly cleared child left with one entry, as removeFrom does.
   */
  private clearIn(node: number, level: number, base: number, ps: number, pl: number): void {
    const span = LEVEL_SPAN[level];
    const i1 = Math.floor((pl - base) / span);
    for (let i = Math.floor((ps - base) / span); i <= i1; i++) {
      const at = node + 1 + i;
      const v = this.slots[at];
      if (v === 0) continue;
      if (v > 0) {
        // Above level 0 the slot's stretch may reach past [ps, pl], and its
        // only entry (a compressed path) may lie outside the pages: it stays.
        // (An entry already dropped here has a freed record: check it first.)
        if (v !== this.lastDropped) {
          if (level > 0 && (this.startPage(v) > pl || this.lastPage(v) < ps)) continue;
          this.dropEntry(v);
        }
      } else if (level === 0) {
        for (let b = -v; b > 0; ) {
          const next = this.bNext[b];
          this.dropEntry(this.bEntry[b]);
          this.freeBucket(b);
          b = next;
        }
      } else {
        const sb = base + i * span;
        const se = sb + span - 1;
        const child = -v;
        this.clearIn(child, level - 1, sb, ps > sb ? ps : sb, pl < se ? pl : se);
        const only = this.soleEntry(child, level - 1);
        if (only < 0) continue;
        this.freeNode(child, level - 1);
        if (only > 0) {
          this.slots[at] = only;
          continue;
        }
      }
      this.slots[at] = 0;
      this.slots[node]--;
    }
  }

  /** Frees entry e once (a multi-slot entry's slots come one after another in a clear). */
  private dropEntry(e: number): void {
    if (e === this.lastDropped) return;
    this.lastDropped = e;
    this.freeEntry(e);
    this.ctl[CTL_COUNT]--;
  }

  private lastDropped = 0;

  /** True when [(sp,so), (lp,lo)] reaches from the lowest entry's start to the highest entry's end. */
  private coversAll(sp: number, so: number, lp: number, lo: number): boolean {
    const lowest = this.edgeEntry(true);
    if (!lowest) return false;
    const highest = this.edgeEntry(false);
    const a = this.startPage(lowest);
    const z = this.lastPage(highest);
    return (sp < a || (sp === a && so <= this.startOff(lowest))) && (lp > z || (lp === z && lo >= this.lastOff(highest)));
  }

  /**
   * The entry with the lowest start (or the highest end): the first (last)
   * non-empty slot at each level leads to it, since a slot holding an id means
   * that entry is the only one touching its stretch. 0 for an empty tree.
   */
  private edgeEntry(lowest: boolean): number {
    let node = 0;
    for (let level = TOP_LEVEL; ; level--) {
      const n = LEVEL_SLOTS[level];
      let v = 0;
      for (let k = 0; k < n && v === 0; k++) v = this.slots[node + 1 + (lowest ? k : n - 1 - k)];
      if (v >= 0) return v;
      if (level > 0) {
        node = -v;
        continue;
      }
      // A bucket: entries sharing one page, sorted by start (and so by end).
      let b = -v;
      if (!lowest) while (this.bNext[b]) b = this.bNext[b];
      return this.bEntry[b];
    }
  }

  /** Scratch for deletes and for forEachBatch: ids gathered per walk (two, so a visit may delete from another tree). */
  private readonly idBatch = new Int32Array(65536);
  private readonly walkBatch = new Int32Array(65536);

  insertParts(sp: number, so: number, lp: number, lo: number, addrPage: number, addrOff: number, perm: number): number {
    if (this.recordSource) this.ownRecords();
    const limit = this.entryLimit;
    if (limit === 0) throw new IotlbError('EINVAL', 'iotlb limit is 0');
    if (limit > 0 && this.ctl[CTL_COUNT] >= limit) {
      throw new IotlbError('ENOSPC', `iotlb holds ${this.ctl[CTL_COUNT]} entries, the limit`);
    }
    if (sp === lp && so === 0 && lo === PAGE_LAST_OFF) return this.insertWholePage(sp, addrPage, addrOff, perm);
    if (this.findFrom(sp, so, lp, lo)) {
      throw new IotlbError('EEXIST', `range overlaps an existing entry`);
    }
    this.beginWrite();
    const id = this.newRecord(sp, so, lp, lo, addrPage, addrOff, perm);
    if (sp === lp) this.insertOnePage(sp, id);
    else this.insertInto(0, TOP_LEVEL, 0, sp, lp, id);
    this.ctl[CTL_COUNT]++;
    this.endWrite();
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
  private insertWholePage(page: number, addrPage: number, addrOff: number, perm: number): number {
    const roomy = this.ctl[CTL_FREE_ENTRY] !== 0 || (this.ctl[CTL_ENTRIES_TOP] + 1) * REC_WORDS <= this.rec.length;
    if (roomy && Math.floor(page / LEAF_NODE_PAGES) === this.leafBlock) {
      // The cached leaf: the page's slot is page mod 32. (Kept apart from the
      // general case below: folding the two made this path half again slower.)
      const at = this.leafNode + 1 + (page & (LEAF_NODE_PAGES - 1));
      if (this.slots[at] !== 0) throw new IotlbError('EEXIST', `range overlaps an existing entry`);
      const id = this.newRecord(page, 0, page, PAGE_LAST_OFF, addrPage, addrOff, perm);
      this.setXlat(this.leafNode, at, id);
      Atomics.store(this.slots, at, id);
      this.slots[this.leafNode]++;
      this.ctl[CTL_COUNT]++;
      return id;
    }
    if (!this.findSlotFor(page)) throw new IotlbError('EEXIST', `range overlaps an existing entry`);
    const node = this.foundNode;
    const level = this.foundLevel;
    const at = node + 1 + slotOf(page, level);
    if (roomy && this.slots[at] === 0) {
      const id = this.newRecord(page, 0, page, PAGE_LAST_OFF, addrPage, addrOff, perm);
      if (level === 0) this.setXlat(node, at, id);
      Atomics.store(this.slots, at, id);
      this.slots[node]++;
      this.ctl[CTL_COUNT]++;
      if (level === 0) {
        this.leafBlock = Math.floor(page / LEAF_NODE_PAGES);
        this.leafNode = node;
      }
      return id;
    }
    this.beginWrite();
    const id = this.insertFound(page, addrPage, addrOff, perm);
    this.endWrite();
    return id;
  }

  /**
   * insertWholePage inside a write section the caller holds.
   * Returns the id, or 0 on overlap.
   */
  private insertWholePageLocked(page: number, addrPage: number, addrOff: number, perm: number): number {
    if (!this.findSlotFor(page)) return 0;
    return this.insertFound(page, addrPage, addrOff, perm);
  }

  /** Inserts a whole page where findSlotFor stopped (pushing down the stretch's only entry if needed). */
  private insertFound(page: number, addrPage: number, addrOff: number, perm: number): number {
    const id = this.newRecord(page, 0, page, PAGE_LAST_OFF, addrPage, addrOff, perm);
    const leaf = this.insertOnePage(page, id, this.foundNode, this.foundLevel);
    if (leaf >= 0) {
      this.leafBlock = Math.floor(page / LEAF_NODE_PAGES);
      this.leafNode = leaf;
    }
    this.ctl[CTL_COUNT]++;
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
  private findSlotFor(page: number): boolean {
    const slots = this.slots;
    if (Math.floor(page / LEAF_NODE_PAGES) === this.leafBlock) {
      this.foundNode = this.leafNode;
      this.foundLevel = 0;
      return slots[this.leafNode + 1 + (page & (LEAF_NODE_PAGES - 1))] === 0;
    }
    const mid = Math.floor(page / MID_NODE_PAGES);
    let node = mid === this.midBlock ? this.midNode : 0;
    let level = mid === this.midBlock ? 1 : TOP_LEVEL;
    for (; ; level--) {
      if (level === 1) {
        this.midBlock = mid;
        this.midNode = node;
      }
      const v = slots[node + 1 + slotOf(page, level)];
      if (v < 0 && level > 0) {
        node = -v;
        continue;
      }
      this.foundNode = node;
      this.foundLevel = level;
      // Level 0: an entry or a bucket touches this very page. Above: a
      // stretch's only entry overlaps only if it holds the page.
      return v === 0 || (level > 0 && !(this.startPage(v) <= page && page <= this.lastPage(v)));
    }
  }

  private foundNode = 0;
  private foundLevel = 0;

  /**
   * Writes the translation of leaf `node`'s slot `at` for entry `e` (see
   * LEAF_XLAT in layout.ts): valid when e is one whole page to a
   * page-aligned target, else marked invalid. Call it before the slot gets
   * e: a reader that sees the id then sees its translation.
   */
  private setXlat(node: number, at: number, e: number): void {
    const s = this.slots;
    const r = this.rec;
    const i = REC_WORDS * e;
    const x = node + LEAF_XLAT + 2 * (at - node - 1);
    const meta = r[i + REC_META];
    if (r[i + REC_START] === r[i + REC_LAST] && meta < META_ADDR_OFF_SCALE && (meta & WHOLE_PAGE_MASK) === WHOLE_PAGE_META) {
      const addr = r[i + REC_ADDR];
      const hi = Math.floor(addr / 2 ** 32);
      s[x] = addr - hi * 2 ** 32;
      s[x + 1] = hi | (((meta >>> META_PERM_SHIFT) & 0xff) << XLAT_PERM_SHIFT) | XLAT_VALID;
    } else {
      s[x + 1] = 0;
    }
  }

  /** Allocates an entry id and writes its 32-byte record. */
  private newRecord(sp: number, so: number, lp: number, lo: number, addrPage: number, addrOff: number, perm: number): number {
    const id = this.allocEntry();
    const r = this.rec;
    const i = REC_WORDS * id;
    r[i + REC_START] = sp;
    r[i + REC_LAST] = lp;
    r[i + REC_ADDR] = addrPage;
    r[i + REC_META] = ((so | (lo << META_LAST_SHIFT) | ((perm & 0xff) << META_PERM_SHIFT)) >>> 0) + addrOff * META_ADDR_OFF_SCALE;
    return id;
  }

  /** Writer-side cache of the level-0 node holding the last whole-page insert. */
  private leafBlock = -1;
  /** Writer-side cache of the level-1 node of the last descent (its 512-page block, and offset). */
  private midBlock = -1;
  private midNode = 0;
  private leafNode = 0;

  // =========================== tree surgery ===========================

  private beginWrite(): void {
    Atomics.add(this.ctl, CTL_SEQ, 1);
  }

  private endWrite(): void {
    Atomics.add(this.ctl, CTL_SEQ, 1);
  }

  /** Puts entry `e` in every slot of `node` its pages [ps, pl] touch. */
  private insertInto(node: number, level: number, base: number, ps: number, pl: number, e: number): void {
    const span = LEVEL_SPAN[level];
    const i1 = Math.floor((pl - base) / span);
    for (let i = Math.floor((ps - base) / span); i <= i1; i++) {
      const at = node + 1 + i;
      const v = this.slots[at];
      if (v === 0) {
        // Empty stretch: e becomes its only entry, whatever part of it e covers.
        if (level === 0) this.setXlat(node, at, e);
        this.slots[at] = e;
        this.slots[node]++;
        continue;
      }
      if (level === 0) {
        // Two byte-granular entries share this page.
        this.bucketAdd(at, v, e);
        continue;
      }
      const sb = base + i * span;
      const se = sb + span - 1;
      let child: number;
      if (v > 0) {
        // The stretch's only entry must move down a level to make room.
        child = this.allocNode(level - 1);
        this.insertInto(child, level - 1, sb, Math.max(this.startPage(v), sb), Math.min(this.lastPage(v), se), v);
        this.slots[node + 1 + i] = -child;
      } else {
        child = -v;
      }
      this.insertInto(child, level - 1, sb, ps > sb ? ps : sb, pl < se ? pl : se, e);
    }
  }

  /**
   * insertInto for an entry within one page: one iterative descent, from
   * `node` at `level` (the root unless the caller already descended).
   * Returns the level-0 node that took the entry, or -1 if it went higher.
   */
  private insertOnePage(page: number, e: number, node = 0, level: number = TOP_LEVEL): number {
    for (; ; level--) {
      const at = node + 1 + slotOf(page, level);
      const v = this.slots[at];
      if (v === 0) {
        if (level === 0) this.setXlat(node, at, e);
        this.slots[at] = e;
        this.slots[node]++;
        return level === 0 ? node : -1;
      }
      if (level === 0) {
        this.bucketAdd(at, v, e);
        return node;
      }
      if (v < 0) {
        node = -v;
        continue;
      }
      // Push the stretch's only entry down a level (allocNode may grow the pool).
      const span = LEVEL_SPAN[level];
      const sb = Math.floor(page / span) * span;
      const child = this.allocNode(level - 1);
      this.insertInto(child, level - 1, sb, Math.max(this.startPage(v), sb), Math.min(this.lastPage(v), sb + span - 1), v);
      this.slots[at] = -child;
      node = child;
    }
  }

  /** removeFrom for an entry within one page: descend, clear, collapse upward. */
  private removeOnePage(page: number, e: number): void {
    const pathNode = this.pathNode;
    const pathAt = this.pathAt;
    let node = 0;
    let level = TOP_LEVEL;
    for (; ; level--) {
      const at = node + 1 + slotOf(page, level);
      pathNode[level] = node;
      pathAt[level] = at;
      const v = this.slots[at];
      if (v === e) {
        this.slots[at] = 0;
        this.slots[node]--;
        break;
      }
      if (!(v < 0)) return; // not in the tree: nothing to do
      if (level === 0) {
        if (!this.bucketRemove(node, at, -v, e)) return;
        break;
      }
      node = -v;
    }
    // The node at `level` changed: collapse it into its parent while possible.
    for (; level < TOP_LEVEL; level++) {
      const child = pathNode[level];
      const only = this.soleEntry(child, level);
      if (only < 0) return;
      this.freeNode(child, level);
      const parentAt = pathAt[level + 1];
      this.slots[parentAt] = only;
      if (only === 0) this.slots[pathNode[level + 1]]--;
    }
  }

  /** Scratch path for removeOnePage: node offset and slot index per level. */
  private readonly pathNode = new Int32Array(TOP_LEVEL + 1);
  private readonly pathAt = new Int32Array(TOP_LEVEL + 1);

  /**
   * Removes entry `e` from the slots its pages [ps, pl] touch. Returns true when
   * this node's content changed in a way that may let its parent collapse it.
   */
  private removeFrom(node: number, level: number, base: number, ps: number, pl: number, e: number): boolean {
    const span = LEVEL_SPAN[level];
    const i1 = Math.floor((pl - base) / span);
    let changed = false;
    for (let i = Math.floor((ps - base) / span); i <= i1; i++) {
      const at = node + 1 + i;
      const v = this.slots[at];
      if (v === e) {
        this.slots[at] = 0;
        this.slots[node]--;
        changed = true;
      } else if (v < 0) {
        if (level === 0) {
          if (this.bucketRemove(node, at, -v, e)) changed = true;
          continue;
        }
        const sb = base + i * span;
        const se = sb + span - 1;
        const child = -v;
        if (!this.removeFrom(child, level - 1, sb, ps > sb ? ps : sb, pl < se ? pl : se, e)) continue;
        const only = this.soleEntry(child, level - 1);
        if (only === 0) {
          this.freeNode(child, level - 1);
          this.slots[at] = 0;
          this.slots[node]--;
          changed = true;
        } else if (only > 0) {
          // One entry left below: it becomes this stretch's only entry again.
          this.freeNode(child, level - 1);
          this.slots[at] = only;
          changed = true;
        }
      }
    }
    return changed;
  }

  /**
   * 0 if the node is empty, the id if one entry (and no child) fills it, else
   * -1. Scans from both ends at once: deleting a mapping in address order
   * empties one end, and the other end answers "two entries left" at once,
   * which keeps an ordered unmap O(1) per entry instead of O(slots).
   */
  private soleEntry(node: number, level: number): number {
    if (this.slots[node] === 0) return 0;
    let only = 0;
    let lo = node + 1;
    let hi = node + LEVEL_SLOTS[level];
    while (lo <= hi) {
      const a = this.slots[lo++];
      if (a !== 0) {
        if (a < 0 || (only !== 0 && a !== only)) return -1;
        only = a;
      }
      if (lo > hi) break;
      const b = this.slots[hi--];
      if (b !== 0) {
        if (b < 0 || (only !== 0 && b !== only)) return -1;
        only = b;
      }
    }
    return only;
  }

  // ---- buckets: entries sharing one page, sorted by start ----

  private startsBefore(a: number, b: number): boolean {
    const pa = this.startPage(a);
    const pb = this.startPage(b);
    return pa < pb || (pa === pb && this.startOff(a) < this.startOff(b));
  }

  private bucketAdd(at: number, v: number, e: number): void {
    if (v > 0) {
      const [a, b] = this.startsBefore(v, e) ? [v, e] : [e, v];
      const second = this.allocBucket(b, 0);
      const head = this.allocBucket(a, second);
      this.slots[at] = -head;
      return;
    }
    const head = -v;
    if (this.startsBefore(e, this.bEntry[head])) {
      this.slots[at] = -this.allocBucket(e, head);
      return;
    }
    let prev = head;
    while (this.bNext[prev] && this.startsBefore(this.bEntry[this.bNext[prev]], e)) prev = this.bNext[prev];
    this.bNext[prev] = this.allocBucket(e, this.bNext[prev]);
  }

  /** Unlinks `e`; with one entry left the slot holds it directly. Returns true if the slot changed kind. */
  private bucketRemove(node: number, at: number, head: number, e: number): boolean {
    let prev = 0;
    let b = head;
    while (b && this.bEntry[b] !== e) {
      prev = b;
      b = this.bNext[b];
    }
    if (!b) return false;
    const after = this.bNext[b];
    if (prev) this.bNext[prev] = after;
    else head = after;
    this.freeBucket(b);
    if (this.bNext[head] === 0) {
      this.setXlat(node, at, this.bEntry[head]);
      this.slots[at] = this.bEntry[head];
      this.freeBucket(head);
      return true;
    }
    this.slots[at] = -head;
    return false;
  }

  // ---- pools (bump allocation + free lists; links live in freed records) ----

  private allocNode(level: number): number {
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

  private freeNode(off: number, level: number): void {
    if (level === 0 && off === this.leafNode) this.leafBlock = -1;
    if (level === 1 && off === this.midNode) this.midBlock = -1;
    const field = freeListField(level);
    this.slots[off] = 0;
    this.slots[off + 1] = this.ctl[field];
    this.ctl[field] = off;
  }

  private allocEntry(): number {
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

  private freeEntry(id: number): void {
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

  private allocBucket(entry: number, next: number): number {
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

  private freeBucket(b: number): void {
    this.bEntry[b] = 0;
    this.bNext[b] = this.ctl[CTL_FREE_BUCKET];
    this.ctl[CTL_FREE_BUCKET] = b;
  }

  private ensure(name: keyof IotlbHandle, bytes: number): void {
    if (growTo(this.buffers[name], bytes)) {
      Atomics.add(this.ctl, CTL_GROW_EPOCH, 1);
      this.refreshViews();
    }
  }
}

/** An integer page number in [0, MAX_PAGE] (NaN and fractions fail the floor test). */
function isPage(p: number): boolean {
  return p >= 0 && p <= MAX_PAGE && Math.floor(p) === p;
}

function checkPerm(perm: number): void {
  if (!(Number.isInteger(perm) && perm >= 0 && perm <= 0xff)) {
    throw new IotlbError('EINVAL', `perm must be an integer in [0, 255] (vhost uses RO=1 WO=2 RW=3), got ${perm}`);
  }
}
