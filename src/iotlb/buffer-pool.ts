/**
 * The buffers of freed trees, kept for the next tree this thread makes: the
 * radix IOTLB's slab cache.
 *
 * Why: a new tree's SharedArrayBuffers are fresh anonymous memory, and every
 * 4 KiB page of it is a page fault on first touch. Building 1 M one-page
 * entries from empty touches about 10,300 pages (40 bytes an entry): 39.5 ns
 * an insert, against 25.8 ns for the same build into buffers already touched
 * (medians of 9 alternating builds, Node 20, this 2-core VM, #14; a fault
 * costs 1.4-15 us here). The kernel's own IOTLB never pays that per map: its
 * entries come from kmalloc's slabs, memory freed maps left behind. JavaScript
 * cannot pre-fault a SharedArrayBuffer nor ask for huge pages, so the lab keeps
 * freed trees' buffers instead, as V8 keeps its own heap pages and malloc its
 * arenas.
 *
 * Why only trees no other thread or tree reads (RadixIotlb.free decides): a
 * reader in another worker holds a tree's buffers for as long as it likes, and
 * a tree reading another's records (shareFrom) holds that tree's record buffer.
 * Recycling either would let a stale reader see a new tree's entries as its
 * own. A buffer set that went to another thread is left to the garbage
 * collector, never pooled.
 *
 * Buffers come back dirty: the tree code never assumes zeroed memory past its
 * pool tops (allocNode zeroes each node it hands out, every record and bucket
 * is written whole when allocated), the same contract reset() relies on.
 */
import { growableSab } from './growable.js';
import { ENTRY_BYTES } from './layout.js';

/** One tree's growable buffers (its control block is not pooled: it is small, and may be wasm memory). */
export interface PooledBuffers {
  slots: SharedArrayBuffer;
  rec: SharedArrayBuffer;
  bEntry: SharedArrayBuffer;
  bNext: SharedArrayBuffer;
}

/**
 * Most bytes a thread keeps pooled. Enough for a 1 M-entry table (42 MB) with
 * room to spare; a 128 GiB 4k guest's tables (over 1 GiB each) go back to the
 * garbage collector, so the pool never holds a large guest's memory after it.
 */
export const POOL_MAX_BYTES = 64 * 2 ** 20;
/** Most buffer sets a thread keeps pooled. */
export const POOL_MAX_SETS = 8;

const pooled: PooledBuffers[] = [];
let pooledBytes = 0;

function sizeOf(b: PooledBuffers): number {
  return b.slots.byteLength + b.rec.byteLength + b.bEntry.byteLength + b.bNext.byteLength;
}

/** The most recently freed set (its pages are the likeliest still cached), or undefined when none is pooled. */
export function takeBuffers(): PooledBuffers | undefined {
  const b = pooled.pop();
  if (b) pooledBytes -= sizeOf(b);
  return b;
}

/** Keeps `b` for the next tree when it fits the pool's bounds; false when it was left to the garbage collector. */
export function giveBuffers(b: PooledBuffers): boolean {
  const bytes = sizeOf(b);
  if (pooled.length >= POOL_MAX_SETS || pooledBytes + bytes > POOL_MAX_BYTES) return false;
  pooled.push(b);
  pooledBytes += bytes;
  return true;
}

/** What the pool holds now (for tests and the bench's notes). */
export function poolStats(): { sets: number; bytes: number } {
  return { sets: pooled.length, bytes: pooledBytes };
}

/** New growable buffers for about `entries` entries (fresh memory: each page faults on first touch). */
export function freshBuffers(entries: number, maxBytes?: number): PooledBuffers {
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

/** Small buffers for a freed tree's object (RadixIotlb.free), bounded by FREED_MAX_BYTES. */
export function freedBuffers(): PooledBuffers {
  return freshBuffers(16, FREED_MAX_BYTES);
}
