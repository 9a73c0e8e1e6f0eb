/** The gate as documented: simulator figures reported unless asked, --update rebases across a change, the workload's identity ignores formatting. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultsFile } from '../src/runner/index.js';
import { loadWorkload, PACKAGE_ROOT } from '../src/workload/index.js';
import { smallRun } from './support/results.js';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const base = await smallRun('gate-defaults', 5);

function variant(mut: (f: ResultsFile) => void): string {
  const f = structuredClone(base.file);
  mut(f);
  const p = join(tempDir('gate'), 'current.json');
  writeFileSync(p, JSON.stringify(f));
  return p;
}
const gate = (baseline: string, current: string, ...args: string[]) => spawnSync(process.execPath, [CLI, 'gate', '-b', baseline, '-c', current, ...args], { encoding: 'utf8', env: { ...process.env, GITHUB_STEP_SUMMARY: '' } });
const slower = () =>
  variant((f) => {
    for (const c of f.cells) if (c.simulator?.wallNs) c.simulator.wallNs.samples = c.simulator.wallNs.samples.map((s) => s * 10 + 1e6);
  });

test('simulator (wall-clock) figures are reported, not gated, unless --simulator gate (or its old name --measured)', () => {
  const current = slower();
  const byDefault = gate(base.path, current);
  assert.equal(byDefault.status, 0, byDefault.stdout);
  assert.match(byDefault.stdout, /### vdpa-lab gate: pass/);
  assert.match(byDefault.stdout, /Simulator \(the lab's wall clock\): [1-9]\d* regressed, 0 improved \(reported only, not gated\)/);
  const asked = gate(base.path, current, '--simulator', 'gate');
  assert.equal(asked.status, 1, asked.stdout);
  assert.match(asked.stdout, /### vdpa-lab gate: FAIL/);
  const oldName = gate(base.path, current, '--measured', 'gate');
  assert.equal(oldName.status, 1, oldName.stdout);
  // Both names at once: refused in one line, not one of them silently dropped.
  const both = gate(base.path, current, '--simulator', 'gate', '--measured', 'report');
  assert.equal(both.status, 2, both.stdout);
  assert.match(both.stderr, /--measured.*old name of --simulator/);
  assert.equal(both.stderr.split('\n').length, 2, 'one line');
});

test("the changed-workload refusal advises --update, and --update then rebases", () => {
  const dir = tempDir('gate');
  const baseline = join(dir, 'baseline.json');
  writeFileSync(baseline, readFileSync(base.path));
  const current = variant((f) => {
    f.provenance.workload.hash = 'f'.repeat(64);
    f.provenance.profiles.default = 'e'.repeat(64);
  });
  const refused = gate(baseline, current);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /rebase deliberately with --update/);
  assert.equal(refused.stderr.split('\n').length, 2, 'one line');
  const rebased = gate(baseline, current, '--update');
  assert.equal(rebased.status, 0, rebased.stderr);
  assert.match(rebased.stderr, /note: rebasing across a change: .*another workload/);
  assert.match(rebased.stderr, /baseline updated: /);
  assert.equal(readFileSync(baseline, 'utf8'), readFileSync(current, 'utf8'));
  assert.equal(gate(baseline, current).status, 0, 'the rebased baseline gates its own results');
});

test("a workload's identity is its canonical JSON: re-indenting and reordering keys keep it, a changed value does not", () => {
  const path = join(PACKAGE_ROOT, 'workloads/default.json');
  const raw = JSON.parse(readFileSync(path, 'utf8'));
  const dir = tempDir('hash');
  const flat = join(dir, 'flat.json');
  writeFileSync(flat, JSON.stringify(raw));
  const reordered = join(dir, 'reordered.json');
  writeFileSync(reordered, JSON.stringify(Object.fromEntries(Object.entries(raw).reverse()), null, 4));
  const changed = join(dir, 'changed.json');
  writeFileSync(changed, JSON.stringify({ ...raw, seed: raw.seed + 1 }, null, 2));
  const h = loadWorkload(path).hash;
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.equal(loadWorkload(flat).hash, h);
  assert.equal(loadWorkload(reordered).hash, h);
  assert.notEqual(loadWorkload(changed).hash, h);
});
