/**
 * Runs cells on a piscina pool, one cell per task, handing each result to
 * `onResult` as soon as it lands. A worker that throws, exits or runs out of
 * memory fails only its own cell: piscina replaces the worker and the other
 * cells go on.
 */
import { availableParallelism } from 'node:os';
import { lazyRequire } from '../lazy-require.js';
import type { CellResult } from './cell-result.js';
import type { CellTask } from './cell-worker.js';
import { failedResult } from './failed.js';

/** piscina loads when a pool starts, not when the package is imported. */
const piscina = lazyRequire<typeof import('piscina')>('piscina');

export interface PoolOptions {
  threads?: number;
  /** Heap limit per worker (MiB); a cell beyond it fails alone. */
  maxOldGenerationSizeMb?: number;
  onResult: (r: CellResult) => void;
}

export function defaultThreads(): number {
  return availableParallelism();
}

/**
 * Threads per core past which --threads is refused. Cells are CPU-bound, so
 * threads beyond the cores only take turns on them (no speed-up), while each
 * worker may hold its own heap of up to maxOldGenerationSizeMb (2 GiB by
 * default) plus its guest's frame tables: 1,000 threads asked for on 2 cores
 * would exhaust memory long before they finished faster. A small
 * oversubscription stays allowed (a CI runner whose core count differs from
 * the laptop the flag was written on).
 */
export const MAX_THREADS_PER_CORE = 4;

/** Why `threads` is refused on this machine, or null if it is fine. */
export function threadsProblem(threads: number, cores = availableParallelism()): string | null {
  const max = cores * MAX_THREADS_PER_CORE;
  if (threads <= max) return null;
  return `${threads} is far above this machine's ${cores} cores: at most ${max} (${MAX_THREADS_PER_CORE} per core); cells are CPU-bound, so threads past the cores only share them, and each worker holds its own heap`;
}

export async function runPool(tasks: CellTask[], opts: PoolOptions): Promise<void> {
  // The pool never needs more workers than tasks (the rest would idle).
  const threads = Math.max(1, Math.min(opts.threads ?? defaultThreads(), tasks.length));
  const { Piscina } = piscina();
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
