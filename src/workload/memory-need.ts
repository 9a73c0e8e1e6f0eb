/**
 * What one cell will ask of this machine's memory, estimated before any cell
 * starts, so a guest too large for it is refused with the figures instead of
 * failing (or swapping the machine to a halt) halfway through a run.
 *
 * Guest RAM is never allocated; what grows with the guest is the host's
 * frame tables (5 bytes per 4k folio once pinned) and each device's vhost
 * IOTLB (one entry per physically contiguous run: every page of a 4k guest
 * of mean run 1).
 */
import { gib, HOST_MEMORY_SHARE, hostMemoryLimitBytes, regionTableBytes } from '../host/index.js';
import { ENTRY_BYTES, MAX_GROWABLE_BYTES } from '../iotlb/layout.js';
import type { CellSpec } from './cell.js';
import { estimatedEntries } from './entry-limit.js';
import { totalmem } from 'node:os';

/** The process and a worker before any guest: Node, V8 heaps, the model's code (measured RSS of a 32 MiB cell: about 150 MiB). */
export const BASE_BYTES = 256 * 2 ** 20;

/**
 * Peak bytes per IOTLB entry, measured: a 512 GiB 4k guest of mean run 1 on
 * mlx5 (134 M entries, boot, 3 resets, close) peaked at 6.8 GiB RSS, a
 * 256 GiB one on vdpa_sim at 3.4 GiB: about 57 bytes per page, of which 5
 * are frame tables; the rest is the 32-byte record, the radix nodes above it
 * and the record pool's doubling slack.
 */
export const PEAK_BYTES_PER_ENTRY = 52;

/**
 * Entries one tree holds: its records are one growable SharedArrayBuffer,
 * and Node 20 caps those at 4 GiB (entry 0 is the free list's sentinel).
 */
export const MAX_TREE_ENTRIES = MAX_GROWABLE_BYTES / ENTRY_BYTES - 1;

export interface MemoryNeed {
  bytes: number;
  entriesPerDevice: number;
}

export function cellMemoryNeed(cell: CellSpec): MemoryNeed {
  const p = cell.params;
  const pages = (p.guestBytes + p.dimms.reduce((a, b) => a + b, 0)) / 4096;
  const entriesPerDevice = estimatedEntries(cell);
  return { bytes: BASE_BYTES + regionTableBytes(pages, p.backing) + entriesPerDevice * p.devices * PEAK_BYTES_PER_ENTRY, entriesPerDevice };
}

/** Why this cell cannot run on this machine, or null. `limit` defaults to hostMemoryLimitBytes(). */
export function memoryProblem(cell: CellSpec, limit = hostMemoryLimitBytes()): string | null {
  const need = cellMemoryNeed(cell);
  if (need.bytes > limit) {
    return `this guest needs about ${gib(need.bytes)} of memory (${need.entriesPerDevice.toLocaleString('en-US')} IOTLB entries per device, ${PEAK_BYTES_PER_ENTRY} bytes each at peak, plus frame tables), more than this machine's limit of ${gib(limit)} (${HOST_MEMORY_SHARE * 100}% of ${gib(totalmem())})`;
  }
  // For a mean run above 1 the count is a mean of random run lengths: keep 1% clear of the cap.
  const cap = cell.params.backing === '4k' && cell.params.meanRun > 1 ? Math.floor(MAX_TREE_ENTRIES * 0.99) : MAX_TREE_ENTRIES;
  if (need.entriesPerDevice > cap) {
    return `this guest needs about ${need.entriesPerDevice.toLocaleString('en-US')} IOTLB entries per device, more than the ${cap.toLocaleString('en-US')} one tree holds (its records are one shared buffer, at most 4 GiB on Node 20); a larger meanRun needs fewer`;
  }
  return null;
}
