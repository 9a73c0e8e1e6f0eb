/**
 * How much memory the lab's host side may ask of this machine, and what a
 * region's frame tables take. Guest RAM itself is never allocated: a region
 * costs its per-folio tables (pins: 4 bytes, dirty: 1 byte), committed as
 * pinning touches them, so a 4k guest's tables grow with its size.
 */
import { totalmem } from 'node:os';
import { FOLIO_SHIFT, type Backing } from './backing.js';

/**
 * The share of physical memory one cell (or one exec session) may plan to
 * use. The rest is for the OS, the other worker threads and other tenants;
 * run --backend's VMs use the same share.
 */
export const HOST_MEMORY_SHARE = 0.75;

/** Bytes of frame tables per folio: an Int32 pin count and a dirty byte (region.ts). */
export const TABLE_BYTES_PER_FOLIO = 5;

/**
 * V8's largest typed array (Node 20): 2^32 elements. A region's pin table
 * is one Int32Array of a count per folio, so a 4k region ends at 2^32 pages
 * (16 TiB) whatever the memory.
 */
export const MAX_FOLIOS_PER_REGION = 2 ** 32;

/** This machine's limit for one cell or session, in bytes. */
export function hostMemoryLimitBytes(total = totalmem()): number {
  return Math.floor(total * HOST_MEMORY_SHARE);
}

export function regionFolios(pages: number, backing: Backing): number {
  return Math.ceil(pages / 2 ** FOLIO_SHIFT[backing]);
}

/** Frame tables of a region once every folio has been touched (pinned). */
export function regionTableBytes(pages: number, backing: Backing): number {
  return regionFolios(pages, backing) * TABLE_BYTES_PER_FOLIO;
}

/** "12.3 GiB" (or "32 TiB") for a message. */
export function gib(bytes: number): string {
  if (bytes >= 2 ** 40) return `${+(bytes / 2 ** 40).toFixed(1)} TiB`;
  return `${+(bytes / 2 ** 30).toFixed(1)} GiB`;
}

/**
 * Why a region of this size cannot be modeled here, or null. `limit` is
 * hostMemoryLimitBytes() unless a caller knows better (tests).
 */
export function regionProblem(pages: number, backing: Backing, limit = hostMemoryLimitBytes()): string | null {
  const need = regionTableBytes(pages, backing);
  if (need > limit) return `a ${backing} region of ${gib(pages * 4096)} needs about ${gib(need)} of frame tables once pinned, more than this machine's limit of ${gib(limit)} (${HOST_MEMORY_SHARE * 100}% of ${gib(totalmem())})`;
  const folios = regionFolios(pages, backing);
  if (folios > MAX_FOLIOS_PER_REGION) return `a ${backing} region of ${gib(pages * 4096)} has ${folios} folios, past the lab's ${MAX_FOLIOS_PER_REGION} per region (V8's largest typed array)`;
  return null;
}

/** The largest region the lab models (far beyond any guest: 16 TiB is V8's 4k table limit anyway). */
export const MAX_REGION_BYTES = 2n ** 46n;
const U64_END = 2n ** 64n;

/**
 * Why an mmap of `bytes` at `uaddr` cannot be modeled here, or null. exec's
 * mmap lines and replay's regions (inferred from a trace's maps) ask the
 * same question before any table is allocated, so a size no machine could
 * hold is one line naming its line, never an allocation failure.
 */
export function mmapProblem(uaddr: bigint, bytes: bigint, backing: Backing, limit = hostMemoryLimitBytes()): string | null {
  if (uaddr + bytes > U64_END) return 'the region would end past 2^64-1';
  if (bytes > MAX_REGION_BYTES) return 'larger than the 64 TiB the lab models per region';
  return regionProblem(Number(bytes >> 12n), backing, limit);
}
