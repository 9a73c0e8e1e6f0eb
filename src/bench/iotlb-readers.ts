/**
 * `bench iotlb --readers N`: N worker threads translating cold (random
 * pages over a whole dense table) through IotlbReader, the seqlocked view the
 * lab's DMA readers use. Per round, three phases of the same length:
 * - writer alone: the owning thread's own cold translate (the reference);
 * - readers, writer idle: what the seqlock read path costs a reader;
 * - readers, writer busy: the writer unmaps and maps random pages meanwhile
 *   (one seqlocked delete, one published insert each); readers retry the
 *   lookups that raced a write.
 * Each reader phase runs twice: per page (translatePage, one seqlock round
 * per lookup) and batched (translatePages, one round per 64 lookups).
 * Each figure is the median round. Every hit is checked (page p -> p + 7).
 */
import { Worker } from 'node:worker_threads';
import { RadixIotlb } from '../iotlb/index.js';
import { XorShift32 } from './rng.js';
import { fmtRate, textTable } from '../text-format.js';
import type { ReaderPhaseResult } from './iotlb-reader-worker.js';

export interface ReadersOptions {
  readers: number;
  entries: number;
  /** Length of each phase, ms. */
  phaseMs: number;
  rounds: number;
  seed: number;
  onProgress?: (m: string) => void;
}

export interface ReadersRow {
  phase: 'writer-alone' | 'readers-writer-idle' | 'readers-writer-busy';
  /** How readers translate (the writer: per page, no seqlock). */
  mode: 'per-page' | 'batched';
  /** Reader index (-1: the writer thread). */
  thread: number;
  translatesPerSec: number;
  /** Seqlock retries per 1,000 lookups. */
  retriesPerK: number;
  retries: number;
  /** The writer's unmap+map pairs per second (busy phase only). */
  writerOpsPerSec: number | null;
  /** Hits that translated wrong: must be 0. */
  invalid: number;
  /** Median over rounds of this thread's rate over the same round's writer-alone rate (the machine drifts between rounds). */
  ofWriter: number;
}

const TARGET_DELTA = 7;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runReadersBench(o: ReadersOptions): Promise<ReadersRow[]> {
  const say = o.onProgress ?? (() => {});
  const n = o.entries;
  say(`readers: building ${n} entries`);
  const tree = new RadixIotlb();
  for (let p = 0; p < n; p++) tree.addPages(p, 1, p + TARGET_DELTA, 3);
  const rng = new XorShift32(o.seed ^ 0x2545f491);
  const probeSab = new SharedArrayBuffer(n * 8);
  const probes = new Float64Array(probeSab);
  for (let i = 0; i < n; i++) probes[i] = rng.below(n);
  const control = new SharedArrayBuffer(4);
  const stop = new Int32Array(control);
  const workers = Array.from(
    { length: o.readers },
    (_, k) => new Worker(new URL('./iotlb-reader-worker.js', import.meta.url), { workerData: { handle: tree.handle, control, probes: probeSab, start: Math.floor((k + 1) * (n / (o.readers + 1))) } }),
  );
  const runPhase = async (busy: boolean, mode: ReadersRow['mode']): Promise<{ results: ReaderPhaseResult[]; writerOps: number; ms: number }> => {
    Atomics.store(stop, 0, 0);
    const results = Promise.all(
      workers.map(
        (w) =>
          new Promise<ReaderPhaseResult>((resolve, reject) => {
            w.once('error', reject);
            w.once('message', (m: ReaderPhaseResult) => {
              w.off('error', reject);
              resolve(m);
            });
            w.postMessage(mode);
          }),
      ),
    );
    let writerOps = 0;
    const t0 = performance.now();
    if (busy) {
      // Yield once so the workers see the message, then write until the phase ends.
      await sleep(0);
      let at = 0;
      while (performance.now() - t0 < o.phaseMs) {
        for (let k = 0; k < 256; k++) {
          const p = probes[at];
          at = at + 1 === n ? 0 : at + 1;
          tree.deleteParts(p, 0, p, 4095);
          tree.addPages(p, 1, p + TARGET_DELTA, 3);
        }
        writerOps += 256;
      }
    } else {
      await sleep(o.phaseMs);
    }
    const ms = performance.now() - t0;
    Atomics.store(stop, 0, 1);
    return { results: await results, writerOps, ms };
  };
  const writerAlone = (cursor: number): { rate: number; cursor: number } => {
    let lookups = 0;
    let hits = 0;
    let at = cursor;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < o.phaseMs) {
      const end = Math.min(at + 1024, n);
      // The same check of each answer as the readers make (page p -> p + 7), so both loops do the same work.
      for (let i = at; i < end; i++) if (tree.translatePage(probes[i], 0x123) !== 0 && tree.outPage === probes[i] + TARGET_DELTA && tree.outOff === 0x123) hits++;
      lookups += end - at;
      at = end === n ? 0 : end;
      t = performance.now();
    }
    if (hits !== lookups) throw new Error(`internal: the writer got ${lookups - hits} of its own mapped pages wrong`);
    return { rate: lookups / ((t - t0) / 1000), cursor: at };
  };

  const rounds: ReadersRow[][] = [];
  try {
    say('readers: warming up');
    await runPhase(false, 'per-page');
    await runPhase(false, 'batched');
    let cursor = 0;
    for (let round = 1; round <= o.rounds; round++) {
      say(`readers: round ${round}/${o.rounds}`);
      const rows: ReadersRow[] = [];
      const alone = writerAlone(cursor);
      cursor = alone.cursor;
      rows.push({ phase: 'writer-alone', mode: 'per-page', thread: -1, translatesPerSec: alone.rate, retriesPerK: 0, retries: 0, writerOpsPerSec: null, invalid: 0, ofWriter: 1 });
      for (const [busy, mode] of [
        [false, 'per-page'],
        [false, 'batched'],
        [true, 'per-page'],
        [true, 'batched'],
      ] as const) {
        const r = await runPhase(busy, mode);
        r.results.forEach((x, k) =>
          rows.push({
            phase: busy ? 'readers-writer-busy' : 'readers-writer-idle',
            mode,
            thread: k,
            translatesPerSec: x.lookups / (x.ms / 1000),
            retriesPerK: (1000 * x.retries) / Math.max(1, x.lookups),
            retries: x.retries,
            writerOpsPerSec: busy ? r.writerOps / (r.ms / 1000) : null,
            invalid: x.invalid,
            ofWriter: (x.lookups / (x.ms / 1000)) / alone.rate,
          }),
        );
      }
      rounds.push(rows);
    }
  } finally {
    for (const w of workers) w.postMessage('exit');
    await Promise.all(workers.map((w) => w.terminate()));
  }
  // Per row position, the round with the median rate; invalid answers are summed over all rounds.
  return rounds[0].map((_, k) => {
    const all = rounds.map((r) => r[k]);
    const byRate = [...all].sort((a, b) => a.translatesPerSec - b.translatesPerSec);
    const ratios = all.map((r) => r.ofWriter).sort((a, b) => a - b);
    return { ...byRate[(byRate.length - 1) >> 1], invalid: all.reduce((s, r) => s + r.invalid, 0), ofWriter: ratios[(ratios.length - 1) >> 1] };
  });
}

/** The readers table, and #14's target: a reader's cold translate (writer idle) within 20% of the writer's own. */
export function renderReadersTable(rows: ReadersRow[], o: ReadersOptions): string {
  const body = rows.map((r) => [
    r.phase,
    r.mode,
    r.thread < 0 ? 'writer' : `reader ${r.thread}`,
    fmtRate(r.translatesPerSec),
    r.thread < 0 ? '-' : `${r.retries} (${r.retriesPerK.toFixed(2)}/1K)`,
    r.writerOpsPerSec === null ? '-' : `${fmtRate(r.writerOpsPerSec)} unmap+map`,
    r.thread < 0 ? '1.00x' : `${r.ofWriter.toFixed(2)}x`,
    String(r.invalid),
  ]);
  const table = textTable(['phase', 'mode', 'thread', 'cold translate', 'seqlock retries', 'writer', 'of writer (median of rounds)', 'wrong answers'], body);
  const verdict = (mode: ReadersRow['mode']) => {
    const idle = rows.filter((r) => r.phase === 'readers-writer-idle' && r.mode === mode);
    const worst = Math.min(...idle.map((r) => r.ofWriter));
    const met = worst >= 0.8;
    return `Target (#14): ${met ? 'met ' : 'MISS'}  slowest reader, ${mode}, writer idle: ${worst.toFixed(2)}x the writer's own cold translate in the same round (median of rounds; >= 0.8x)`;
  };
  return [
    `Measured: ${o.readers} reader thread(s), ${o.entries} dense one-page entries, random probes over the whole table, ${o.phaseMs} ms per phase, median of ${o.rounds} rounds. Retries: seqlock rounds redone (per page: each spin while a write is open counts).`,
    table,
    `${verdict('per-page')}\n${verdict('batched')}`,
  ].join('\n\n') + '\n';
}
