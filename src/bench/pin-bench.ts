/**
 * `vdpa-lab bench pin`: pages pinned + unpinned per second over one region,
 * per backing, through the same layout walk and frame table the kernel model
 * uses (512-page pin calls, runs from the physical layout), beside the floor:
 * a bare loop that increments one Int32 per page in a SharedArrayBuffer with
 * plain writes. MEASURED figures; the ratio is taken in the same run.
 */
import { Bench } from 'tinybench';
import { BACKINGS, HostMm, pinPages, unpinPages, type Backing } from '../host/index.js';

export interface PinBenchRow {
  impl: Backing | 'floor';
  pages: number;
  /** Pages pinned + unpinned per second (the floor: pages incremented twice per second). */
  pagesPerSec: number;
  rme: number;
  /** pagesPerSec / floor's pagesPerSec. */
  ofFloor: number;
}

export interface PinBenchOptions {
  regionBytes: number;
  backings: Backing[];
  timeMs: number;
  meanRun: number;
  onProgress?: (m: string) => void;
}

/** 64 GiB: the region size. */
export const defaultPinRegionBytes = 64 * 2 ** 30;

export function runPinBench(opts: PinBenchOptions): PinBenchRow[] {
  const pages = Math.floor(opts.regionBytes / 4096);
  const bench = new Bench({ time: opts.timeMs, iterations: 3, warmupIterations: 1, warmupTime: 0 });
  const floor = new Int32Array(new SharedArrayBuffer(pages * 4));
  // The floor does the same number of per-page writes: +1 then -1.
  bench.add('floor', () => {
    for (let i = 0; i < pages; i++) floor[i]++;
    for (let i = 0; i < pages; i++) floor[i]--;
  });
  for (const backing of opts.backings) {
    opts.onProgress?.(`preparing ${backing}`);
    const mm = new HostMm();
    const region = mm.mmap({ startPage: 2 ** 20, pages, backing, seed: 1, shared: false, meanRun: opts.meanRun });
    const c = mm.pinCounters;
    // 512-page calls, as vhost_vdpa_pa_map makes them.
    const walk = (pin: boolean) => {
      for (let call = 0; call < pages; call += 512) {
        const n = Math.min(512, pages - call);
        if (pin) pinPages(region, call, n, c);
        else unpinPages(region, call, n, true, c);
      }
    };
    bench.add(backing, () => {
      walk(true);
      walk(false);
    });
  }
  opts.onProgress?.('timing');
  bench.runSync();
  const rate = (name: string) => {
    const t = bench.tasks.find((x) => x.name === name)!;
    const r = t.result;
    if (r.state !== 'completed') throw new Error(`pin benchmark ${name} did not complete: ${r.state === 'errored' ? r.error.message : r.state}`);
    return { pagesPerSec: pages / (r.latency.mean / 1000), rme: r.latency.rme };
  };
  const f = rate('floor');
  return [
    { impl: 'floor', pages, ...f, ofFloor: 1 },
    ...opts.backings.map((b) => {
      const x = rate(b);
      return { impl: b, pages, ...x, ofFloor: x.pagesPerSec / f.pagesPerSec };
    }),
  ];
}

export { BACKINGS };
