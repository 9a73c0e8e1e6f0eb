import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { RadixIotlb } from '../src/iotlb/index.js';

const PAGES = 4096; // the IOVA window readers probe
const BLOCK = 64; // pages the writer remaps at a time
const ROUNDS = 40;
/** On a loaded machine readers may start late: keep writing (up to this many rounds) until they made MIN_LOOKUPS. */
const MAX_ROUNDS = 2000;
const MIN_LOOKUPS = 20_000;
const READERS = 2;

interface ReaderReport {
  hits: number;
  misses: number;
  invalid: number;
  firstInvalid: string;
  retries: number;
  seqThroughWasm: boolean;
}

test('readers in other workers only ever see a mapping that was valid at some instant', async () => {
  // Small initial capacity so the buffers grow while readers are attached.
  const tree = new RadixIotlb({ initialEntries: 16 });
  // [0]: stop flag; [1]: lookups the readers have made so far.
  const stop = new SharedArrayBuffer(8);
  const workers = Array.from(
    { length: READERS },
    (_, i) =>
      new Worker(new URL('./support/iotlb-reader-worker.js', import.meta.url), {
        workerData: { handle: tree.handle, stop, pages: PAGES, seed: 0x9e3779b9 + i },
      }),
  );
  const reports = workers.map(
    (w) =>
      new Promise<ReaderReport>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      }),
  );
  await new Promise((r) => setTimeout(r, 50)); // let the readers start

  let x = 12345;
  const rand = (n: number) => {
    x = (x * 1103515245 + 12345) >>> 0;
    return x % n;
  };
  const progress = new Int32Array(stop);
  for (let round = 1; round <= MAX_ROUNDS && (round <= ROUNDS || Atomics.load(progress, 1) < MIN_LOOKUPS); round++) {
    const delta = BigInt(round) << 36n;
    for (let b = 0; b < PAGES / BLOCK; b++) {
      const start = BigInt(b * BLOCK) << 12n;
      const end = start + (BigInt(BLOCK) << 12n); // exclusive
      tree.delRange(start, end - 1n);
      // Re-map the block as random byte-granular pieces (buckets, splits),
      // as one entry, or page by page (whole-page entries: the insert that
      // publishes by one slot store, without a seqlock round); every piece
      // keeps addr - iova == round << 36.
      const shape = rand(3);
      let at = start;
      while (at < end) {
        const len = shape === 0 ? end - at : shape === 1 ? 4096n : BigInt(1 + rand(3 * 4096));
        const last = at + len - 1n < end - 1n ? at + len - 1n : end - 1n;
        tree.addRange(at, last, at + delta, round % 4);
        at = last + 1n;
      }
    }
    await new Promise((r) => setImmediate(r));
  }
  Atomics.store(new Int32Array(stop), 0, 1);
  const results = await Promise.all(reports);
  await Promise.all(workers.map((w) => w.terminate()));

  const total = results.reduce((s, r) => s + r.hits + r.misses, 0);
  assert.ok(total > 10_000, `readers made only ${total} lookups`);
  assert.ok(results.some((r) => r.hits > 0), 'readers never hit a mapping');
  for (const r of results) assert.equal(r.invalid, 0, `invalid translation: ${r.firstInvalid}`);
  // The readers read SEQ through the wasm atomic load that replaced Atomics.load (seqlock.ts), so this test covers it.
  for (const r of results) assert.equal(r.seqThroughWasm, true);
});
