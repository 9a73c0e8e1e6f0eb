/**
 * A workload file in a new temp directory, for tests that run the CLI on one:
 * schema 1, seed 1, the default profile and no wall-clock samples unless the
 * test says otherwise. Returns the directory (for outputs beside it) and the file.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp-dir.js';

export function workloadFile(name: string, fields: { matrix: unknown } & Record<string, unknown>): { dir: string; path: string } {
  const dir = tempDir(name);
  const path = join(dir, 'w.json');
  writeFileSync(path, JSON.stringify({ schema: 1, name, seed: 1, profile: 'default', measure: { samples: 0 }, ...fields }));
  return { dir, path };
}
