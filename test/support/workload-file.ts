/**
 * A workload file in a new temp directory, for tests that run the CLI on one:
 * schema 1, seed 1, the default profile and no wall-clock samples unless the
 * test says otherwise. Returns the directory (for outputs beside it) and the file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function workloadFile(name: string, fields: { matrix: unknown } & Record<string, unknown>): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), `vdpa-lab-${name}-`));
  const path = join(dir, 'w.json');
  writeFileSync(path, JSON.stringify({ schema: 1, name, seed: 1, profile: 'default', measure: { samples: 0 }, ...fields }));
  return { dir, path };
}
