/**
 * Stress-test reader: attaches to a RadixIotlb owned by the main thread and
 * translates pseudo-random addresses until told to stop. Every mapping the
 * writer makes satisfies addr - iova == round * 2^36 and perm == round % 4, so
 * each answer can be checked on its own: a torn or half-inserted read breaks it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { IotlbReader, type IotlbHandle } from '../../src/iotlb/index.js';

interface Input {
  handle: IotlbHandle;
  stop: SharedArrayBuffer;
  pages: number;
  seed: number;
}

const { handle, stop, pages, seed } = workerData as Input;
const stopFlag = new Int32Array(stop);
const reader = IotlbReader.attach(handle);
let x = seed >>> 0 || 1;
let hits = 0;
let misses = 0;
let invalid = 0;
let firstInvalid = '';
const ROUND_PAGES = 2 ** 24; // 2^36 bytes

const check = (page: number, off: number, outPage: number, outOff: number, outPerm: number, how: string) => {
  hits++;
  const delta = outPage - page;
  const round = delta / ROUND_PAGES;
  if (!(Number.isInteger(round) && round >= 1 && outOff === off && outPerm === round % 4)) {
    invalid++;
    if (!firstInvalid) firstInvalid = `${how}: page ${page} off ${off} -> page ${outPage} off ${outOff} perm ${outPerm}`;
  }
};
const probes = new Float64Array(256);
const outPages = new Float64Array(256);
const outOffs = new Int32Array(256);
const outPerms = new Uint8Array(256);
let batched = false;

while (Atomics.load(stopFlag, 0) === 0) {
  // Every other chunk through translatePages (sections of 64 lookups), at one offset per chunk.
  batched = !batched;
  const chunkOff = (x >>> 9) & 4095;
  for (let k = 0; k < 256; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const page = (x >>> 0) % pages;
    const off = (x >>> 7) & 4095;
    if (batched) {
      probes[k] = page;
      continue;
    }
    if (!reader.translatePage(page, off)) {
      misses++;
      continue;
    }
    check(page, off, reader.outPage, reader.outOff, reader.outPerm, 'translatePage');
  }
  if (batched) {
    reader.translatePages(probes, 0, 256, chunkOff, outPages, outOffs, outPerms);
    for (let k = 0; k < 256; k++) {
      if (outPages[k] === -1) misses++;
      else check(probes[k], chunkOff, outPages[k], outOffs[k], outPerms[k], 'translatePages');
    }
  }
  // Tell the writer how far the readers got, so it keeps writing until they have looked enough.
  Atomics.add(stopFlag, 1, 256);
}
parentPort!.postMessage({ hits, misses, invalid, firstInvalid, retries: reader.retries, seqThroughWasm: reader.seqThroughWasm });
