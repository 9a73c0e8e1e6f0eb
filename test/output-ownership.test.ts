/**
 * Nothing lost, round 3 (#23): a report keeps what the user put in its
 * directory and writes through the user's symlink; stdin leaves no temp
 * file; a write fault (disk full, an immutable file) is one line naming the
 * path, with nothing half-written; and inputs the checks used to miss
 * (a line nested 20,000 deep, a cell whose params no longer match its id).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs, { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/atomic-file.js';
import { WriteError } from '../src/errors.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const made: string[] = [];
const tmp = (tag: string) => {
  const d = mkdtempSync(join(tmpdir(), `vdpa-lab-own-${tag}-`));
  made.push(d);
  return d;
};
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

const SMALL = { schema: 1, name: 'own', measure: { samples: 0 }, matrix: { guest: { ram: '32MiB' }, devices: { parent: 'vdpa_sim' }, kernel: ['legacy'], flow: ['workaround'], events: ['boot', 'guest-reset'] } };

function cli(args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input: opts.input, env: { ...process.env, GITHUB_STEP_SUMMARY: '', ...opts.env } });
}

/** One stderr line, no stack trace. */
function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one stderr line, got:\n${stderr}`);
  assert.ok(!stderr.includes('    at '), 'no stack trace');
  return lines[0];
}

/** A directory holding w.json and a finished run of it in run/. */
function withRun(): string {
  const d = tmp('run');
  writeFileSync(join(d, 'w.json'), JSON.stringify(SMALL));
  const r = cli(['run', join(d, 'w.json'), '--out', join(d, 'run'), '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  return d;
}

const d = withRun();
const results = join(d, 'run', 'results.json');

test("report over its earlier report keeps the user's file inside it", () => {
  const rep = join(tmp('rep'), 'rep');
  assert.equal(cli(['report', results, '--out', rep, '--no-png', '-q']).status, 0);
  writeFileSync(join(rep, 'my-notes.txt'), 'my notes\n');
  mkdirSync(join(rep, 'drafts'));
  writeFileSync(join(rep, 'drafts', 'a.md'), 'draft\n');
  const r = cli(['report', results, '--out', rep, '--no-png', '-q']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(join(rep, 'my-notes.txt'), 'utf8'), 'my notes\n');
  assert.equal(readFileSync(join(rep, 'drafts', 'a.md'), 'utf8'), 'draft\n');
  assert.ok(existsSync(join(rep, 'index.html')));
  // Nothing of the old report is left beside it.
  assert.deepEqual(readdirSync(join(rep, '..')), ['rep']);
});

test("report refuses a user's file under a name the new report writes (keeping it would drop that chart)", () => {
  const rep = join(tmp('rep'), 'rep');
  assert.equal(cli(['report', results, '--out', rep, '--no-png', '-q']).status, 0);
  // The earlier report wrote no PNGs; the user made one under a chart's name.
  writeFileSync(join(rep, 'phases.png'), 'my picture\n');
  const r = cli(['report', results, '--out', rep, '-q']);
  assert.equal(r.status, 2);
  assert.match(oneLine(r.stderr), /^error: --out: .*\/rep\/phases\.png is not a file the earlier report wrote/);
  assert.equal(readFileSync(join(rep, 'phases.png'), 'utf8'), 'my picture\n');
});

test("report --out the user's symlink to a lab report writes through it and keeps the link", () => {
  const t = tmp('link');
  const real = join(t, 'real-report');
  assert.equal(cli(['report', results, '--out', real, '--no-png', '-q']).status, 0);
  symlinkSync('real-report', join(t, 'rep'));
  const r = cli(['report', results, '--out', join(t, 'rep'), '--no-png', '-q']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(lstatSync(join(t, 'rep')).isSymbolicLink());
  assert.equal(readlinkSync(join(t, 'rep')), 'real-report');
  assert.ok(existsSync(join(real, 'index.html')));
  assert.deepEqual(readdirSync(t).sort(), ['real-report', 'rep']);
});

test('an export over its own earlier export needs no --force; over a user file --force replaces it', () => {
  const t = tmp('export');
  const csv = join(t, 'cells.csv');
  assert.equal(cli(['report', results, '--out', join(t, 'r1'), '--no-png', '-q', '--export', `csv=${csv}`]).status, 0);
  const again = cli(['report', results, '--out', join(t, 'r2'), '--no-png', '-q', '--export', `csv=${csv}`]);
  assert.equal(again.status, 0, again.stderr);
  writeFileSync(join(t, 'mine.csv'), 'a,b\n1,2\n');
  const forced = cli(['report', results, '--out', join(t, 'r3'), '--no-png', '-q', '--export', `csv=${join(t, 'mine.csv')}`, '--force']);
  assert.equal(forced.status, 0, forced.stderr);
  assert.equal(readFileSync(join(t, 'mine.csv'), 'utf8'), readFileSync(csv, 'utf8'));
});

test('stdin (-) leaves no temp file behind, on success and on bad input', () => {
  const scratch = tmp('stdin-tmpdir');
  const env = { TMPDIR: scratch };
  const ok = cli(['report', '-', '--out', join(tmp('stdin'), 'rep'), '--no-png', '-q'], { input: readFileSync(results), env });
  assert.equal(ok.status, 0, ok.stderr);
  const gate = cli(['gate', '-b', results, '-c', '-'], { input: readFileSync(results), env });
  assert.equal(gate.status, 0, gate.stderr);
  const bad = cli(['gate', '-b', results, '-c', '-'], { input: 'garbage\n', env });
  assert.equal(bad.status, 2);
  assert.match(oneLine(bad.stderr), /^error: stdin: not valid JSON/);
  assert.deepEqual(readdirSync(scratch), []);
});

test('an exec line nested 20,000 deep is one line and exit 2, not a stack overflow', () => {
  const script = join(tmp('deep'), 's.jsonl');
  writeFileSync(script, `{"op":"open","device":${'['.repeat(20_000)}${']'.repeat(20_000)}}\n`);
  const r = cli(['exec', script]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(oneLine(r.stderr), /^error: line 1: not valid JSON \(nested deeper than 64 levels/);
});

test("gate refuses a cell whose params were edited but whose id was kept", () => {
  const t = tmp('ids');
  const file = JSON.parse(readFileSync(results, 'utf8')) as { cells: { params: { guestBytes: number } }[] };
  file.cells[0].params.guestBytes *= 2;
  writeFileSync(join(t, 'edited.json'), JSON.stringify(file));
  for (const args of [['-c', join(t, 'edited.json')], ['-c', join(t, 'edited.json'), '--update']]) {
    const base = join(t, 'base.json');
    cpSync(results, base);
    const r = cli(['gate', '-b', base, ...args]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(oneLine(r.stderr), /^error: .*\/edited\.json: cells\[0\]\.id: is [0-9a-f]{12}, but its params give [0-9a-f]{12}/);
    assert.deepEqual(readFileSync(base), readFileSync(results));
  }
});

/** Can this host make a file immutable (root with CAP_LINUX_IMMUTABLE on a filesystem that has the flag)? */
function chattr(flag: '+i' | '-i', path: string): boolean {
  return spawnSync('chattr', [flag, path]).status === 0;
}

test('gate --update onto an immutable baseline is one line naming it, and the baseline stays', (t) => {
  const dir = tmp('immutable');
  const base = join(dir, 'base.json');
  writeFileSync(base, readFileSync(results));
  if (!chattr('+i', base)) return t.skip('chattr +i is not permitted here (needs CAP_LINUX_IMMUTABLE)');
  try {
    const r = cli(['gate', '-b', base, '-c', results, '--update']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(oneLine(r.stderr), /^error: --baseline: .*\/base\.json cannot be replaced \(EPERM\)/);
  } finally {
    chattr('-i', base);
  }
  assert.deepEqual(readdirSync(dir), ['base.json']);
});

test('a full disk during an atomic write names the target and says the disk is full; the target is kept whole', () => {
  const dir = tmp('enospc');
  const target = join(dir, 'baseline.json');
  writeFileSync(target, 'the old baseline\n');
  const original = fs.writeSync;
  fs.writeSync = (() => {
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
  }) as typeof fs.writeSync;
  syncBuiltinESMExports();
  try {
    assert.throws(() => writeFileAtomic(target, 'new\n'), (e: unknown) => e instanceof WriteError && e.exitCode === 1 && e.message === `${target}: cannot write: the disk is full (ENOSPC); nothing was replaced`);
  } finally {
    fs.writeSync = original;
    syncBuiltinESMExports();
  }
  assert.equal(readFileSync(target, 'utf8'), 'the old baseline\n');
  assert.deepEqual(readdirSync(dir), ['baseline.json']);
});

/** Writes 4 KiB blocks to `path` until the filesystem is full. */
function fillUp(path: string): void {
  const fd = fs.openSync(path, 'w');
  try {
    for (;;) fs.writeSync(fd, Buffer.alloc(4096));
  } catch (e) {
    assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    fs.closeSync(fd);
  }
}

test('a full disk (a 64 KiB tmpfs) under report, gate --junit and run: exit 1, one line naming the path, no partial file', (t) => {
  const mnt = tmp('tmpfs');
  if (process.getuid?.() !== 0 || spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]).status !== 0) return t.skip('mounting a tmpfs needs root (and a host that allows it)');
  try {
    fillUp(join(mnt, 'fill'));
    const cases: [string[], RegExp][] = [
      [['report', results, '--out', join(mnt, 'rep'), '--no-png', '-q'], /^error: .*\/rep: cannot write: the disk is full \(ENOSPC\)/],
      [['gate', '-b', results, '-c', results, '--junit', join(mnt, 'j.xml')], /^error: .*\/j\.xml: cannot write: the disk is full \(ENOSPC\)/],
      [['run', join(d, 'w.json'), '--out', join(mnt, 'run'), '-q'], /^error: .*\/run\/\S+: cannot write: the disk is full \(ENOSPC\)/],
    ];
    for (const [args, line] of cases) {
      const r = cli(args);
      assert.equal(r.status, 1, r.stderr);
      assert.match(oneLine(r.stderr), line);
    }
    // The run's directory (its marker) may be there; no partial file is, nor any temp file.
    const left = readdirSync(mnt, { recursive: true }).map(String).sort();
    assert.ok(left.every((f) => ['fill', 'run', 'run/.vdpa-lab-output'].includes(f)), left.join(', '));
  } finally {
    spawnSync('umount', [mnt]);
  }
});
