/**
 * `vdpa-lab bench iotlb`: the radix IOTLB beside @flatten-js/interval-tree
 * (the interval tree a JS user would pick), same inputs, same run.
 *
 * Every figure here is MEASURED (wall clock of this machine), never modeled.
 * One tinybench sample times a batch of operations: a single sub-microsecond
 * operation would only measure the timer (tinybench has no batching).
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

/** 1 TiB of IOVA in 4 KiB pages: the sparse layout spreads entries over it. */
const SPARSE_SPAN_PAGES = 2 ** 28;
/** Pages per overlap query window. */
const QUERY_PAGES = 8;

/** The four operations, as each implementation does them on page numbers. */
interface Impl {
  readonly name: IotlbImpl;
  insert(page: number): void;
  remove(page: number): void;
  translate(page: number): boolean;
  query(page: number): boolean;
}

function radixImpl(tree: RadixIotlb): Impl {
  return {
    name: 'radix',
    insert: (p) => void tree.addPages(p, 1, p + 7, 3),
    remove: (p) => void tree.deleteParts(p, 0, p, 4095),
    translate: (p) => tree.translatePage(p, 0x123) !== 0,
    query: (p) => tree.firstId(p, 0, p + QUERY_PAGES - 1, 4095) !== 0,
  };
}

function flattenImpl(tree: FlattenTree): Impl {
  return {
    name: 'flatten-js',
    insert: (p) => void tree.insert([p, p], p + 7),
    remove: (p) => void tree.remove([p, p], p + 7),
    translate: (p) => {
      const hit = tree.search([p, p]);
      return hit.length > 0 && hit[0] * 4096 + 0x123 > 0;
    },
    query: (p) => tree.search([p, p + QUERY_PAGES - 1]).length > 0,
  };
}

/** Inputs of one (layout, size) suite, shared by both implementations. */
interface Inputs {
  mapped: Float64Array;
  /** Pages not mapped, for insert batches. */
  fresh: Float64Array;
  /** Half hits, half misses. */
  probes: Float64Array;
  /** Mapped pages to delete (and put back). */
  victims: Float64Array;
}

function makeInputs(layout: IotlbLayout, n: number, batch: number, seed: number): Inputs {
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

function measure(
  impl: Impl,
  inputs: Inputs,
  opts: IotlbBenchOptions,
): Array<{ op: IotlbOp; opsPerSec: number; rme: number }> {
  const { fresh, probes, victims } = inputs;
  const bench = new Bench({ time: opts.timeMs, warmupTime: Math.min(100, opts.timeMs / 3), iterations: 5 });
  let sink = 0;
  bench.add(
    'insert',
    () => {
      for (let i = 0; i < fresh.length; i++) impl.insert(fresh[i]);
    },
    // tinybench calls each body once without hooks (to see if it is async),
    // so set-up is idempotent and runs before each iteration.
    { beforeEach: () => fresh.forEach((p) => impl.remove(p)) },
  );
  bench.add('translate', () => {
    for (let i = 0; i < probes.length; i++) if (impl.translate(probes[i])) sink++;
  });
  bench.add('query', () => {
    for (let i = 0; i < probes.length; i++) if (impl.query(probes[i])) sink++;
  });
  bench.add(
    'delete',
    () => {
      for (let i = 0; i < victims.length; i++) impl.remove(victims[i]);
    },
    { beforeEach: () => victims.forEach((p) => impl.translate(p) || impl.insert(p)) },
  );
  bench.runSync();
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
      say(`${layout} ${n}: timing radix`);
      for (const m of measure(radixImpl(radix), inputs, opts)) {
        rows.push({ suite: layout, op: m.op, impl: 'radix', entries: n, opsPerSec: m.opsPerSec, rme: m.rme, bytesPerEntry: radixBytes });
      }
      if (!opts.peer) continue;
      say(`${layout} ${n}: building flatten-js`);
      const before = heapUsed();
      const peer = new IntervalTree();
      for (let i = 0; i < n; i++) peer.insert([inputs.mapped[i], inputs.mapped[i]], inputs.mapped[i] + 7);
      const peerBytes = Math.max(0, heapUsed() - before) / n;
      say(`${layout} ${n}: timing flatten-js`);
      for (const m of measure(flattenImpl(peer), inputs, opts)) {
        rows.push({ suite: layout, op: m.op, impl: 'flatten-js', entries: n, opsPerSec: m.opsPerSec, rme: m.rme, bytesPerEntry: peerBytes });
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
