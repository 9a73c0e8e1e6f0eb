/**
 * `vdpa-lab history` (#28): runs appended to a directory or a git branch,
 * keyed by commit, date, machine and workload; trends with change points;
 * bad input refused in one line; nothing written over that the lab did not write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Series } from '../src/history/index.js';
import type { ResultsFile } from '../src/runner/index.js';
import { smallRun } from './support/results.js';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
/** A small run cut to 4 cells: every chart is rendered, so fewer cells keep the test short. */
const base = await (async () => {
  const run = await smallRun('history', 3);
  const file: ResultsFile = { ...run.file, cells: run.file.cells.slice(0, 4) };
  const path = join(run.dir, 'four-cells.json');
  writeFileSync(path, JSON.stringify(file));
  return { path, file };
})();
const lab = (args: string[], cwd?: string) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd });
const git = (cwd: string, ...args: string[]) => {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};

/** The base run with one modeled figure doubled (as a commit that changed the model would give). */
function changedRun(): string {
  const f: ResultsFile = structuredClone(base.file);
  const c = f.cells.find((x) => x.status === 'ok' && x.modeled?.perResetNs)!;
  c.modeled!.perResetNs! *= 2;
  const p = join(tempDir('history'), 'results.json');
  writeFileSync(p, JSON.stringify(f));
  return p;
}

function addTwo(into: string, cwd?: string): void {
  const a = lab(['history', 'add', base.path, '--into', into, '--commit', 'a'.repeat(40), '--date', '2026-12-01T10:00:00Z'], cwd);
  assert.equal(a.status, 0, a.stderr);
  assert.match(a.stdout, /^added aaaaaaaaaaaa \(2026-12-01T10:00:00\.000Z\) to .*history-hash-of-hist\.jsonl: \d+ cells modeled, \d+ timed, 0 real\n$/);
  const b = lab(['history', 'add', changedRun(), '--into', into, '--commit', 'b'.repeat(40), '--date', '2026-12-02T10:00:00+00:00'], cwd);
  assert.equal(b.status, 0, b.stderr);
}

function checkTrends(series: Series[]): void {
  const modeled = series.filter((s) => s.kind === 'modeled' && s.figure === 'perResetNs');
  assert.ok(modeled.length > 0 && modeled.every((s) => s.points.length === 2));
  const stepped = modeled.filter((s) => s.points[1].changePoint);
  assert.equal(stepped.length, 1, 'one modeled figure stepped: one change point');
  assert.equal(stepped[0].points[1].step, 1);
  assert.equal(stepped[0].points[1].commit, 'b'.repeat(40));
  const sim = series.filter((s) => s.kind === 'simulator');
  assert.ok(sim.length > 0 && sim.every((s) => s.on.includes(base.file.provenance.cpu)), 'simulator series are per machine');
  assert.ok(series.every((s) => s.kind !== 'real'), 'a run without --backend has no real figures');
}

test('a directory history: two runs, then trends with the modeled step marked, charts and a table', async () => {
  const dir = tempDir('history');
  const store = join(dir, 'history');
  addTwo(store);
  const lines = readFileSync(join(store, 'history-hash-of-hist.jsonl'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 2);
  const first = JSON.parse(lines[0]);
  assert.equal(first.schema, 'vdpa-lab/history@1');
  assert.deepEqual(Object.keys(first).filter((k) => ['modeled', 'simulator', 'real'].includes(k)), ['modeled', 'simulator', 'real'], 'the three kinds apart');
  assert.equal(first.machine.cpu, base.file.provenance.cpu);
  const shown = lab(['history', 'show', store, '--json']);
  assert.equal(shown.status, 0, shown.stderr);
  checkTrends((JSON.parse(shown.stdout) as { series: Series[] }).series);
  const out = join(dir, 'trends');
  const drawn = lab(['history', 'show', store, '--out', out]);
  assert.equal(drawn.status, 0, drawn.stderr);
  assert.match(drawn.stdout, /^# vdpa-lab history\n/);
  assert.match(drawn.stdout, /\| modeled \| perResetNs \| - \| 2 \| .* \| \+100\.0% \| bbbbbbbbbb \(\+100\.0%\) \|/);
  const svgs = readdirSync(out).filter((f) => f.endsWith('.svg'));
  assert.equal(svgs.length, base.file.cells.filter((c) => c.status === 'ok' || c.simulator?.wallNs).length, 'one chart per cell with figures');
  for (const f of svgs) assert.match(readFileSync(join(out, f), 'utf8'), /^<svg/);
  assert.ok(readFileSync(join(out, 'history.md'), 'utf8').includes('](trend-'), 'the table links each chart');
  // A re-run replaces its own files; a file the user put where a chart goes is kept, and refused.
  assert.equal(lab(['history', 'show', store, '--out', out]).status, 0);
  writeFileSync(join(out, 'history.md.bak'), 'mine');
  const theirs = join(dir, 'theirs');
  mkdirSync(theirs);
  writeFileSync(join(theirs, 'notes.txt'), 'mine');
  const refused = lab(['history', 'show', store, '--out', theirs]);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /was not made by vdpa-lab/);
  assert.equal(readFileSync(join(out, 'history.md.bak'), 'utf8'), 'mine');
});

test('a git branch history: written without a work tree, pushed to and read from a remote', () => {
  const dir = tempDir('history');
  const origin = join(dir, 'origin.git');
  git(dir, 'init', '--quiet', '--bare', origin);
  const repo = join(dir, 'repo');
  git(dir, 'init', '--quiet', '-b', 'main', repo);
  writeFileSync(join(repo, 'README'), 'project\n');
  git(repo, 'add', 'README');
  git(repo, 'commit', '--quiet', '-m', 'first');
  git(repo, 'remote', 'add', 'origin', origin);
  const status = git(repo, 'status', '--porcelain');
  // Local branch: two runs, two commits on it, the work tree untouched.
  addTwo('git:lab-history', repo);
  assert.equal(git(repo, 'rev-list', '--count', 'lab-history'), '2');
  assert.equal(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD'), 'main');
  assert.equal(git(repo, 'status', '--porcelain'), status);
  const shown = lab(['history', 'show', 'git:lab-history', '--json'], repo);
  assert.equal(shown.status, 0, shown.stderr);
  checkTrends((JSON.parse(shown.stdout) as { series: Series[] }).series);
  // Through a remote: a clone reads what another run pushed.
  const r = lab(['history', 'add', base.path, '--into', 'git:pushed', '--remote', 'origin', '--commit', 'c'.repeat(40)], repo);
  assert.equal(r.status, 0, r.stderr);
  const clone = join(dir, 'clone');
  git(dir, 'clone', '--quiet', origin, clone);
  const other = lab(['history', 'show', 'git:pushed', '--remote', 'origin', '--json'], clone);
  assert.equal(other.status, 0, other.stderr);
  const pts = (JSON.parse(other.stdout) as { series: Series[] }).series[0].points;
  assert.deepEqual(pts.map((p) => p.commit), ['c'.repeat(40)]);
  // A branch holding other files is someone's branch, and the checked-out one is the user's: refused, not written.
  git(repo, 'branch', 'docs');
  const refused = lab(['history', 'add', base.path, '--into', 'git:docs', '--commit', 'd'.repeat(40)], repo);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /git:docs holds README, which vdpa-lab history did not write/);
  const current = lab(['history', 'add', base.path, '--into', 'git:main', '--commit', 'd'.repeat(40)], repo);
  assert.equal(current.status, 2);
  assert.match(current.stderr, /git:main is the branch checked out here/);
  assert.equal(git(repo, 'rev-list', '--count', 'docs'), '1');
  assert.equal(git(repo, 'rev-list', '--count', 'main'), '1');
});

test('bad input: one line, exit 2, nothing written', () => {
  const dir = tempDir('history');
  const one = (args: string[], re: RegExp, cwd?: string) => {
    const r = lab(args, cwd);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
  };
  const store = join(dir, 'h');
  one(['history', 'add', base.path, '--into', store, '--commit', 'not-a-sha'], /--commit: 'not-a-sha' is not a git commit/);
  one(['history', 'add', base.path, '--into', store, '--commit', 'a'.repeat(40), '--date', 'yesterday'], /--date: 'yesterday' is not an ISO 8601 date/);
  assert.equal(existsSync(store), false, 'nothing created');
  one(['history', 'add', join(dir, 'missing.json'), '--into', store], /missing\.json/);
  one(['history', 'show', store], /no such history directory/);
  const foreign = join(dir, 'foreign');
  mkdirSync(foreign);
  writeFileSync(join(foreign, 'x.txt'), 'mine');
  one(['history', 'add', base.path, '--into', foreign, '--commit', 'a'.repeat(40)], /was not made by vdpa-lab/);
  one(['history', 'show', foreign], /is not a history directory/);
  one(['history', 'add', base.path, '--into', 'git:x'], /is not in a git repository/, dir);
  one(['history', 'add', base.path, '--into', store, '--remote', 'origin'], /--remote: applies to a git:BRANCH history/);
  // A damaged line: refused naming the file and line, and the file is left as it was.
  assert.equal(lab(['history', 'add', base.path, '--into', store, '--commit', 'a'.repeat(40)]).status, 0);
  const file = join(store, 'history-hash-of-hist.jsonl');
  const good = readFileSync(file, 'utf8');
  writeFileSync(file, `${good}{"schema":"vdpa-lab/history@1","commit":1}\n`);
  one(['history', 'show', store], /history-hash-of-hist\.jsonl:2: not a history line/);
  one(['history', 'add', base.path, '--into', store, '--commit', 'b'.repeat(40)], /history-hash-of-hist\.jsonl:2: not a history line/);
  assert.equal(readFileSync(file, 'utf8'), `${good}{"schema":"vdpa-lab/history@1","commit":1}\n`);
});
