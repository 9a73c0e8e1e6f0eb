/**
 * The native reference of `bench iotlb`'s cold rows: native/bench/iotlb-ref.c,
 * a plain C radix tree with the lab's geometry, compiled at bench time with
 * `gcc -O2` into a temp dir (skipped, with one line saying why, when there is
 * no compiler). It reads the same keys and probe order from a file the bench
 * writes and prints its timings as JSON. It always builds all n entries and
 * runs every probe: it is the speed-of-memory row, not a budgeted one.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ColdInputs, ColdMeasured } from './iotlb-bench-types.js';

/** The reference's source (from dist/src/bench/ or src/bench/, three levels up). */
const SOURCE = fileURLToPath(new URL('../../../native/bench/iotlb-ref.c', import.meta.url));
const MAGIC = 0x31544c544f49n;

export interface NativeRef {
  binary: string;
  dir: string;
  inputFiles: WeakMap<ColdInputs, string>;
  written: number;
}

/** Compiles the reference; returns it, or a one-line reason it is skipped. */
export function buildNativeRef(): NativeRef | string {
  const source = existsSync(SOURCE) ? SOURCE : path.resolve('native/bench/iotlb-ref.c');
  if (!existsSync(source)) return `native-c skipped: ${source} not found`;
  const cc = ['gcc', 'cc'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);
  if (!cc) return 'native-c skipped: no C compiler (gcc or cc) on PATH';
  const dir = mkdtempSync(path.join(tmpdir(), 'vdpa-lab-iotlb-ref-'));
  const binary = path.join(dir, 'iotlb-ref');
  try {
    execFileSync(cc, ['-O2', '-o', binary, source], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const why = (e as { stderr?: Buffer }).stderr?.toString().split('\n')[0] ?? String(e);
    return `native-c skipped: ${cc} -O2 failed: ${why}`;
  }
  return { binary, dir, inputFiles: new WeakMap(), written: 0 };
}

/** Removes the temp dir (binary and input files) the reference was built in. */
export function disposeNativeRef(ref: NativeRef): void {
  rmSync(ref.dir, { recursive: true, force: true });
}

function inputFile(ref: NativeRef, inputs: ColdInputs): string {
  const known = ref.inputFiles.get(inputs);
  if (known) return known;
  const n = inputs.mapped.length;
  const arrays = [inputs.mapped, inputs.order, inputs.hits, inputs.misses, inputs.order];
  const words = new BigUint64Array(6 + arrays.reduce((s, a) => s + a.length, 0));
  words.set([MAGIC, 1n, BigInt(n), BigInt(inputs.hits.length), BigInt(inputs.misses.length), BigInt(n)]);
  let at = 6;
  for (const a of arrays) for (let i = 0; i < a.length; i++) words[at++] = BigInt(a[i]);
  const file = path.join(ref.dir, `input-${ref.written++}.bin`);
  writeFileSync(file, new Uint8Array(words.buffer));
  ref.inputFiles.set(inputs, file);
  return file;
}

interface NativeOutput {
  bytesPerEntry: number;
  insertIovaOrderNs: number;
  insertRandomOrderNs: number;
  translateHitNs: number;
  translateMissNs: number;
  deleteNs: number;
}

/** One round of the reference over `inputs` (all n entries, every probe). */
export function runNativeRound(ref: NativeRef, inputs: ColdInputs): { rows: ColdMeasured[]; bytesPerEntry: number } {
  const r = spawnSync(ref.binary, [inputFile(ref, inputs)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`native iotlb reference failed (status ${r.status}): ${r.stderr.trim()}`);
  const out = JSON.parse(r.stdout) as NativeOutput;
  const n = inputs.mapped.length;
  const row = (op: ColdMeasured['op'], ns: number, ops: number): ColdMeasured => ({ op, opsPerSec: 1e9 / ns, ops });
  return {
    bytesPerEntry: out.bytesPerEntry,
    rows: [
      // Each round is a new process: its builds are in fresh memory (iotlb-cold.ts).
      row('insert-iova-order-fresh', out.insertIovaOrderNs, n),
      row('insert-random-order-fresh', out.insertRandomOrderNs, n),
      row('translate-hit', out.translateHitNs, inputs.hits.length),
      row('translate-miss', out.translateMissNs, inputs.misses.length),
      row('delete', out.deleteNs, n),
    ],
  };
}
