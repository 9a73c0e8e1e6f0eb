/** `vdpa-lab gate`: exact rules for modeled figures, Mann-Whitney + effect for simulator and real ones, clear refusals. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { compareResults, defaultGateConfig, mannWhitney, toleranceFor } from '../src/gate/index.js';
import type { ResultsFile } from '../src/runner/index.js';
import { smallRun } from './support/results.js';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const base = await smallRun('gate', 5);

function variant(mut: (f: ResultsFile) => void): string {
  const f = structuredClone(base.file);
  mut(f);
  const p = join(tempDir('gate'), 'current.json');
  writeFileSync(p, JSON.stringify(f));
  return p;
}
const gate = (current: string, ...args: string[]) => spawnSync(process.execPath, [CLI, 'gate', '--baseline', base.path, '--current', current, ...args], { encoding: 'utf8', env: { ...process.env, GITHUB_STEP_SUMMARY: '' } });
const okCell = (f: ResultsFile) => f.cells.find((c) => c.status === 'ok' && c.params.flow === 'workaround')!;

test('Mann-Whitney: exact small-sample p-values (checked against scipy) and the normal approximation', () => {
  assert.ok(Math.abs(mannWhitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).p - 2 / 252) < 1e-12);
  assert.ok(Math.abs(mannWhitney([1, 3, 5, 7, 9], [2, 4, 6, 8, 10]).p - 0.6904761904761905) < 1e-12);
  assert.equal(mannWhitney([1, 2, 3], [4, 5, 6]).p, 0.1);
  const big = mannWhitney(Array.from({ length: 30 }, (_, i) => i), Array.from({ length: 30 }, (_, i) => i + 10));
  assert.equal(big.method, 'normal');
  assert.ok(big.p > 1e-4 && big.p < 1e-3);
});

test('Mann-Whitney properties: p in (0, 1], symmetric, shift-invariant', () => {
  const sample = fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 12 });
  fc.assert(
    fc.property(sample, sample, fc.integer({ min: -100, max: 100 }), (x, y, k) => {
      const a = mannWhitney(x, y);
      const b = mannWhitney(y, x);
      const c = mannWhitney(x.map((v) => v + k), y.map((v) => v + k));
      return a.p > 0 && a.p <= 1 && Math.abs(a.p - b.p) < 1e-12 && Math.abs(a.p - c.p) < 1e-12;
    }),
  );
});

test('identical results pass (exit 0) and say so', () => {
  const r = gate(base.path);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /### vdpa-lab gate: pass/);
  assert.match(r.stdout, /Deterministic \(modeled\) changes: 0/);
});

test('a modeled figure that rises is a regression, one that falls an improvement: both fail, naming cell and metric', () => {
  const up = gate(variant((f) => (okCell(f).counters.pagesPinned += 1)));
  assert.equal(up.status, 1);
  assert.match(up.stdout, /\| mlx5 legacy qemu-10\.0 workaround 32MiB thp \| counters\.pagesPinned \| modeled \| .* \| regressed \| exact \(deterministic\) \|/);
  const down = gate(variant((f) => (okCell(f).modeled!.perResetNs! -= 1000)));
  assert.equal(down.status, 1);
  assert.match(down.stdout, /modeled\.perResetNs \| modeled \| .* \| improved \|/);
  const status = gate(variant((f) => (okCell(f).status = 'incorrect')));
  assert.match(status.stdout, /\| status \| modeled \| ok \| incorrect \| - \| regressed \|/);
});

test('a tolerance in the gate config absorbs a small modeled change, and says which pattern', () => {
  const cfgPath = join(tempDir('gate'), 'gate.json');
  writeFileSync(cfgPath, JSON.stringify({ tolerances: { 'modeled.*': 0.05, 'counters.pagesPinned': 0 } }));
  const cur = variant((f) => {
    const c = okCell(f);
    c.modeled!.perResetNs = Math.round(c.modeled!.perResetNs! * 1.01);
  });
  assert.equal(gate(cur, '--config', cfgPath).status, 0);
  assert.equal(gate(cur).status, 1);
  assert.deepEqual(toleranceFor({ ...defaultGateConfig(), tolerances: { 'modeled.*': 0.05, 'modeled.perResetNs': 0.5 } }, 'modeled.perResetNs'), { tolerance: 0.5, pattern: 'modeled.perResetNs' });
});

test('simulator figures: a clear slowdown regresses; a small or overlapping one is noise, with the rule that fired', () => {
  const cell = okCell(base.file);
  const at = base.file.cells.indexOf(cell);
  const withSamples = (k: (s: number, i: number) => number) => {
    const f = structuredClone(base.file);
    f.cells[at].simulator!.wallNs!.samples = cell.simulator!.wallNs!.samples.map(k);
    return f;
  };
  const cfg = defaultGateConfig();
  const max = Math.max(...cell.simulator!.wallNs!.samples);
  const slower = compareResults(base.file, withSamples((s) => s + 2 * max), cfg).rows.find((r) => r.kind === 'simulator' && r.cell === cell.label)!;
  assert.equal(slower.verdict, 'regressed');
  assert.match(slower.rule, /Mann-Whitney p=0\.0079 \(exact, n=5\+5\) < 0\.01 and median \+\d+/);
  // Fully separated (p = 0.0079) but only ~5% slower: the effect rule calls it noise.
  const sep = structuredClone(base.file);
  sep.cells[at].simulator!.wallNs!.samples = [100, 101, 102, 103, 104];
  const sepCur = structuredClone(sep);
  sepCur.cells[at].simulator!.wallNs!.samples = [105, 106, 107, 108, 109];
  const slight = compareResults(sep, sepCur, cfg).rows.find((r) => r.kind === 'simulator' && r.cell === cell.label)!;
  assert.equal(slight.verdict, 'noise');
  assert.match(slight.rule, /^noise: median \+4\.9% is below the 10% minimum effect \(p=0\.0079/);
  // Overlapping samples: Mann-Whitney finds no difference.
  const mixed = structuredClone(sepCur);
  mixed.cells[at].simulator!.wallNs!.samples = [99, 101.5, 102.5, 150, 90];
  const overlap = compareResults(sep, mixed, cfg).rows.find((r) => r.kind === 'simulator' && r.cell === cell.label)!;
  assert.equal(overlap.verdict, 'noise');
  assert.match(overlap.rule, /^noise: Mann-Whitney p=.* >= 0\.01/);
  const r = gate(variant((f) => (f.cells[at].simulator!.wallNs!.samples = cell.simulator!.wallNs!.samples.map((s) => s + 2 * max))), '--simulator', 'report');
  assert.equal(r.status, 0, 'simulator figures only report in --simulator report mode');
  assert.match(r.stdout, /1 regressed, 0 improved \(reported only, not gated\)/);
});

test('unlike runs are refused with exit 2: another workload, another profile, missing cells, bad files', () => {
  const other = gate(variant((f) => (f.provenance.workload.hash = 'f'.repeat(64))));
  assert.equal(other.status, 2);
  assert.match(other.stderr, /was run from another workload than the baseline/);
  const prof = gate(variant((f) => (f.provenance.profiles.default = 'e'.repeat(64))));
  assert.equal(prof.status, 2);
  assert.match(prof.stderr, /cost profile "default" differs/);
  const missing = gate(variant((f) => f.cells.pop()));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /: cells: differ from the baseline's: 1 only in the baseline: /);
  const bad = variant(() => {});
  writeFileSync(bad, '{"schema": "vdpa-lab/results@1", "provenance": {}');
  assert.equal(gate(bad).status, 2);
});

for (const version of ['@1', '@2']) test(`--update with a results${version} current file writes the baseline as @3 (the schema every command writes)`, () => {
  const dir = tempDir('gate');
  const baseline = join(dir, 'baseline.json');
  writeFileSync(baseline, readFileSync(base.path));
  const now = JSON.parse(readFileSync(base.path, 'utf8'));
  const old = version === '@1' ? { ...now, schema: 'vdpa-lab/results@1', cells: now.cells.map(({ simulator, ...c }: Record<string, unknown>) => ({ ...c, measured: simulator })) } : { ...now, schema: 'vdpa-lab/results@2' };
  const current = join(dir, 'v1.json');
  writeFileSync(current, JSON.stringify(old));
  const r = spawnSync(process.execPath, [CLI, 'gate', '-b', baseline, '-c', current, '--update'], { encoding: 'utf8', env: { ...process.env, GITHUB_STEP_SUMMARY: '' } });
  assert.equal(r.status, 0, r.stderr);
  const written = JSON.parse(readFileSync(baseline, 'utf8'));
  assert.equal(written.schema, 'vdpa-lab/results@3');
  assert.deepEqual(written.cells.map((c: Record<string, unknown>) => c.simulator), now.cells.map((c: Record<string, unknown>) => c.simulator));
  assert.ok(written.cells.every((c: Record<string, unknown>) => !('measured' in c)));
  assert.equal(gate(baseline).status, 0, 'the rebased baseline gates like the file it came from');
});

test('--update replaces the baseline atomically; GITHUB_STEP_SUMMARY gets the verdict', () => {
  const dir = tempDir('gate');
  const baseline = join(dir, 'baseline.json');
  writeFileSync(baseline, readFileSync(base.path));
  const current = variant((f) => (okCell(f).counters.pagesPinned += 1));
  const summary = join(dir, 'summary.md');
  const r = spawnSync(process.execPath, [CLI, 'gate', '-b', baseline, '-c', current, '--update'], { encoding: 'utf8', env: { ...process.env, GITHUB_STEP_SUMMARY: summary } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(baseline, 'utf8'), readFileSync(current, 'utf8'));
  assert.match(readFileSync(summary, 'utf8'), /### vdpa-lab gate: FAIL/);
});
