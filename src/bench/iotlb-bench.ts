/**
 * `vdpa-lab bench iotlb`: the radix IOTLB beside JS peers (@flatten-js/interval-tree,
 * sorted-btree: see iotlb-impls.ts) and, for the cold rows, a native C
 * reference (iotlb-native.ts), same inputs, same run.
 *
 * Hot rows (this file) time fixed batches of 1,024 pages repeated sample
 * after sample: the entries they touch stay in the CPU caches. Cold rows
 * (iotlb-cold.ts) span the whole table.
 *
 * Every figure here is MEASURED (wall clock of this machine), never modeled.
 * One tinybench sample times a batch of operations: a single sub-microsecond
 * operation would only measure the timer (tinybench has no batching).
 * Each implementation runs its batches in its own loops, so no call site in
 * a timed loop sees both (a call site shared by two receivers is slower for
 * whichever runs second). The two alternate in rounds and each figure is the
 * median round: this machine's speed drifts over seconds, and a ratio of two
 * figures taken at different moments would carry that drift.
 */
import { Bench } from 'tinybench';
import { RadixIotlb } from '../iotlb/index.js';
import { COLD_OPS, SPARSE_SPAN_PAGES, coldPattern, makeColdInputs, runColdSuite, type ColdOp } from './iotlb-cold.js';
import { MAKERS, QUERY_PAGES, flattenOfRanges, radixOver, type Impl, type IotlbImpl, type JsImpl } from './iotlb-impls.js';
import { buildNativeRef, disposeNativeRef } from './iotlb-native.js';
import { heapUsed } from './memory.js';
import type { IotlbLayout } from './iotlb-bench-types.js';
import { XorShift32 } from './rng.js';

export type { Impl, IotlbImpl } from './iotlb-impls.js';
export type { IotlbLayout } from './iotlb-bench-types.js';
export type HotOp = 'insert' | 'translate' | 'query' | 'delete' | 'footprint';
export type IotlbOp = HotOp | ColdOp;

/** One result row; `--json` prints an array of these. */
export interface IotlbBenchRow {
  /** hot: a small probe set repeated, so its entries stay cached; cold: accesses spanning the whole table. */
  temp: 'hot' | 'cold';
  suite: IotlbLayout | 'hugepage-1tib';
  op: IotlbOp;
  /** How the operations pick their pages. */
  pattern: string;
  /** What the operations touch. */
  workingSet: string;
  impl: IotlbImpl;
  entries: number;
  /** Measured operations per second; null for footprint rows. */
  opsPerSec: number | null;
  /** Hot rows: relative margin of error of the mean latency, percent (cold rows time one stretch: null). */
  rme: number | null;
  /** Cold rows: operations timed in the median round (a budgeted build may stop short of `entries`). */
  ops: number | null;
  /** Memory per entry in bytes (radix: shared buffers in use; JS peers: heap growth; native-c: its arrays). */
  bytesPerEntry: number | null;
}

export interface IotlbBenchOptions {
  sizes: number[];
  layouts: IotlbLayout[];
  /** Sizes for the cold rows (default none). */
  coldSizes?: number[];
  /** Time budget per task, ms. */
  timeMs: number;
  /** Cold rows: budget per build from empty per round, ms (default 1000). */
  buildMs?: number;
  /** Operations per sample. */
  batch: number;
  /** Rounds in which radix and the peers alternate (each gets timeMs / rounds per task per round). */
  rounds: number;
  seed: number;
  /** Also run the JS peers (flatten-js, sorted-btree). */
  peer: boolean;
  /** Cold rows: also run the native C reference when a compiler exists (default true). */
  native?: boolean;
  onProgress?: (message: string) => void;
  /** Told why the native reference was skipped. */
  onNote?: (message: string) => void;
}

/** Default sizes: the 1 K, 100 K, 1 M and 4 M entries. */
export const defaultIotlbSizes = [1_000, 100_000, 1_000_000, 4_000_000];
/** Default sizes of the cold rows: #14's targets are stated at 1 M. */
export const defaultIotlbColdSizes = [1_000_000];
/** Default time budget per task in milliseconds. */
export const defaultIotlbTimeMs = 300;
/** Default budget per cold build from empty per round, ms. */
export const defaultIotlbBuildMs = 1000;
/** Default operations per timed sample. */
export const defaultIotlbBatch = 1024;
/** Default rounds of radix-then-peers. */
export const defaultIotlbRounds = 3;

const PEERS: JsImpl[] = ['flatten-js', 'sorted-btree'];

/** Inputs of one hot (layout, size) suite, shared by every implementation. */
export interface Inputs {
  mapped: Float64Array;
  /** Pages not mapped, for insert batches. */
  fresh: Float64Array;
  /** Half hits, half misses. */
  probes: Float64Array;
  /** Mapped pages to delete (and put back). */
  victims: Float64Array;
}

export function makeInputs(layout: IotlbLayout, n: number, batch: number, seed: number): Inputs {
  const rng = new XorShift32(seed ^ n);
  const mapped = new Float64Array(n);
  const fresh = new Float64Array(batch);
  const probes = new Float64Array(batch);
  const victims = new Float64Array(batch);
  if (layout === 'dense') {
    for (let i = 0; i < n; i++) mapped[i] = i;
    for (let i = 0; i < batch; i++) fresh[i] = n + i;
    for (let i = 0; i < batch; i++) probes[i] = i % 2 ? rng.below(n) : n + batch + rng.below(n);
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
    for (let i = 0; i < batch; i++) fresh[i] = pick();
    for (let i = 0; i < batch; i++) probes[i] = i % 2 ? mapped[rng.below(n)] : pick();
  }
  for (let i = 0; i < batch; i++) victims[i] = mapped[rng.below(n)];
  // Victims must be distinct, or the put-back would collide.
  const distinct = [...new Set(victims)];
  return { mapped, fresh, probes, victims: Float64Array.from(distinct) };
}

export type Measured = { op: HotOp; opsPerSec: number; rme: number };

/** One round of the four tasks for one implementation; the tree is as built before and after. */
export function measureRound(impl: Impl, inputs: Inputs, timeMs: number): Measured[] {
  const { fresh, probes, victims } = inputs;
  const bench = new Bench({ time: timeMs, warmupTime: Math.min(100, timeMs / 3), iterations: 5 });
  let sink = 0;
  // tinybench calls each body once without hooks (to see if it is async), so
  // set-up is idempotent and runs before each iteration, and a round leaves
  // the tree as built: the next round's first insert into a tree that still
  // had `fresh` would put the peer's duplicates in (the radix tree refuses them).
  bench.add('insert', () => impl.insertAll(fresh), { beforeEach: () => impl.removeAll(fresh) });
  bench.add('translate', () => {
    sink += impl.translateAll(probes);
  });
  bench.add('query', () => {
    sink += impl.queryAll(probes);
  });
  bench.add('delete', () => impl.removeAll(victims), { beforeEach: () => impl.restoreAll(victims) });
  bench.runSync();
  impl.removeAll(fresh);
  impl.restoreAll(victims);
  if (sink < 0) console.log(sink); // keep the lookups observable
  return bench.tasks.map((t) => {
    const r = t.result;
    if (r.state !== 'completed') {
      const why = r.state === 'errored' ? r.error.message : r.state;
      throw new Error(`benchmark task ${t.name} (${impl.name}) did not complete: ${why}`);
    }
    const ops = t.name === 'insert' ? fresh.length : t.name === 'delete' ? victims.length : probes.length;
    return { op: t.name as HotOp, opsPerSec: ops / (r.latency.mean / 1000), rme: r.latency.rme };
  });
}

/** Per task, the round with the median rate (its rme with it). */
function medianRounds(rounds: Measured[][]): Measured[] {
  return rounds[0].map((_, k) => {
    const byRate = rounds.map((r) => r[k]).sort((a, b) => a.opsPerSec - b.opsPerSec);
    return byRate[(byRate.length - 1) >> 1];
  });
}

/** What each hot row says it measured. */
function hotPattern(op: HotOp, layout: IotlbLayout, batch: number): { pattern: string; workingSet: string } {
  const set = `the same ${batch} pages every sample`;
  switch (op) {
    case 'insert':
      return { pattern: `fresh pages (${layout === 'dense' ? 'past the table' : 'random unmapped'}), removed before each sample`, workingSet: set };
    case 'translate':
      return { pattern: `half hits, half misses, ${layout === 'dense' ? 'random over the table' : 'random over 1 TiB'}`, workingSet: set };
    case 'query':
      return { pattern: `first entry in ${QUERY_PAGES} pages from each probe`, workingSet: set };
    case 'delete':
      return { pattern: 'random mapped pages, put back before each sample', workingSet: set };
    default:
      return { pattern: '1024 entries of 1 GiB', workingSet: '1 TiB' };
  }
}

/** The table built from `mapped` for one implementation, and its bytes per entry. */
function buildHot(name: JsImpl, mapped: Float64Array): { impl: Impl; bytes: number } {
  if (name === 'radix') {
    const tree = new RadixIotlb();
    for (let i = 0; i < mapped.length; i++) tree.addPages(mapped[i], 1, mapped[i] + 7, 3);
    return { impl: radixOver(tree), bytes: tree.usedBytes / mapped.length };
  }
  const before = heapUsed();
  const impl = MAKERS[name].empty();
  impl.insertAll(mapped);
  return { impl, bytes: Math.max(0, heapUsed() - before) / mapped.length };
}

function hotRows(opts: IotlbBenchOptions, impls: JsImpl[], say: (m: string) => void): IotlbBenchRow[] {
  const rows: IotlbBenchRow[] = [];
  for (const layout of opts.layouts) {
    for (const n of opts.sizes) {
      const inputs = makeInputs(layout, n, opts.batch, opts.seed);
      const built = impls.map((name) => {
        say(`hot ${layout} ${n}: building ${name}`);
        return { ...buildHot(name, inputs.mapped), rounds: [] as Measured[][] };
      });
      const rounds = Math.max(1, opts.rounds);
      for (let round = 1; round <= rounds; round++) {
        for (const m of built) {
          say(`hot ${layout} ${n}: timing ${m.impl.name}, round ${round}/${rounds}`);
          m.rounds.push(measureRound(m.impl, inputs, opts.timeMs / rounds));
        }
      }
      for (const m of built) {
        for (const r of medianRounds(m.rounds)) {
          rows.push({ temp: 'hot', suite: layout, op: r.op, ...hotPattern(r.op, layout, opts.batch), impl: m.impl.name, entries: n, opsPerSec: r.opsPerSec, rme: r.rme, ops: null, bytesPerEntry: m.bytes });
        }
      }
    }
  }
  return rows;
}

function coldRows(opts: IotlbBenchOptions, impls: JsImpl[], say: (m: string) => void): IotlbBenchRow[] {
  const sizes = opts.coldSizes ?? [];
  if (sizes.length === 0) return [];
  const native = opts.native === false ? undefined : buildNativeRef();
  if (typeof native === 'string') opts.onNote?.(native);
  const ref = typeof native === 'string' ? undefined : native;
  const rows: IotlbBenchRow[] = [];
  try {
    for (const layout of opts.layouts) {
      for (const n of sizes) {
        const inputs = makeColdInputs(layout, n, opts.seed);
        const results = runColdSuite(inputs, {
          rounds: Math.max(1, opts.rounds),
          timeMs: opts.timeMs / Math.max(1, opts.rounds),
          buildMs: opts.buildMs ?? defaultIotlbBuildMs,
          chunk: opts.batch,
          impls,
          native: ref,
          say,
        });
        for (const op of COLD_OPS) {
          for (const r of results) {
            const m = r.rows.find((x) => x.op === op);
            if (!m) continue; // the JS peers build in fresh memory never (iotlb-cold.ts), native-c only so
            rows.push({ temp: 'cold', suite: layout, op, ...coldPattern(op, layout, n), impl: r.impl, entries: n, opsPerSec: m.opsPerSec, rme: null, ops: m.ops, bytesPerEntry: r.bytesPerEntry });
          }
        }
      }
    }
  } finally {
    if (ref) disposeNativeRef(ref);
  }
  return rows;
}

export function runIotlbBench(opts: IotlbBenchOptions): IotlbBenchRow[] {
  const say = opts.onProgress ?? (() => {});
  const impls: JsImpl[] = opts.peer ? ['radix', ...PEERS] : ['radix'];
  return [...hotRows(opts, impls, say), ...hugepageFootprint(impls), ...coldRows(opts, impls, say)];
}

/** A 1 TiB guest mapped as 1024 entries of 1 GiB, 1 GiB-aligned: how much tree? */
function hugepageFootprint(impls: JsImpl[]): IotlbBenchRow[] {
  const entries = 1024;
  const pagesPerGiB = 2 ** 18;
  const radix = new RadixIotlb();
  for (let i = 0; i < entries; i++) radix.addPages(i * pagesPerGiB, pagesPerGiB, (i + 1) * pagesPerGiB, 3);
  const row = (impl: IotlbImpl, bytes: number): IotlbBenchRow => ({ temp: 'hot', suite: 'hugepage-1tib', op: 'footprint', ...hotPattern('footprint', 'dense', 0), impl, entries, opsPerSec: null, rme: null, ops: null, bytesPerEntry: bytes });
  const rows = [row('radix', radix.usedBytes / entries)];
  if (impls.includes('flatten-js')) {
    const before = heapUsed();
    const keep = flattenOfRanges(entries, pagesPerGiB);
    rows.push(row('flatten-js', Math.max(0, heapUsed() - before) / entries));
    if (keep === null) console.log(keep); // the tree stays alive through the measurement
  }
  return rows;
}
