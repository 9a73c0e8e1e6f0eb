/**
 * `vdpa-lab bench iotlb`: the radix IOTLB beside @flatten-js/interval-tree
 * (the interval tree a JS user would pick), same inputs, same run.
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
import IntervalTreeModule from '@flatten-js/interval-tree';
import { Bench } from 'tinybench';
import { RadixIotlb } from '../iotlb/index.js';
import { heapUsed } from './memory.js';
import { XorShift32 } from './rng.js';

// The package's ESM build exports the class as default; typings disagree by version.
const IntervalTree = ((IntervalTreeModule as unknown as { default?: unknown }).default ?? IntervalTreeModule) as new () => FlattenTree;
interface FlattenTree {
  insert(key: [number, number], value: number): unknown;
  remove(key: [number, number], value: number): unknown;
  search(key: [number, number]): number[];
}

export type IotlbLayout = 'dense' | 'sparse';
export type IotlbOp = 'insert' | 'translate' | 'query' | 'delete' | 'footprint';
export type IotlbImpl = 'radix' | 'flatten-js';

/** One result row; `--json` prints an array of these. */
export interface IotlbBenchRow {
  suite: IotlbLayout | 'hugepage-1tib';
  op: IotlbOp;
  impl: IotlbImpl;
  entries: number;
  /** Measured operations per second (mean over samples); null for footprint rows. */
  opsPerSec: number | null;
  /** Relative margin of error of the mean latency, percent. */
  rme: number | null;
  /** Memory per entry in bytes (radix: shared buffers in use; peer: JS heap growth). */
  bytesPerEntry: number | null;
}

export interface IotlbBenchOptions {
  sizes: number[];
  layouts: IotlbLayout[];
  /** Time budget per task, ms. */
  timeMs: number;
  /** Operations per sample. */
  batch: number;
  /** Rounds in which radix and the peer alternate (each gets timeMs / rounds per task per round). */
  rounds: number;
  seed: number;
  /** Also run the peer implementation. */
  peer: boolean;
  onProgress?: (message: string) => void;
}

/** Default sizes: the 1 K, 100 K, 1 M and 4 M entries. */
export const defaultIotlbSizes = [1_000, 100_000, 1_000_000, 4_000_000];
/** Default time budget per task in milliseconds. */
export const defaultIotlbTimeMs = 300;
/** Default operations per timed sample. */
export const defaultIotlbBatch = 1024;
/** Default rounds of radix-then-peer. */
export const defaultIotlbRounds = 3;

/** 1 TiB of IOVA in 4 KiB pages: the sparse layout spreads entries over it. */
const SPARSE_SPAN_PAGES = 2 ** 28;
/** Pages per overlap query window. */
const QUERY_PAGES = 8;

/** The four operations over a batch of page numbers, each implementation in its own loops. Lookups return their hits. */
export interface Impl {
  readonly name: IotlbImpl;
  insertAll(pages: Float64Array): void;
  removeAll(pages: Float64Array): void;
  translateAll(pages: Float64Array): number;
  queryAll(pages: Float64Array): number;
  /** Puts back whichever of `pages` is missing (the delete task's set-up). */
  restoreAll(pages: Float64Array): void;
}

function radixImpl(tree: RadixIotlb): Impl {
  return {
    name: 'radix',
    insertAll: (ps) => {
      for (let i = 0; i < ps.length; i++) tree.addPages(ps[i], 1, ps[i] + 7, 3);
    },
    removeAll: (ps) => {
      for (let i = 0; i < ps.length; i++) tree.deleteParts(ps[i], 0, ps[i], 4095);
    },
    translateAll: (ps) => {
      let hits = 0;
      for (let i = 0; i < ps.length; i++) if (tree.translatePage(ps[i], 0x123) !== 0) hits++;
      return hits;
    },
    queryAll: (ps) => {
      let hits = 0;
      for (let i = 0; i < ps.length; i++) if (tree.firstId(ps[i], 0, ps[i] + QUERY_PAGES - 1, 4095) !== 0) hits++;
      return hits;
    },
    restoreAll: (ps) => {
      for (let i = 0; i < ps.length; i++) if (tree.translatePage(ps[i], 0) === 0) tree.addPages(ps[i], 1, ps[i] + 7, 3);
    },
  };
}

function flattenImpl(tree: FlattenTree): Impl {
  return {
    name: 'flatten-js',
    insertAll: (ps) => {
      for (let i = 0; i < ps.length; i++) tree.insert([ps[i], ps[i]], ps[i] + 7);
    },
    removeAll: (ps) => {
      for (let i = 0; i < ps.length; i++) tree.remove([ps[i], ps[i]], ps[i] + 7);
    },
    translateAll: (ps) => {
      let hits = 0;
      for (let i = 0; i < ps.length; i++) {
        const hit = tree.search([ps[i], ps[i]]);
        if (hit.length > 0 && hit[0] * 4096 + 0x123 > 0) hits++;
      }
      return hits;
    },
    queryAll: (ps) => {
      let hits = 0;
      for (let i = 0; i < ps.length; i++) if (tree.search([ps[i], ps[i] + QUERY_PAGES - 1]).length > 0) hits++;
      return hits;
    },
    restoreAll: (ps) => {
      for (let i = 0; i < ps.length; i++) if (tree.search([ps[i], ps[i]]).length === 0) tree.insert([ps[i], ps[i]], ps[i] + 7);
    },
  };
}

/** Inputs of one (layout, size) suite, shared by both implementations. */
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

export type Measured = { op: IotlbOp; opsPerSec: number; rme: number };

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
    return { op: t.name as IotlbOp, opsPerSec: ops / (r.latency.mean / 1000), rme: r.latency.rme };
  });
}

/** Per task, the round with the median rate (its rme with it). */
function medianRounds(rounds: Measured[][]): Measured[] {
  return rounds[0].map((_, k) => {
    const byRate = rounds.map((r) => r[k]).sort((a, b) => a.opsPerSec - b.opsPerSec);
    return byRate[(byRate.length - 1) >> 1];
  });
}

export function runIotlbBench(opts: IotlbBenchOptions): IotlbBenchRow[] {
  const rows: IotlbBenchRow[] = [];
  const say = opts.onProgress ?? (() => {});
  for (const layout of opts.layouts) {
    for (const n of opts.sizes) {
      const inputs = makeInputs(layout, n, opts.batch, opts.seed);
      // Radix first; its memory is the shared buffers in use.
      say(`${layout} ${n}: building radix`);
      const radix = new RadixIotlb();
      for (let i = 0; i < n; i++) radix.addPages(inputs.mapped[i], 1, inputs.mapped[i] + 7, 3);
      const radixBytes = radix.usedBytes / n;
      const impls: Array<{ impl: Impl; bytes: number; rounds: Measured[][] }> = [{ impl: radixImpl(radix), bytes: radixBytes, rounds: [] }];
      if (opts.peer) {
        say(`${layout} ${n}: building flatten-js`);
        const before = heapUsed();
        const peer = new IntervalTree();
        for (let i = 0; i < n; i++) peer.insert([inputs.mapped[i], inputs.mapped[i]], inputs.mapped[i] + 7);
        impls.push({ impl: flattenImpl(peer), bytes: Math.max(0, heapUsed() - before) / n, rounds: [] });
      }
      const rounds = Math.max(1, opts.rounds);
      for (let round = 1; round <= rounds; round++) {
        for (const m of impls) {
          say(`${layout} ${n}: timing ${m.impl.name}, round ${round}/${rounds}`);
          m.rounds.push(measureRound(m.impl, inputs, opts.timeMs / rounds));
        }
      }
      for (const m of impls) {
        for (const r of medianRounds(m.rounds)) {
          rows.push({ suite: layout, op: r.op, impl: m.impl.name, entries: n, opsPerSec: r.opsPerSec, rme: r.rme, bytesPerEntry: m.bytes });
        }
      }
    }
  }
  rows.push(...hugepageFootprint(opts.peer));
  return rows;
}

/** A 1 TiB guest mapped as 1024 entries of 1 GiB, 1 GiB-aligned: how much tree? */
function hugepageFootprint(peer: boolean): IotlbBenchRow[] {
  const entries = 1024;
  const pagesPerGiB = 2 ** 18;
  const radix = new RadixIotlb();
  for (let i = 0; i < entries; i++) radix.addPages(i * pagesPerGiB, pagesPerGiB, (i + 1) * pagesPerGiB, 3);
  const rows: IotlbBenchRow[] = [
    { suite: 'hugepage-1tib', op: 'footprint', impl: 'radix', entries, opsPerSec: null, rme: null, bytesPerEntry: radix.usedBytes / entries },
  ];
  if (peer) {
    const before = heapUsed();
    const t = new IntervalTree();
    for (let i = 0; i < entries; i++) t.insert([i * pagesPerGiB, (i + 1) * pagesPerGiB - 1], i);
    rows.push({ suite: 'hugepage-1tib', op: 'footprint', impl: 'flatten-js', entries, opsPerSec: null, rme: null, bytesPerEntry: Math.max(0, heapUsed() - before) / entries });
  }
  return rows;
}
