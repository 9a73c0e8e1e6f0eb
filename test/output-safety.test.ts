/**
 * Nothing lost (#13): durable atomic writes, the run journal read as
 * untrusted input, one run per directory, and a report that replaces only a
 * report the lab made and leaves nothing behind when interrupted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs, { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/atomic-file.js';
import { writeReport } from '../src/report/index.js';
import { readResults, runWorkload, type CellResult } from '../src/runner/index.js';
import { parseWorkload } from '../src/workload/index.js';
import { smallRun } from './support/results.js';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
/** The names are spelled out (src/output-path.ts, src/runner/run-lock.ts): they are on-disk formats users see. */
const OUTPUT_MARKER = '.vdpa-lab-output';
const RUN_LOCK_FILE = '.vdpa-lab-run.lock';
const tmp = tempDir;

function workload() {
  const raw = { schema: 1, name: 'safety', measure: { samples: 0 }, matrix: { guest: { ram: '32MiB' }, devices: { parent: 'vdpa_sim' }, kernel: ['legacy', 'reset-map'], flow: ['workaround', 'persist', 'naive'], events: ['boot', 'guest-reset'] } };
  const { workload: wl, cells } = parseWorkload(raw, 'safety.json');
  return { path: 'safety.json', hash: 'hash-of-safety', workload: wl, cells };
}

/** A finished run in a new directory, and its journal's lines. */
async function finishedRun() {
  const out = join(tmp('journal'), 'run');
  const w = workload();
  const file = await runWorkload(w, { out, threads: 2 });
  const jsonl = join(out, 'cells.jsonl');
  return { w, out, file, jsonl, lines: readFileSync(jsonl, 'utf8').trimEnd().split('\n') };
}

test('writeFileAtomic never touches a file it did not create, even one named like its temp file', () => {
  const dir = tmp('atomic');
  const target = join(dir, 'results.json');
  // The name the old implementation always used for its temp file.
  const lookalike = join(dir, `.results.json.${process.pid}.tmp`);
  writeFileSync(lookalike, 'a user file\n');
  writeFileAtomic(target, 'new\n');
  assert.equal(readFileSync(target, 'utf8'), 'new\n');
  assert.equal(readFileSync(lookalike, 'utf8'), 'a user file\n');
  assert.deepEqual(readdirSync(dir).sort(), ['.results.json.' + process.pid + '.tmp', 'results.json']);
});

test('writeFileAtomic fsyncs the file before the rename and the directory after it', () => {
  const dir = tmp('atomic');
  const synced: string[] = [];
  const original = fs.fsyncSync;
  fs.fsyncSync = (fd: number) => {
    synced.push(readlinkSync(`/proc/self/fd/${fd}`));
    return original(fd);
  };
  syncBuiltinESMExports();
  try {
    writeFileAtomic(join(dir, 'baseline.json'), '{}\n');
  } finally {
    fs.fsyncSync = original;
    syncBuiltinESMExports();
  }
  assert.equal(synced.length, 2, synced.join(', '));
  assert.match(synced[0], /\.baseline\.json\..*\.tmp$/, 'the temp file, before it is renamed');
  assert.equal(synced[1], dir, 'then the directory holding the rename');
});

test('a torn last line is cut off before appending, so the next --resume finds a whole journal', async () => {
  const { w, out, file, jsonl, lines } = await finishedRun();
  const lost = JSON.parse(lines[lines.length - 1]).id as string;
  writeFileSync(jsonl, `${lines.slice(0, -1).join('\n')}\n${lines[lines.length - 1].slice(0, 40)}`);
  const warnings: string[] = [];
  const rerun: string[] = [];
  await runWorkload(w, { out, threads: 1, resume: true, onWarning: (m) => warnings.push(m), onResult: (r) => rerun.push(r.id) });
  assert.deepEqual(rerun, [lost]);
  assert.match(warnings.join('\n'), /cut off a torn last line \(40 bytes/);
  for (const line of readFileSync(jsonl, 'utf8').trimEnd().split('\n')) JSON.parse(line);
  const again: string[] = [];
  const third = await runWorkload(w, { out, threads: 1, resume: true, onResult: (r) => again.push(r.id) });
  assert.deepEqual(again, [], 'nothing left to run');
  assert.deepEqual(third.cells.map((c) => c.modeled), file.cells.map((c) => c.modeled));
});

test('a damaged line in the middle costs only its cell, which is run again and named on stderr', async () => {
  const { w, out, file, jsonl, lines } = await finishedRun();
  const damaged = JSON.parse(lines[2]).id as string;
  lines[2] = `{#garbage#${lines[2].slice(1)}`;
  writeFileSync(jsonl, `${lines.join('\n')}\n`);
  const warnings: string[] = [];
  const rerun: string[] = [];
  const second = await runWorkload(w, { out, threads: 1, resume: true, onWarning: (m) => warnings.push(m), onResult: (x) => rerun.push(x.id) });
  assert.deepEqual(rerun, [damaged]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /cells\.jsonl: line 3 is damaged \(not JSON: .*\); skipped, its cell is run again/);
  assert.deepEqual(second.cells.map((c) => c.modeled), file.cells.map((c) => c.modeled));
});

/** A one-cell workload file for CLI runs. */
function writeWorkloadFile(): string {
  const f = join(tmp('w'), 'w.json');
  writeFileSync(f, JSON.stringify({ schema: 1, name: 'safety', measure: { samples: 0 }, matrix: { guest: { ram: '32MiB' }, devices: { parent: 'vdpa_sim' }, kernel: 'legacy', flow: 'workaround', events: ['boot'] } }));
  return f;
}

test('the CLI says on stderr which journal line was damaged, and exits 0 after re-running it', () => {
  const out = join(tmp('cli-journal'), 'run');
  const w = writeWorkloadFile();
  assert.equal(spawnSync(process.execPath, [CLI, 'run', w, '--out', out, '--quiet'], { encoding: 'utf8' }).status, 0);
  const jsonl = join(out, 'cells.jsonl');
  writeFileSync(jsonl, readFileSync(jsonl, 'utf8').replace(/\n\{/, '\n{oops'));
  const r = spawnSync(process.execPath, [CLI, 'run', w, '--out', out, '--resume', '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^warning: .*cells\.jsonl: line 2 is damaged \(not JSON/m);
  assert.equal(readResults(join(out, 'results.json')).cells.length, 1);
});

test('a journal line that is JSON but not a cell result is not trusted: its cell is run again', async () => {
  const { w, out, jsonl, lines } = await finishedRun();
  const cell = JSON.parse(lines[1]) as CellResult;
  // Plausible at a glance: id and status are right, the figures are gone.
  lines[1] = JSON.stringify({ id: cell.id, status: 'ok', label: cell.label });
  writeFileSync(jsonl, `${lines.join('\n')}\n`);
  const warnings: string[] = [];
  const rerun: string[] = [];
  const second = await runWorkload(w, { out, threads: 1, resume: true, onWarning: (m) => warnings.push(m), onResult: (x) => rerun.push(x.id) });
  assert.deepEqual(rerun, [cell.id]);
  assert.match(warnings.join('\n'), /line 2 is damaged \(not a cell result/);
  assert.deepEqual(second.cells.find((c) => c.id === cell.id)!.modeled, cell.modeled);
});

test('without --resume an existing journal is replaced only with --force', async () => {
  const { w, out, jsonl, lines } = await finishedRun();
  await assert.rejects(runWorkload(w, { out, threads: 1 }), /cells\.jsonl holds 6 finished cells of an earlier run: --resume continues it, --force discards it/);
  assert.equal(readFileSync(jsonl, 'utf8').trimEnd().split('\n').length, lines.length, 'untouched');
  const rerun: string[] = [];
  await runWorkload(w, { out, threads: 2, force: true, onResult: (r) => rerun.push(r.id) });
  assert.equal(rerun.length, 6);
});

test('a live run holds its directory: a second run is refused with its pid; a dead run\'s lock is taken over', async () => {
  const { w, out } = await finishedRun();
  const lock = join(out, RUN_LOCK_FILE);
  writeFileSync(lock, `${process.pid}\n`);
  await assert.rejects(runWorkload(w, { out, threads: 1, resume: true }), new RegExp(`is in use by vdpa-lab run \\(pid ${process.pid}\\)`));
  assert.equal(readFileSync(lock, 'utf8'), `${process.pid}\n`, 'the holder keeps its lock');
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  writeFileSync(lock, `${dead}\n`);
  const warnings: string[] = [];
  await runWorkload(w, { out, threads: 1, resume: true, onWarning: (m) => warnings.push(m) });
  assert.match(warnings.join('\n'), new RegExp(`took over the lock of pid ${dead}, which no longer runs`));
  assert.ok(!existsSync(lock), 'released at the end');
});

test('two runs started at once on one directory: exactly one runs, the other is refused', async () => {
  const out = join(tmp('race'), 'run');
  const w = workload();
  const outcomes = await Promise.allSettled([runWorkload(w, { out, threads: 1 }), runWorkload(w, { out, threads: 1 })]);
  assert.deepEqual(outcomes.map((o) => o.status).sort(), ['fulfilled', 'rejected']);
  const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
  assert.match(String(refused.reason), /is in use by vdpa-lab run \(pid \d+\)/);
});

test('run writes into a new or empty directory and marks it; report replaces only its own earlier report', async () => {
  const parent = tmp('marks');
  const empty = join(parent, 'empty');
  mkdirSync(empty);
  await runWorkload(workload(), { out: empty, threads: 2 });
  assert.ok(existsSync(join(empty, OUTPUT_MARKER)));
  const report = join(parent, 'report');
  await writeReport([join(empty, 'results.json')], { out: report, noPng: true });
  const first = readFileSync(join(report, 'index.html'), 'utf8');
  writeFileSync(join(report, 'index.html'), 'stale');
  await writeReport([join(empty, 'results.json')], { out: report, noPng: true });
  assert.equal(readFileSync(join(report, 'index.html'), 'utf8'), first, 'the earlier report was replaced');
  assert.deepEqual(readdirSync(parent).sort(), ['empty', 'report'], 'no temp or old directory left beside it');
  // A run directory is not a report: report --out at it is refused, and it keeps its files.
  await assert.rejects(writeReport([join(empty, 'results.json')], { out: empty, noPng: true }), /holds this report's input/);
  const other = (await smallRun('other', 0)).path;
  await assert.rejects(writeReport([other], { out: empty, noPng: true }), /was made by 'vdpa-lab run', not 'report'/);
  assert.ok(existsSync(join(empty, 'cells.jsonl')));
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`report interrupted by ${signal} leaves no partial directory behind`, async () => {
    const { path } = await smallRun('interrupted', 3);
    const parent = tmp('interrupt');
    const out = join(parent, 'report');
    const child = spawn(process.execPath, [CLI, 'report', path, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let sent = false;
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      // Rendering has begun, so the temp directory exists.
      if (!sent && d.includes('rendering')) {
        sent = true;
        child.kill(signal);
      }
    });
    const how = await new Promise<{ code: number | null; sig: string | null }>((resolve) => child.on('close', (code, sig) => resolve({ code, sig })));
    assert.ok(sent, 'the report started rendering');
    assert.equal(how.sig, signal, `ended by the signal (exit ${how.code})`);
    assert.deepEqual(readdirSync(parent), [], 'no OUT.partial-* left');
  });
}
