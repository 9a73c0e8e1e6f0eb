/** Exports in the formats other tools take, the gate's JUnit verdict, and '-' for stdin. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportRuns, labelRuns } from '../src/report/index.js';
import type { ResultsFile } from '../src/runner/index.js';
import { isJunitVerdict, junitXml } from '../src/gate/index.js';
import { smallRun } from './support/results.js';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const run = await smallRun('export', 3);
const runs = labelRuns([run.path]);

test('csv: a header and one row per cell, figures from the results file', () => {
  const lines = exportRuns('csv', runs).trimEnd().split('\r\n');
  assert.equal(lines.length, run.file.cells.length + 1);
  const header = lines[0].split(',');
  const at = header.indexOf('modeled_per_reset_ns');
  run.file.cells.forEach((c, i) => assert.equal(lines[i + 1].split(',')[at], c.modeled?.perResetNs == null ? '' : String(c.modeled.perResetNs)));
});

test('csv: a run name with a comma, a quote or a line break is one quoted field (RFC 4180)', () => {
  const name = 'we, "the"\nrun';
  const text = exportRuns('csv', labelRuns([run.path], [name]));
  const quoted = '"we, ""the""\nrun"';
  assert.ok(text.startsWith(`run,cell,id,`));
  assert.equal(text.split('\r\n').filter((l) => l.startsWith(quoted)).length, run.file.cells.length, 'every row starts with the quoted run name');
});

test('github-action-benchmark (customSmallerIsBetter) and bencher BMF shapes', () => {
  const gab = JSON.parse(exportRuns('github-action-benchmark', runs)) as { name: string; unit: string; value: number }[];
  const ok = run.file.cells.filter((c) => c.status === 'ok' && c.modeled?.perResetNs != null);
  assert.equal(gab.length, ok.length);
  assert.ok(gab.every((e) => typeof e.name === 'string' && e.unit === 'ms' && Number.isFinite(e.value)));
  assert.equal(new Set(gab.map((e) => e.name)).size, gab.length, 'names are distinct');
  const bmf = JSON.parse(exportRuns('bmf', runs)) as Record<string, Record<string, { value: number; lower_value?: number; upper_value?: number }>>;
  const wall = Object.values(bmf).map((m) => m['simulator-wall-ns']).filter(Boolean);
  assert.ok(wall.length > 0 && wall.every((w) => w.lower_value! <= w.value && w.value <= w.upper_value!));
  assert.ok(Object.values(bmf).every((m) => m['modeled-total-ns'] && m['modeled-total-ns'].lower_value === undefined));
});

test("report reads results from stdin ('-') and exports to stdout; an unknown format is one line, exit 2", () => {
  const out = join(tempDir('export'), 'r');
  const r = spawnSync(process.execPath, [CLI, 'report', '-', '--out', out, '--no-png', '-q', '--export', 'csv=-'], { input: readFileSync(run.path), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trimEnd().split('\r\n').length, run.file.cells.length + 1);
  assert.match(readFileSync(join(out, 'summary.md'), 'utf8'), /## export \(stdin\)/);
  const bad = spawnSync(process.execPath, [CLI, 'report', run.path, '--out', out, '--export', 'xlsx=a.xlsx'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, "error: --export: unknown format 'xlsx' (choose from csv, github-action-benchmark, bmf)\n");
});

test('gate --junit: a testcase per cell; a modeled change fails its cell; current from stdin', () => {
  const dir = tempDir('export');
  const f = structuredClone(run.file) as ResultsFile;
  const changed = f.cells.find((c) => c.status === 'ok')!;
  changed.counters.pagesPinned += 1;
  const junit = join(dir, 'gate.xml');
  const r = spawnSync(process.execPath, [CLI, 'gate', '-b', run.path, '-c', '-', '--junit', junit], { input: JSON.stringify(f), encoding: 'utf8', env: { ...process.env, GITHUB_STEP_SUMMARY: '' } });
  assert.equal(r.status, 1, r.stderr);
  const xml = readFileSync(junit, 'utf8');
  assert.equal((xml.match(/<testcase /g) ?? []).length, run.file.cells.length);
  assert.match(xml, /failures="1"/);
  assert.match(xml, new RegExp(`name="${changed.label}"><failure message="1 figure\\(s\\) changed" type="modeled-change">counters.pagesPinned`));
});

test('gate --junit: characters XML cannot carry are dropped, markup is escaped, and the verdict still reads as ours', () => {
  const cell = 'we\u0001ird \u001b[31mcell <a & "b">';
  const row = { cell, metric: 'counters.pagesPinned', kind: 'modeled' as const, baseline: 1, current: 2, change: 1, verdict: 'regressed' as const, rule: 'exact\u0000' };
  const xml = junitXml({ rows: [row], cellsCompared: 1, modeledChanges: 1, simulatorRegressions: 0, simulatorImprovements: 0, notGated: { simulator: null, real: null } }, [cell], { simulatorGates: false });
  // XML 1.0's Char production: no C0 control but tab, LF and CR, even as a character reference.
  assert.doesNotMatch(xml, /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  assert.match(xml, /<testcase classname="vdpa-lab\.gate" name="weird \[31mcell &lt;a &amp; &quot;b&quot;&gt;"><failure message="1 figure\(s\) changed" type="modeled-change">counters\.pagesPinned \(modeled\): 1 -&gt; 2, regressed: exact<\/failure><\/testcase>/);
  assert.ok(isJunitVerdict(xml));
});
