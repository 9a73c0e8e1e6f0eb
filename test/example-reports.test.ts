/**
 * The published example reports stay true: each is the report of a shipped
 * workload, so its modeled tables must be what the lab computes now. A model
 * change that moves a modeled figure fails here until the example is made
 * again with the lab's own commands (docs/reports.md says which).
 * Simulator figures (wall clock) differ per run and are not compared.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './support/probe.js';
import { tempDir } from './support/temp-dir.js';

const CLI = join(REPO, 'dist', 'src', 'cli', 'main.js');

/** The examples: published directory and the workload it reports. */
const EXAMPLES = [
  { dir: 'reports/example', workload: 'workloads/default.json' },
  { dir: 'reports/example-kernels', workload: 'workloads/kernel-versions.json' },
];

/** The modeled tables of a summary.md: each block of table rows after a "Modeled ..." line. */
function modeledTables(summary: string): string[] {
  const tables: string[] = [];
  const lines = summary.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('Modeled ')) continue;
    const rows: string[] = [lines[i]];
    let j = i + 1;
    while (j < lines.length && (lines[j] === '' || lines[j].startsWith('|'))) {
      if (lines[j].startsWith('|')) rows.push(lines[j]);
      else if (rows.length > 1) break;
      j++;
    }
    tables.push(rows.join('\n'));
  }
  return tables;
}

for (const { dir, workload } of EXAMPLES) {
  test(`${dir}/summary.md holds the modeled tables the lab computes now for ${workload}`, () => {
    const scratch = tempDir('example-report');
    execFileSync(process.execPath, [CLI, 'run', join(REPO, workload), '--samples', '0', '--out', join(scratch, 'run'), '--quiet'], { stdio: 'pipe' });
    execFileSync(process.execPath, [CLI, 'report', join(scratch, 'run', 'results.json'), '--out', join(scratch, 'report'), '--no-png', '--quiet'], { stdio: 'pipe' });
    const now = modeledTables(readFileSync(join(scratch, 'report', 'summary.md'), 'utf8'));
    const published = modeledTables(readFileSync(join(REPO, dir, 'summary.md'), 'utf8'));
    assert.ok(now.length >= 2, `the report has its modeled tables (found ${now.length})`);
    assert.deepEqual(published, now, `${dir} is stale: make it again with \`vdpa-lab run ${workload}\` and \`vdpa-lab report\` (docs/reports.md)`);
  });
}
