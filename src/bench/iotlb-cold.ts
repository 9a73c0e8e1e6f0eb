/**
 * `bench iotlb`'s cold rows: every access spans the whole table, so the
 * entries a lookup touches are rarely in the CPU caches (the DMA readers of
 * `run` translate random IOVAs over a whole guest: this is their case).
 *
 * - translate, hits: random mapped pages over the whole table, never repeated
 *   within a round (a cursor walks an array of n random probes);
 * - translate, misses: random unmapped pages (dense: the n pages past the
 *   table; sparse: unmapped pages over the same 1 TiB);
 * - insert from empty, in IOVA order and in random order: a new table each
 *   round, built until it holds all n entries or the build budget runs out
 *   (a slow peer stops early, on a smaller and so cheaper table: its row says
 *   how many entries it reached). Twice, apart, because where the memory
 *   comes from decides a quarter to a half of the figure:
 *   - in reused memory (`insert-*-order`): the JS peers build in V8's heap,
 *     which keeps and reuses its pages; radix builds again in the table its
 *     fresh build (below) left, emptied by reset(), which keeps a table's
 *     buffers: the memory a freed table leaves in the pool (buffer-pool.ts),
 *     as the kernel's IOTLB builds in kmalloc's slabs. (Not through the pool
 *     itself: it keeps at most 64 MiB, and a sparse 1 M table's buffers are
 *     96 MiB, so its "reused" build ran in fresh memory: 94 against 97 ns an
 *     insert, #14 review.) The JS peers are compared here, like for like;
 *   - in fresh memory (`insert-*-order-fresh`): radix in new
 *     SharedArrayBuffers, native-c in a process's first malloc, every page a
 *     first-touch fault (1.4-15 us each on this VM). The native reference is
 *     compared here, like for like. V8's heap cannot be made fresh per build:
 *     the JS peers have no such row;
 * - delete: entries in random order over the whole table, until the budget
 *   runs out; they are put back (untimed) after the round.
 * The JS implementations and the native reference alternate in rounds; each
 * figure is the median round.
 */
import { RadixIotlb } from '../iotlb/index.js';
import { MAKERS, radixOver, type Impl, type JsImpl } from './iotlb-impls.js';
import { heapUsed } from './memory.js';
import { runNativeRound, type NativeRef } from './iotlb-native.js';
import type { ColdInputs, ColdMeasured, ColdOp, IotlbLayout } from './iotlb-bench-types.js';
import { XorShift32 } from './rng.js';

export type { ColdInputs, ColdMeasured, ColdOp } from './iotlb-bench-types.js';
export const COLD_OPS: readonly ColdOp[] = ['insert-iova-order', 'insert-random-order', 'insert-iova-order-fresh', 'insert-random-order-fresh', 'translate-hit', 'translate-miss', 'delete'];
/** The builds from empty: in reused memory, in fresh memory (radix and native-c only, see above), and their input. */
const BUILDS = [
  ['insert-iova-order', 'insert-iova-order-fresh', 'mapped'],
  ['insert-random-order', 'insert-random-order-fresh', 'order'],
] as const;

/** 1 TiB of IOVA in 4 KiB pages: the sparse layout spreads entries over it. */
export const SPARSE_SPAN_PAGES = 2 ** 28;

export function makeColdInputs(layout: IotlbLayout, n: number, seed: number): ColdInputs {
  const rng = new XorShift32((seed * 0x9e3779b1) ^ n ^ 0x5bd1e995);
  const mapped = new Float64Array(n);
  const misses = new Float64Array(n);
  if (layout === 'dense') {
    for (let i = 0; i < n; i++) mapped[i] = i;
    for (let i = 0; i < n; i++) misses[i] = n + rng.below(n);
  } else {
    const used = new Set<number>();
    const pick = () => {
      for (;;) {
        const p = rng.below(SPARSE_SPAN_PAGES);
        if (!used.has(p)) {
          used.add(p);
          return p;
        }
      }
    };
    for (let i = 0; i < n; i++) mapped[i] = pick();
    mapped.sort();
    for (let i = 0; i < n; i++) misses[i] = pick();
  }
  const order = Float64Array.from(mapped);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const hits = new Float64Array(n);
  for (let i = 0; i < n; i++) hits[i] = mapped[rng.below(n)];
  return { layout, mapped, order, hits, misses };
}

/** What each cold row says it measured. */
export function coldPattern(op: ColdOp, layout: IotlbLayout, n: number): { pattern: string; workingSet: string } {
  const table = `whole table (${n} entries${layout === 'sparse' ? ' over 1 TiB' : ''})`;
  switch (op) {
    case 'insert-iova-order':
      return { pattern: 'build from empty, IOVA order', workingSet: 'the growing table, in reused memory' };
    case 'insert-random-order':
      return { pattern: 'build from empty, random order', workingSet: 'the growing table, in reused memory' };
    case 'insert-iova-order-fresh':
      return { pattern: 'build from empty, IOVA order', workingSet: 'the growing table, in fresh memory (page faults)' };
    case 'insert-random-order-fresh':
      return { pattern: 'build from empty, random order', workingSet: 'the growing table, in fresh memory (page faults)' };
    case 'translate-hit':
      return { pattern: 'random hits, no repeats in a round', workingSet: table };
    case 'translate-miss':
      return { pattern: layout === 'dense' ? 'random misses in the n pages past the table' : 'random unmapped pages over 1 TiB', workingSet: table };
    case 'delete':
      return { pattern: 'random order, put back after the round', workingSet: table };
  }
}

export interface ColdResult {
  impl: JsImpl | 'native-c';
  rows: ColdMeasured[];
  bytesPerEntry: number | null;
}

export interface ColdOptions {
  rounds: number;
  /** Budget per lookup/delete task per round, ms. */
  timeMs: number;
  /** Budget per build from empty per round, ms. */
  buildMs: number;
  /** Operations between clock reads. */
  chunk: number;
  impls: JsImpl[];
  native: NativeRef | undefined;
  say: (m: string) => void;
}

/** One JS implementation's whole table and the cursors that keep its probes fresh across rounds. */
interface Subject {
  name: JsImpl;
  full: Impl;
  bytes: number;
  cursor: { hit: number; miss: number; del: number };
  rounds: ColdMeasured[][];
}

/** Runs `body` over slices of `pages` from `cursor` on (wrapping) until `budgetMs` passes or `limit` ops are done; returns ops and ms. */
function timeSlices(pages: Float64Array, start: number, limit: number, chunk: number, budgetMs: number, body: (slice: Float64Array) => void): { ops: number; ms: number } {
  let ops = 0;
  let at = start;
  const t0 = performance.now();
  let t = t0;
  while (ops < limit && t - t0 < budgetMs) {
    const m = Math.min(chunk, limit - ops, pages.length - at);
    body(pages.subarray(at, at + m));
    ops += m;
    at = (at + m) % pages.length;
    t = performance.now();
  }
  return { ops, ms: t - t0 };
}

function buildFull(name: JsImpl, inputs: ColdInputs): { impl: Impl; bytes: number } {
  if (name === 'radix') {
    const tree = new RadixIotlb();
    const impl = radixOver(tree);
    impl.insertAll(inputs.mapped);
    return { impl, bytes: tree.usedBytes / inputs.mapped.length };
  }
  const before = heapUsed();
  const impl = MAKERS[name].empty();
  impl.insertAll(inputs.mapped);
  return { impl, bytes: Math.max(0, heapUsed() - before) / inputs.mapped.length };
}

function coldRound(s: Subject, inputs: ColdInputs, o: ColdOptions): ColdMeasured[] {
  const n = inputs.mapped.length;
  const out: ColdMeasured[] = [];
  const rate = (op: ColdOp, r: { ops: number; ms: number }) => out.push({ op, opsPerSec: r.ops / (r.ms / 1000), ops: r.ops });
  for (const [op, freshOp, which] of BUILDS) {
    const pages = inputs[which];
    if (s.name === 'radix') {
      // In fresh memory, then again in the same memory, emptied (see above).
      const tree = new RadixIotlb({ recycled: false });
      const table = radixOver(tree);
      rate(freshOp, timeSlices(pages, 0, n, o.chunk, o.buildMs, (p) => table.insertAll(p)));
      tree.reset();
      rate(op, timeSlices(pages, 0, n, o.chunk, o.buildMs, (p) => table.insertAll(p)));
      table.free();
    } else {
      const table = MAKERS[s.name].empty();
      rate(op, timeSlices(pages, 0, n, o.chunk, o.buildMs, (p) => table.insertAll(p)));
      table.free();
    }
  }
  let sink = 0;
  const hit = timeSlices(inputs.hits, s.cursor.hit, n, o.chunk, o.timeMs, (p) => (sink += s.full.translateAll(p)));
  s.cursor.hit = (s.cursor.hit + hit.ops) % n;
  rate('translate-hit', hit);
  const miss = timeSlices(inputs.misses, s.cursor.miss, n, o.chunk, o.timeMs, (p) => (sink -= s.full.translateAll(p)));
  s.cursor.miss = (s.cursor.miss + miss.ops) % n;
  rate('translate-miss', miss);
  const from = s.cursor.del;
  const del = timeSlices(inputs.order, from, n, o.chunk, o.timeMs, (p) => s.full.removeAll(p));
  rate('delete', del);
  // Put them back (untimed), wrapping like timeSlices did.
  for (let done = 0, at = from; done < del.ops; ) {
    const m = Math.min(del.ops - done, n - at);
    s.full.restoreAll(inputs.order.subarray(at, at + m));
    done += m;
    at = (at + m) % n;
  }
  s.cursor.del = (from + del.ops) % n;
  if (sink === Number.MIN_SAFE_INTEGER) console.log(sink); // keep the lookups observable
  return out;
}

/** Per op, the round with the median rate. */
function medianRound(rounds: ColdMeasured[][]): ColdMeasured[] {
  return rounds[0].map((first) => {
    const byRate = rounds.map((r) => r.find((m) => m.op === first.op)!).sort((a, b) => a.opsPerSec - b.opsPerSec);
    return byRate[(byRate.length - 1) >> 1];
  });
}

export function runColdSuite(inputs: ColdInputs, o: ColdOptions): ColdResult[] {
  const n = inputs.mapped.length;
  const subjects: Subject[] = o.impls.map((name) => {
    o.say(`cold ${inputs.layout} ${n}: building ${name}`);
    const { impl, bytes } = buildFull(name, inputs);
    return { name, full: impl, bytes, cursor: { hit: 0, miss: 0, del: 0 }, rounds: [] };
  });
  const native: ColdMeasured[][] = [];
  let nativeBytes: number | null = null;
  for (let round = 1; round <= o.rounds; round++) {
    for (const s of subjects) {
      o.say(`cold ${inputs.layout} ${n}: timing ${s.name}, round ${round}/${o.rounds}`);
      s.rounds.push(coldRound(s, inputs, o));
    }
    if (o.native) {
      o.say(`cold ${inputs.layout} ${n}: timing native-c, round ${round}/${o.rounds}`);
      const r = runNativeRound(o.native, inputs);
      nativeBytes = r.bytesPerEntry;
      native.push(r.rows);
    }
  }
  const results: ColdResult[] = subjects.map((s) => ({ impl: s.name, rows: medianRound(s.rounds), bytesPerEntry: s.bytes }));
  if (native.length) results.push({ impl: 'native-c', rows: medianRound(native), bytesPerEntry: nativeBytes });
  return results;
}
