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
 * The class is built in layers, one job each, base first:
 *   radix-view.ts      shared views, point lookup, overlap query, gathering walk
 *   pools.ts           node/record/bucket pools, growth, parked ids, seqlock writes
 *   tree-surgery.ts    putting entries into slots and taking them out; buckets
 *   record-sharing.ts  copyFrom, shareFrom (set_map copies reading records in place), reset
 *   insert-paths.ts    addPages, addPageRuns, insertParts
 *   delete-paths.ts    removeId, deleteParts, deleteBatches
 *   radix-iotlb.ts     this file: construction, free and the bigint API of iotlb.c
 * Beside them, buffer-pool.ts keeps freed trees' buffers for the next tree.
 */
import { IotlbError } from '../errors.js';
import { checkU64, join, split } from './address.js';
import { checkPerm } from './checks.js';
import { RadixDeletes, type BatchSink, type RunSink } from './delete-paths.js';
import { giveBuffers, takeBuffers } from './buffer-pool.js';
import type { PooledBuffers } from './buffer-pool.js';
import { growableSab } from './growable.js';
import * as layout from './layout.js';
import type { IotlbHandle } from './radix-view.js';
import { wasmControlBlock } from './seqlock.js';

// Module-local copies of the layout constants and control-block indexes:
// in optimized code V8 (Node 20) reloads an imported binding, or a property
// of an imported object, on every use, but folds a module-local const to its
// value. On the hot paths that was a fifth of a whole-page insert (measured).
const {
  BUCKET_BYTES,
  CTL,
  ENTRY_BYTES,
  MAX_PAGE,
  PAGE_OFFSET_MASK,
  REC_WORDS,
} = layout;
const {
  SLOTS_TOP: CTL_SLOTS_TOP,
  ENTRIES_TOP: CTL_ENTRIES_TOP,
  BUCKETS_TOP: CTL_BUCKETS_TOP,
  LIMIT: CTL_LIMIT,
  LENGTH: CTL_LENGTH,
} = CTL;

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

/** New growable buffers for about `entries` entries (fresh memory: each page faults on first touch). */
function freshBuffers(entries: number, maxBytes?: number): PooledBuffers {
  const n = Math.max(16, entries);
  return {
    slots: growableSab(Math.max(4096, n * 2) * 4, maxBytes),
    rec: growableSab(n * ENTRY_BYTES, maxBytes),
    bEntry: growableSab(256 * 4, maxBytes),
    bNext: growableSab(256 * 4, maxBytes),
  };
}

/**
 * Most bytes each buffer of a freed tree's object may grow to. Each growable
 * buffer reserves its maximum in address space up front (4 GiB by default,
 * so about 8,000 live trees fill a 47-bit address space, #14 review); a freed
 * object holds no table worth that, and a use after free past this throws.
 */
const FREED_MAX_BYTES = 2 ** 20;

export class RadixIotlb extends RadixDeletes {
  constructor(options: RadixIotlbOptions = {}) {
    const pooled = options.recycled === false ? undefined : takeBuffers();
    super({ ctl: new SharedArrayBuffer(CTL_LENGTH * 4), ...(pooled ?? freshBuffers(options.initialEntries ?? defaultInitialEntries)) });
    const limit = options.limit;
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0 && limit < 2 ** 31)) {
      throw new IotlbError('EINVAL', `limit must be an integer in [0, 2^31), got ${limit}`);
    }
    this.ctl[CTL_LIMIT] = limit === undefined ? -1 : limit;
    this.entryLimit = this.ctl[CTL_LIMIT];
    this.initEmpty();
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
    this.letGoOfRecords();
    if (this.exported || this.sharers > 0) return;
    const b = this.buffers;
    giveBuffers({ slots: b.slots, rec: this.ownRec, bEntry: b.bEntry, bNext: b.bNext });
    Object.assign(b, freshBuffers(16, FREED_MAX_BYTES));
    this.ownRec = b.rec;
    this.refreshViews();
    this.beginWrite();
    this.initEmpty();
    this.endWrite();
  }

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
    if (!this.exported) {
      // Readers read SEQ through a wasm atomic load (seqlock.ts on why):
      // the control block moves into wasm memory now, before any reader.
      const memory = wasmControlBlock(this.ctl);
      if (memory) {
        this.buffers.ctl = memory.buffer as SharedArrayBuffer;
        this.buffers.seq = memory;
        this.ctl = new Int32Array(this.buffers.ctl);
      }
    }
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
   * Calls visit(ids, n, xlat, pages) with every entry's id in IOVA order, a
   * batch at a time (the tree must not change meanwhile; the arrays are
   * reused). For walks over millions of entries: one call per batch, not per
   * entry. xlat[k] non-zero: entry ids[k] is the one page pages[k] mapped to
   * target page xlatTarget(xlat[k]) with perm xlatPerm(xlat[k]), no record
   * read needed (GatherBatch in query-walks.ts).
   */
  forEachBatch(visit: BatchSink): void {
    this.batchesOf(0, 0, MAX_PAGE, PAGE_OFFSET_MASK, this.walkBatch, visit);
  }

  /**
   * forEachBatch for walks that need only each entry's range and perm: item
   * k with counts[k] > 1 stands for counts[k] IOVA-consecutive one-page
   * entries of perm xlatPerm(xlat[k]) from page pages[k] on (ids[k] is the
   * first); any other item is one entry, as in forEachBatch. mlx5's MR
   * build: one visit per run of a 4k guest instead of per page.
   */
  forEachRun(visit: RunSink): void {
    this.batchesOf(0, 0, MAX_PAGE, PAGE_OFFSET_MASK, this.runBatch, visit as BatchSink);
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
}
