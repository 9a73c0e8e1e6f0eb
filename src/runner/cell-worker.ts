/**
 * The piscina worker: runs one cell per task. An error thrown by the
 * simulation becomes a `failed` result here; a crash or out-of-memory of the
 * worker itself is turned into one by the pool.
 */
import { toPlain } from '../errors.js';
import type { CostProfile } from '../cost/index.js';
import type { CellSpec } from '../workload/index.js';
import type { CellResult } from './cell-result.js';
import { failedResult } from './failed.js';
import { runCell } from './run-cell.js';

export interface CellTask {
  cell: CellSpec;
  profile: CostProfile;
  profileHash: string;
  samples: number;
  /** Tests only: make this cell's worker throw or die, to prove isolation. */
  sabotage?: 'throw' | 'exit' | 'oom';
}

export default async function runTask(task: CellTask): Promise<CellResult> {
  if (task.sabotage === 'exit') process.exit(3);
  if (task.sabotage === 'oom') {
    const hog: unknown[] = [];
    for (;;) hog.push(new Array(1e6).fill(hog.length));
  }
  try {
    if (task.sabotage === 'throw') throw new Error('sabotaged cell (test)');
    return await runCell(task.cell, task);
  } catch (e) {
    const p = toPlain(e);
    return failedResult(task.cell, task.profileHash, p.message);
  }
}
