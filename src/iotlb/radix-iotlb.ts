/**
 * RadixIotlb: the lab's replacement for the kernel's vhost_iotlb
 * (drivers/vhost/iotlb.c), a radix tree over IOVA page numbers living in
 * SharedArrayBuffers. One writer (this object); any number of readers in other
 * workers (`IotlbReader.attach(iotlb.handle)`).
 *
 * Verbs follow iotlb.c: addRange, delRange, first, next, reset, free, plus translate.
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
 * mapping or the new one, never half an insert (seqlock.ts).
 *
 * This class is a thin face over one Tree (tree.ts: the struct, and the
 * modules of verbs over it); it adds construction, free, the handle and the
 * bigint API of iotlb.c. Beside them, buffer-pool.ts keeps freed trees'
 * buffers for the next tree.
 */
import { IotlbError } from '../errors.js';
import { checkU64, join, split } from './address.js';
import { checkPerm } from './checks.js';
import { batchesOf, deleteBatches, deleteParts, removeId, runBatch, sameEntries, walkBatch, type BatchSink, type RunSink } from './delete-paths.js';
import { freedBuffers, freshBuffers, giveBuffers, takeBuffers } from './buffer-pool.js';
import { addPageRuns, addPages, insertParts } from './insert-paths.js';
import * as layout from './layout.js';
import type { IotlbHandle } from './layout.js';
import { lookup } from './lookup.js';
import { initEmpty } from './pools.js';
import { findAfter, findFrom } from './query-walks.js';
import { copyFrom, letGoOfRecords, ownRecords, reset, shareFrom } from './record-sharing.js';
import { beginWrite, endWrite, wasmControlBlock } from './seqlock.js';
import { addrOff, addrPage, lastOff, lastPage, newTree, permOf, refreshViews, startOff, startPage, type Tree } from './tree.js';

// Module-local copies of the layout constants and control-block indexes (tree.ts on why).
const { BUCKET_BYTES, CTL, ENTRY_BYTES, MAX_PAGE, PAGE_OFFSET_MASK } = layout;
const { SEQ: CTL_SEQ, COUNT: CTL_COUNT, SLOTS_TOP: CTL_SLOTS_TOP, ENTRIES_TOP: CTL_ENTRIES_TOP, BUCKETS_TOP: CTL_BUCKETS_TOP, LIMIT: CTL_LIMIT, LENGTH: CTL_LENGTH } = CTL;

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
   * (nmaps >= limit -> ENOSPC; limit 0 -> EINVAL). See docs/domain.md, "vhost_iotlb and the entry limit".
   */
  limit?: number;
  /** Initial entry capacity (the buffers grow by doubling). */
  initialEntries?: number;
  /**
   * Take a freed tree's buffers when this thread has some (buffer-pool.ts):
   * default true. False: fresh memory, every page faulted on first touch
   * (`bench iotlb`'s fresh-memory build rows).
   */
  recycled?: boolean;
}

/** Default initial entry capacity; buffers double from here. */
export const defaultInitialEntries = 1024;

/** The RadixIotlb over each tree (sharesRecordsOf answers with the object, not its struct). */
const faces = new WeakMap<Tree, RadixIotlb>();

export class RadixIotlb {
  /** The tree: every method is a verb over it. */
  private readonly t: Tree;

  constructor(options: RadixIotlbOptions = {}) {
    const limit = options.limit;
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0 && limit < 2 ** 31)) {
      throw new IotlbError('EINVAL', `limit must be an integer in [0, 2^31), got ${limit}`);
    }
    const pooled = options.recycled === false ? undefined : takeBuffers();
    const t = newTree({ ctl: new SharedArrayBuffer(CTL_LENGTH * 4), ...(pooled ?? freshBuffers(options.initialEntries ?? defaultInitialEntries)) });
    t.ctl[CTL_LIMIT] = limit === undefined ? -1 : limit;
    t.entryLimit = t.ctl[CTL_LIMIT];
    initEmpty(t);
    this.t = t;
    faces.set(t, this);
  }

  /**
   * Ends the tree (vhost_iotlb_free). Its buffers go to this thread's pool
   * for the next tree (buffer-pool.ts) unless another thread got them
   * (handle) or another tree reads its records (shareFrom): those stay as
   * they are, with their readers, until the garbage collector takes them.
   * A pooled tree's object is left an empty tree over small buffers of its
   * own, so a use after free() never writes into memory another tree owns.
   */
  free(): void {
    const t = this.t;
    letGoOfRecords(t);
    if (t.exported || t.sharers > 0) return;
    const b = t.buffers;
    giveBuffers({ slots: b.slots, rec: t.ownRec, bEntry: b.bEntry, bNext: b.bNext });
    Object.assign(b, freedBuffers());
    t.ownRec = b.rec;
    refreshViews(t);
    beginWrite(t);
    initEmpty(t);
    endWrite(t);
  }

  /** The entry limit, or undefined when unenforced. */
  get limit(): number | undefined {
    const l = this.t.ctl[CTL_LIMIT];
    return l < 0 ? undefined : l;
  }

  /** Number of entries. */
  get count(): number {
    return this.t.ctl[CTL_COUNT];
  }

  /**
   * The writer's sequence number: odd while a write section is open. It does
   * not move for the one write outside a section, a whole page published into
   * an empty slot (insert-paths.ts), which raises `count` instead: a tree
   * whose sequence and count are both unchanged was not written.
   */
  get sequence(): number {
    return Atomics.load(this.t.ctl, CTL_SEQ);
  }

  /** Shared memory in use (high-water of the pools), in bytes; records read from another tree (shareFrom) are that tree's. */
  get usedBytes(): number {
    const c = this.t.ctl;
    const records = this.t.recordSource ? 0 : c[CTL_ENTRIES_TOP] * ENTRY_BYTES;
    return CTL_LENGTH * 4 + c[CTL_SLOTS_TOP] * 4 + records + c[CTL_BUCKETS_TOP] * BUCKET_BYTES;
  }

  /**
   * The buffers to hand to another worker (IotlbReader.attach). A tree whose
   * buffers another thread reads always owns its records: it stops reading
   * another tree's now (ownRecords), and later copies are real copies.
   */
  get handle(): IotlbHandle {
    const t = this.t;
    if (t.recordSource) ownRecords(t);
    if (!t.exported) {
      // Readers read SEQ through a wasm atomic load (seqlock.ts on why):
      // the control block moves into wasm memory now, before any reader.
      const memory = wasmControlBlock(t.ctl);
      if (memory) {
        t.buffers.ctl = memory.buffer as SharedArrayBuffer;
        t.buffers.seq = memory;
        t.ctl = new Int32Array(t.buffers.ctl);
      }
    }
    t.exported = true;
    return t.buffers;
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
    return insertParts(this.t, s.page, s.off, l.page, l.off, a.page, a.off, perm);
  }

  /** Removes every entry overlapping [start, last] (whole entries, no split). Returns how many. */
  delRange(start: bigint, last: bigint): number {
    checkU64(start, 'start');
    checkU64(last, 'last');
    if (last < start) throw new IotlbError('EFAULT', `last ${last} < start ${start}`);
    const s = split(start);
    const l = split(last);
    return deleteParts(this.t, s.page, s.off, l.page, l.off);
  }

  /** First entry (lowest start) overlapping [start, last], as itree_first. */
  first(start: bigint, last: bigint): IotlbEntry | undefined {
    checkU64(start, 'start');
    checkU64(last, 'last');
    if (last < start) return undefined;
    const s = split(start);
    const l = split(last);
    return this.entryAt(findFrom(this.t, s.page, s.off, l.page, l.off));
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
    const t = this.t;
    if (!lookup(t, p.page, p.off)) return undefined;
    return { addr: join(t.outPage, t.outOff), perm: t.outPerm };
  }

  /** Every entry, in IOVA order. */
  *entries(): IterableIterator<IotlbEntry> {
    for (let id = this.firstId(0, 0, MAX_PAGE, PAGE_OFFSET_MASK); id; id = this.nextId(id, MAX_PAGE, PAGE_OFFSET_MASK)) {
      yield this.entryAt(id)!;
    }
  }

  /** Empties the tree (vhost_iotlb_reset). Buffers keep their capacity. */
  reset(): void {
    reset(this.t);
  }

  // ======================= whole-tree copies (record-sharing.ts) =======================

  /** Makes this tree an exact copy of `src` (limits aside): one memcpy per buffer (vdpasim_set_map's result). */
  copyFrom(src: RadixIotlb): void {
    copyFrom(this.t, src.t);
  }

  /**
   * Makes this tree a copy of `src`, as copyFrom, that reads src's entry
   * records in place until either side changes: O(node slots), not
   * O(32 bytes per entry). Falls back to copyFrom when this tree's buffers
   * went to another thread, or src itself reads another tree's records.
   */
  shareFrom(src: RadixIotlb): void {
    shareFrom(this.t, src.t);
  }

  /** The tree whose records this one reads (shareFrom), or undefined. */
  get sharesRecordsOf(): RadixIotlb | undefined {
    const src = this.t.recordSource;
    return src && faces.get(src);
  }

  // ======================= walks (delete-paths.ts) =======================

  /** Calls visit(id) for every entry in IOVA order (the tree must not change meanwhile). */
  forEachId(visit: (id: number) => void): void {
    this.forEachBatch((ids, n) => {
      for (let k = 0; k < n; k++) visit(ids[k]);
    });
  }

  /**
   * Calls visit(ids, n, xlat, pages) with every entry's id in IOVA order, a
   * batch at a time (the tree must not change meanwhile; the arrays are
   * reused). For walks over millions of entries: one call per batch, not per
   * entry. xlat[k] non-zero: entry ids[k] is the one page pages[k] mapped to
   * target page xlatTarget(xlat[k]) with perm xlatPerm(xlat[k]), no record
   * read needed (GatherBatch in tree.ts).
   */
  forEachBatch(visit: BatchSink): void {
    batchesOf(this.t, 0, 0, MAX_PAGE, PAGE_OFFSET_MASK, walkBatch(this.t), visit);
  }

  /**
   * forEachBatch for walks that need only each entry's range and perm: item
   * k with counts[k] > 1 stands for counts[k] IOVA-consecutive one-page
   * entries of perm xlatPerm(xlat[k]) from page pages[k] on (ids[k] is the
   * first); any other item is one entry, as in forEachBatch. mlx5's MR
   * build: one visit per run of a 4k guest instead of per page.
   */
  forEachRun(visit: RunSink): void {
    batchesOf(this.t, 0, 0, MAX_PAGE, PAGE_OFFSET_MASK, runBatch(this.t), visit as BatchSink);
  }

  /** True when both trees hold the same entries (ranges, targets, perms), ids aside. */
  sameEntriesAs(other: RadixIotlb): boolean {
    return sameEntries(this.t, other.t);
  }

  entryAt(id: number): IotlbEntry | undefined {
    if (!id) return undefined;
    const t = this.t;
    return {
      start: join(startPage(t, id), startOff(t, id)),
      last: join(lastPage(t, id), lastOff(t, id)),
      addr: join(addrPage(t, id), addrOff(t, id)),
      perm: permOf(t, id),
    };
  }

  // ============ number API for hot paths (page numbers < 2^52) ============

  /** Point lookup without allocation; on a hit outPage/outOff/outPerm hold the result. */
  translatePage(page: number, off: number): number {
    return lookup(this.t, page, off);
  }

  /** Result of the last successful lookup: target page, offset, perm. */
  get outPage(): number {
    return this.t.outPage;
  }
  get outOff(): number {
    return this.t.outOff;
  }
  get outPerm(): number {
    return this.t.outPerm;
  }

  /** First entry id overlapping [(sp,so), (lp,lo)], or 0. */
  firstId(sp: number, so: number, lp: number, lo: number): number {
    if (lp < sp || (lp === sp && lo < so)) return 0;
    return findFrom(this.t, sp, so, lp, lo);
  }

  /** Next entry id after `id` overlapping up to (lp, lo), or 0. */
  nextId(id: number, lp: number, lo: number): number {
    return findAfter(this.t, id, lp, lo);
  }

  /** Maps `npages` whole pages from IOVA page `iovaPage` to target page `addrPage` (vhost_vdpa_pa_map's entry). Returns the id. */
  addPages(iovaPage: number, npages: number, addrPage: number, perm: number): number {
    return addPages(this.t, iovaPage, npages, addrPage, perm);
  }

  /** Maps `count` IOVA-consecutive whole-page runs in one write section (insert-paths.ts); returns how many went in. */
  addPageRuns(iovaPage: number, count: number, pages: Int32Array, addrPages: Float64Array, perm: number, ids: Int32Array): number {
    return addPageRuns(this.t, iovaPage, count, pages, addrPages, perm, ids);
  }

  /** Why the last addPageRuns stopped short (undefined when it did not). */
  get batchError(): IotlbError | undefined {
    return this.t.batchError;
  }

  /** addRange over checked page numbers and offsets. */
  insertParts(sp: number, so: number, lp: number, lo: number, addrPage: number, addrOff: number, perm: number): number {
    return insertParts(this.t, sp, so, lp, lo, addrPage, addrOff, perm);
  }

  /** Removes one entry by id. */
  removeId(id: number): void {
    removeId(this.t, id);
  }

  /** Removes every entry overlapping [(sp,so), (lp,lo)]; calls `each(id)` just before an entry goes. Returns how many. */
  deleteParts(sp: number, so: number, lp: number, lo: number, each?: (id: number) => void): number {
    return deleteParts(this.t, sp, so, lp, lo, each);
  }

  /** deleteParts, handing the doomed entries to `sink` a batch at a time, in IOVA order, while they can still be read. */
  deleteBatches(sp: number, so: number, lp: number, lo: number, sink?: BatchSink): number {
    return deleteBatches(this.t, sp, so, lp, lo, sink);
  }

  // ---- entry fields, by id (ids are valid until the next mutation) ----

  startPage(id: number): number {
    return startPage(this.t, id);
  }
  lastPage(id: number): number {
    return lastPage(this.t, id);
  }
  /** Target page of the entry's first byte (exact: < 2^52). */
  addrPage(id: number): number {
    return addrPage(this.t, id);
  }
  startOff(id: number): number {
    return startOff(this.t, id);
  }
  lastOff(id: number): number {
    return lastOff(this.t, id);
  }
  perm(id: number): number {
    return permOf(this.t, id);
  }
  addrOff(id: number): number {
    return addrOff(this.t, id);
  }
}
