/**
 * IotlbReader: a read-only view of a RadixIotlb owned by another thread.
 *
 * Lookups run under the writer's seqlock: read SEQ, look up, read SEQ again;
 * retry if it was odd (a write in progress) or changed. A lookup racing a
 * write may read garbage (a freed record, an index past a view that has not
 * been rebuilt since the buffer grew); the retry throws that answer away, and
 * every loop in the read path is bounded so garbage cannot trap it.
 */
import { checkU64, join, split } from './address.js';
import * as layout from './layout.js';
import type { IotlbHandle } from './layout.js';
import { lookup } from './lookup.js';
import { seqLoader } from './seqlock.js';
import { newTree, refreshViews, type Tree } from './tree.js';

// Module-local copies of the layout constants and control-block indexes (tree.ts on why).
const { CTL } = layout;
const { SEQ: CTL_SEQ, COUNT: CTL_COUNT, GROW_EPOCH: CTL_GROW_EPOCH } = CTL;

/**
 * Lookups per seqlock section in translatePages. When SEQ was read with
 * Atomics.load (a C++ builtin call in Node 20, which also keeps the CPU from
 * overlapping consecutive lookups' cache misses: seqlock.ts), translatePage
 * made two per lookup and a reader translating cold over a 1 M table took
 * about twice the writer's time per lookup (same thread, alternating runs).
 * One section per 64 lookups made it noise. SEQ is now a wasm atomic load
 * and translatePage makes one per lookup (0.65-0.94x the writer, from
 * 0.42-0.60x, same thread, alternating builds, #14); the sections stay, as
 * the cheapest read path. A section a write raced is redone lookup by lookup.
 */
const SECTION = 64;

export class IotlbReader {
  /** How many lookups had to be retried because the writer was active. */
  retries = 0;

  /** The tree over the writer's buffers: the same struct the writer's verbs take, read by `lookup` only. */
  private readonly t: Tree;
  /** The atomic read of SEQ (seqlock.ts: a wasm load, not Atomics.load). */
  private readonly seqNow: () => number;
  /** Whether SEQ is read by a wasm atomic load (else Atomics.load: no WebAssembly threads). */
  readonly seqThroughWasm: boolean;
  /** SEQ as the last section's closing read saw it (at first: as attach saw it). */
  private seen: number;

  private constructor(handle: IotlbHandle) {
    this.t = newTree(handle);
    const load = seqLoader(handle);
    this.seqNow = load.read;
    this.seqThroughWasm = load.wasm;
    this.seen = this.seqNow();
  }

  static attach(handle: IotlbHandle): IotlbReader {
    return new IotlbReader(handle);
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

  /** Number of entries (as the writer left it: no seqlock). */
  get count(): number {
    return this.t.ctl[CTL_COUNT];
  }

  /** The writer's sequence number: odd while a write section is open. */
  get sequence(): number {
    return Atomics.load(this.t.ctl, CTL_SEQ);
  }

  /**
   * Translates (page, off). Returns the entry id (0 for a miss); on a hit
   * outPage/outOff/outPerm hold the target. Always a consistent answer.
   */
  translatePage(page: number, off: number): number {
    // The opening read of this section is the closing read of the last one
    // (`seen`): an atomic load of SEQ that precedes this lookup's reads in
    // program order is all the opening read must be, so a lookup makes one
    // atomic load, not two (#14).
    const t = this.t;
    let seq = this.seen;
    for (;;) {
      if (seq & 1) {
        this.retries++;
        seq = this.seqNow();
        continue;
      }
      if (t.ctl[CTL_GROW_EPOCH] !== t.epoch) refreshViews(t);
      const id = lookup(t, page, off);
      const now = this.seqNow();
      this.seen = now;
      if (now === seq) return id;
      this.retries++;
      seq = now;
    }
  }

  /**
   * Translates pages[from..to) at byte offset `off`, as translatePage each:
   * on a hit outPages/outOffs/outPerms[k - from] hold the target, on a
   * miss outPages[k - from] is -1. Returns the hits. Every answer is consistent (valid at
   * some instant); answers of different pages may come from different instants.
   */
  translatePages(pages: Float64Array, from: number, to: number, off: number, outPages: Float64Array, outOffs: Int32Array, outPerms: Uint8Array): number {
    const t = this.t;
    let hits = 0;
    for (let at = from; at < to; ) {
      const end = Math.min(at + SECTION, to);
      const seq = this.seen;
      let got = -1;
      if ((seq & 1) === 0) {
        if (t.ctl[CTL_GROW_EPOCH] !== t.epoch) refreshViews(t);
        got = 0;
        for (let k = at; k < end; k++) {
          if (lookup(t, pages[k], off) === 0) {
            outPages[k - from] = -1;
            continue;
          }
          outPages[k - from] = t.outPage;
          outOffs[k - from] = t.outOff;
          outPerms[k - from] = t.outPerm;
          got++;
        }
        const now = this.seqNow();
        this.seen = now;
        if (now !== seq) got = -1;
      } else {
        this.seen = this.seqNow();
      }
      if (got < 0) {
        // A write raced the section: redo it lookup by lookup.
        this.retries++;
        got = 0;
        for (let k = at; k < end; k++) {
          if (this.translatePage(pages[k], off) === 0) {
            outPages[k - from] = -1;
            continue;
          }
          outPages[k - from] = t.outPage;
          outOffs[k - from] = t.outOff;
          outPerms[k - from] = t.outPerm;
          got++;
        }
      }
      hits += got;
      at = end;
    }
    return hits;
  }

  translate(iova: bigint): { addr: bigint; perm: number } | undefined {
    checkU64(iova, 'iova');
    const p = split(iova);
    if (!this.translatePage(p.page, p.off)) return undefined;
    return { addr: join(this.t.outPage, this.t.outOff), perm: this.t.outPerm };
  }
}
