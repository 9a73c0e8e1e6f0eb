/** A real results file from a small run, for report and gate tests (no hand-written figures). */
import { join } from 'node:path';
import { runWorkload, type ResultsFile } from '../../src/runner/index.js';
import { parseWorkload } from '../../src/workload/index.js';
import { tempDir } from './temp-dir.js';

export async function smallRun(name = 'small', samples = 5): Promise<{ path: string; file: ResultsFile; dir: string }> {
  const raw = {
    schema: 1,
    name,
    measure: { samples },
    matrix: {
      guest: { ram: ['32MiB', '128MiB'] },
      devices: { parent: ['mlx5', 'vdpa_sim'], queuePairs: 1 },
      kernel: ['legacy', 'reset-map'],
      flow: ['workaround', 'persist', 'naive'],
      events: ['boot', 'guest-reset*2', 'close'],
    },
  };
  const { workload, cells } = parseWorkload(raw, `${name}.json`);
  const dir = tempDir('results');
  const file = await runWorkload({ path: `${name}.json`, hash: `hash-of-${name}`, workload, cells }, { out: dir, threads: 2 });
  return { path: join(dir, 'results.json'), file, dir };
}
