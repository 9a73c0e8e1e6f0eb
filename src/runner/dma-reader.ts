/**
 * A DMA reader: a worker thread that plays the device, translating random
 * guest IOVAs through device 0's view (ASID 0) while the VMM thread resets
 * and remaps. It attaches to the view's SharedArrayBuffers, so what it sees
 * is what the writer published at that instant. A miss is a failed DMA: the
 * device has no translation for guest RAM vhost has mapped (a wiped view, or
 * the gap between INVALIDATE and UPDATE). Counts are MEASURED: they depend
 * on thread timing, unlike the modeled blackout.
 */
import { workerData } from 'node:worker_threads';
import { IotlbReader, type IotlbHandle } from '../iotlb/index.js';

export interface DmaReaderInput {
  handle: IotlbHandle;
  /** Guest IOVA ranges in pages: [startPage, pages] pairs. */
  ranges: number[];
  /** [0]: stop flag, [1]: started count (each reader adds 1 once attached). */
  control: SharedArrayBuffer;
  /** Per reader: [translations, failures]. */
  out: SharedArrayBuffer;
  index: number;
  seed: number;
}

const input = workerData as DmaReaderInput;
const control = new Int32Array(input.control);
const out = new Float64Array(input.out);
const reader = IotlbReader.attach(input.handle);
const ranges = input.ranges;
const totalPages = ranges.reduce((s, v, i) => (i % 2 ? s + v : s), 0);
let x = input.seed >>> 0 || 1;
let translations = 0;
let failures = 0;
Atomics.add(control, 1, 1);
while (Atomics.load(control, 0) === 0) {
  for (let k = 0; k < 1024; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    let p = (x >>> 0) % totalPages;
    let r = 0;
    while (p >= ranges[r + 1]) {
      p -= ranges[r + 1];
      r += 2;
    }
    if (reader.translatePage(ranges[r] + p, 0) === 0) failures++;
    translations++;
  }
}
out[2 * input.index] = translations;
out[2 * input.index + 1] = failures;
