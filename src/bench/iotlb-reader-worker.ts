/**
 * A `bench iotlb --readers` reader: attaches to the main thread's RadixIotlb
 * and, for each phase the main thread starts, translates pages from a shared
 * array of random probes (cold: spread over the whole table) until the stop
 * flag is raised. Every bench entry maps page p to page p + 7, so each hit
 * is checked on its own: a torn read would break it.
 * Runs as compiled JS (dist/src/bench/iotlb-reader-worker.js).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { IotlbReader, type IotlbHandle } from '../iotlb/index.js';

export interface ReaderInput {
  handle: IotlbHandle;
  /** [0]: stop flag of the current phase. */
  control: SharedArrayBuffer;
  /** Float64 probe pages. */
  probes: SharedArrayBuffer;
  /** Where in the probes this reader starts. */
  start: number;
}

export interface ReaderPhaseResult {
  lookups: number;
  hits: number;
  retries: number;
  invalid: number;
  ms: number;
}

/** Lookups between reads of the stop flag. */
const CHUNK = 1024;
const TARGET_DELTA = 7;

const { handle, control, probes, start } = workerData as ReaderInput;
const stop = new Int32Array(control);
const pages = new Float64Array(probes);
const reader = IotlbReader.attach(handle);
let at = start % pages.length;

const outPages = new Float64Array(CHUNK);
const outOffs = new Int32Array(CHUNK);
const outPerms = new Uint8Array(CHUNK);

/** translatePage, one seqlock round per lookup. */
function phasePerPage(): ReaderPhaseResult {
  const retriesBefore = reader.retries;
  let lookups = 0;
  let hits = 0;
  let invalid = 0;
  const t0 = performance.now();
  while (Atomics.load(stop, 0) === 0) {
    const end = Math.min(at + CHUNK, pages.length);
    for (let i = at; i < end; i++) {
      const page = pages[i];
      if (reader.translatePage(page, 0x123) === 0) continue;
      hits++;
      if (reader.outPage !== page + TARGET_DELTA || reader.outOff !== 0x123) invalid++;
    }
    lookups += end - at;
    at = end === pages.length ? 0 : end;
  }
  return { lookups, hits, retries: reader.retries - retriesBefore, invalid, ms: performance.now() - t0 };
}

/** translatePages: one seqlock round per section of lookups. */
function phaseBatched(): ReaderPhaseResult {
  const retriesBefore = reader.retries;
  let lookups = 0;
  let hits = 0;
  let invalid = 0;
  const t0 = performance.now();
  while (Atomics.load(stop, 0) === 0) {
    const end = Math.min(at + CHUNK, pages.length);
    hits += reader.translatePages(pages, at, end, 0x123, outPages, outOffs, outPerms);
    for (let i = at; i < end; i++) {
      const p = outPages[i - at];
      if (p !== -1 && (p !== pages[i] + TARGET_DELTA || outOffs[i - at] !== 0x123)) invalid++;
    }
    lookups += end - at;
    at = end === pages.length ? 0 : end;
  }
  return { lookups, hits, retries: reader.retries - retriesBefore, invalid, ms: performance.now() - t0 };
}

parentPort!.on('message', (m: 'per-page' | 'batched' | 'exit') => {
  if (m === 'exit') {
    parentPort!.close();
    return;
  }
  parentPort!.postMessage(m === 'batched' ? phaseBatched() : phasePerPage());
});
