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

while (Atomics.load(stopFlag, 0) === 0) {
  for (let k = 0; k < 256; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const page = (x >>> 0) % pages;
    const off = (x >>> 7) & 4095;
    if (!reader.translatePage(page, off)) {
      misses++;
      continue;
    }
    hits++;
    const delta = reader.outPage - page;
    const round = delta / ROUND_PAGES;
    if (!(Number.isInteger(round) && round >= 1 && reader.outOff === off && reader.outPerm === round % 4)) {
      invalid++;
      if (!firstInvalid) firstInvalid = `page ${page} off ${off} -> page ${reader.outPage} off ${reader.outOff} perm ${reader.outPerm}`;
    }
  }
  // Tell the writer how far the readers got, so it keeps writing until they have looked enough.
  Atomics.add(stopFlag, 1, 256);
}
parentPort!.postMessage({ hits, misses, invalid, firstInvalid, retries: reader.retries });
