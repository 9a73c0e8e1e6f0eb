/**
 * Sharded pinning: the per-page pin work of one large map spread over
 * helper threads that share the region's frame tables. pin_user_pages is
 * per-page work on independent pages, so a range splits cleanly; slices are
 * cut on chunk (folio) boundaries so no two threads touch one folio count.
 *
 * The caller pins AHEAD (`pinAhead`) and then walks its batches as before,
 * skipping the pages already pinned; counters are the caller's, added once,
 * so modeled figures are identical with or without shards. Calls block
 * (Atomics.wait) until every helper is done: the kernel model is synchronous.
 */
import { Worker } from 'node:worker_threads';
import { newPinCounters, unpinPages, type PinCounters } from './pin.js';
import type { HostRegion } from './region.js';

/** Control words: [0] generation (bumped per job), [1] helpers done, [2] helpers started, [3] stop. */
const GEN = 0;
const DONE = 1;
const STOP = 3;
/** Per helper: piece count, then (region index, first page index, pages) triples. */
const MAX_PIECES = 32;
const ROW = 1 + 3 * MAX_PIECES;

/**
 * What sharding needs of the address space: its regions and how a VA range
 * splits over them. HostMm has both; naming only these keeps pin-shards.ts
 * from importing mm.ts, which owns a PinShards (no import circle).
 */
export interface ShardableMm {
  readonly allRegions: readonly HostRegion[];
  vmaPieces(startPage: number, pages: number): { region: HostRegion; idx: number; n: number }[];
}

interface Piece {
  region: number;
  idx: number;
  n: number;
}

export class PinShards {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(16));
  private readonly jobs: Float64Array;
  private readonly workers: Worker[];
  private readonly regions: readonly HostRegion[];

  constructor(
    private readonly mm: ShardableMm,
    readonly shards: number,
  ) {
    this.regions = [...mm.allRegions];
    this.jobs = new Float64Array(new SharedArrayBuffer(8 * ROW * shards));
    const workerData = { regions: this.regions.map((r) => r.describe()), ctl: this.ctl.buffer, jobs: this.jobs.buffer, row: ROW };
    this.workers = Array.from({ length: shards }, (_, index) => new Worker(new URL('./pin-shard-worker.js', import.meta.url), { workerData: { ...workerData, index } }));
    // Helpers must not keep a finished cell's thread alive.
    for (const w of this.workers) w.unref();
  }

  /**
   * Pins the pages of [startPage, startPage + pages) that VMAs cover
   * contiguously from startPage (pin_user_pages stops at the first hole),
   * across the helpers. Returns how many pages it pinned.
   */
  pinAhead(startPage: number, pages: number, c: PinCounters): number {
    const pieces: Piece[] = this.mm.vmaPieces(startPage, pages).map((p) => ({ region: this.regions.indexOf(p.region), idx: p.idx, n: p.n }));
    const done = pieces.reduce((s, p) => s + p.n, 0);
    if (done === 0) return 0;
    this.run(this.slice(pieces, done));
    c.pagesPinned += done;
    return done;
  }

  /** Takes back pins made ahead that the caller's walk never reached (its error paths). */
  unpinAhead(startPage: number, pages: number, c: PinCounters): void {
    const scratch = newPinCounters();
    for (const p of this.mm.vmaPieces(startPage, pages)) unpinPages(p.region, p.idx, p.n, false, scratch);
    // Never pinned as far as the kernel is concerned: the pin count is taken back, no unpin is counted.
    c.pagesPinned -= pages;
  }

  /** Cuts the pieces into `shards` slices of about equal pages, on chunk boundaries. */
  private slice(pieces: Piece[], total: number): Piece[][] {
    const out: Piece[][] = Array.from({ length: this.shards }, () => []);
    const target = Math.ceil(total / this.shards);
    let shard = 0;
    let filled = 0;
    for (const p of pieces) {
      const cp = this.regions[p.region].layout.chunkPages;
      let idx = p.idx;
      let left = p.n;
      while (left > 0) {
        let take = Math.min(left, Math.max(1, target - filled));
        if (take < left && shard < this.shards - 1) {
          // End the slice on a chunk boundary of the region (whole folios per thread).
          const end = Math.ceil((idx + take) / cp) * cp;
          take = Math.min(left, end - idx);
        } else if (shard === this.shards - 1) take = left;
        out[shard].push({ region: p.region, idx, n: take });
        idx += take;
        left -= take;
        filled += take;
        if (filled >= target && shard < this.shards - 1) {
          shard++;
          filled = 0;
        }
      }
    }
    return out;
  }

  private run(slices: Piece[][]): void {
    const ctl = this.ctl;
    for (let i = 0; i < slices.length; i++) {
      if (slices[i].length > MAX_PIECES) throw new RangeError(`a pin shard got ${slices[i].length} pieces (at most ${MAX_PIECES})`);
      const base = i * ROW;
      this.jobs[base] = slices[i].length;
      slices[i].forEach((p, k) => {
        this.jobs[base + 1 + 3 * k] = p.region;
        this.jobs[base + 2 + 3 * k] = p.idx;
        this.jobs[base + 3 + 3 * k] = p.n;
      });
    }
    Atomics.store(ctl, DONE, 0);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    for (let d = Atomics.load(ctl, DONE); d < this.shards; d = Atomics.load(ctl, DONE)) Atomics.wait(ctl, DONE, d);
  }

  /** Stops the helpers (they exit at their next wake-up). */
  close(): void {
    Atomics.store(this.ctl, STOP, 1);
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
  }
}
