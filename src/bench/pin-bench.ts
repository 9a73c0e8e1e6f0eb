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
  /**
   * A backing, the floor, or 'floor-4k-order': the floor's bare loop over
   * the frames in the order a 4k region's pages map to them (the best any
   * pinning in that physical layout can do; a reference, not a target).
   */
  impl: Backing | 'floor' | 'floor-4k-order';
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
    if (backing === '4k' && region.layout.singlePageRuns) {
      // The same bare per-page loop, visiting frames in the 4k layout's order:
      // how much of the gap to the floor the scattered layout alone explains.
      const layout = region.layout;
      const cp = layout.chunkPages;
      const frames = new Int32Array(new SharedArrayBuffer(region.framePages * 4));
      bench.add('floor-4k-order', () => {
        for (let idx = 0; idx < pages; idx += cp) {
          const top = layout.frameOf(idx);
          for (let f = top; f > top - Math.min(cp, pages - idx); f--) frames[f]++;
        }
        for (let idx = 0; idx < pages; idx += cp) {
          const top = layout.frameOf(idx);
          for (let f = top; f > top - Math.min(cp, pages - idx); f--) frames[f]--;
        }
      });
    }
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
  const reference = bench.tasks.some((t) => t.name === 'floor-4k-order') ? rate('floor-4k-order') : undefined;
  return [
    { impl: 'floor', pages, ...f, ofFloor: 1 },
    ...(reference ? [{ impl: 'floor-4k-order' as const, pages, ...reference, ofFloor: reference.pagesPerSec / f.pagesPerSec }] : []),
    ...opts.backings.map((b) => {
      const x = rate(b);
      return { impl: b, pages, ...x, ofFloor: x.pagesPerSec / f.pagesPerSec };
    }),
  ];
}

export { BACKINGS };
