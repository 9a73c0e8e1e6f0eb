/**
 * Runs cells on a piscina pool, one cell per task, handing each result to
 * `onResult` as soon as it lands. A worker that throws, exits or runs out of
 * memory fails only its own cell: piscina replaces the worker and the other
 * cells go on.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { CellResult } from './cell-result.js';
import type { CellTask } from './cell-worker.js';
import { failedResult } from './failed.js';

export interface PoolOptions {
  threads?: number;
  /** Heap limit per worker (MiB); a cell beyond it fails alone. */
  maxOldGenerationSizeMb?: number;
  onResult: (r: CellResult) => void;
}

export function defaultThreads(): number {
  return availableParallelism();
}

export async function runPool(tasks: CellTask[], opts: PoolOptions): Promise<void> {
  const threads = Math.max(1, opts.threads ?? defaultThreads());
  const pool = new Piscina({
    filename: new URL('./cell-worker.js', import.meta.url).href,
    minThreads: Math.min(threads, tasks.length),
    maxThreads: threads,
    idleTimeout: 1000,
    resourceLimits: { maxOldGenerationSizeMb: opts.maxOldGenerationSizeMb ?? 2048 },
  });
  try {
    await Promise.all(
      tasks.map((t) =>
        pool.run(t).then(
          (r: CellResult) => opts.onResult(r),
          (e: Error) => opts.onResult(failedResult(t.cell, t.profileHash, `worker died: ${e.message}`)),
        ),
      ),
    );
  } finally {
    await pool.destroy();
  }
}
