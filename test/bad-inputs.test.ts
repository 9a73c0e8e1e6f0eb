/**
 * The table of bad inputs (test/fixtures/bad-inputs.json): each case runs the
 * CLI in a fresh directory of things a user cares about, and must exit with
 * its code, print exactly one stderr line matching its pattern, and leave
 * every file and directory exactly as it was (nothing written, nothing deleted).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const TABLE = fileURLToPath(new URL('../../test/fixtures/bad-inputs.json', import.meta.url));
/** The package root, for inputs shipped with the lab ($ROOT in the table). */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The name run directories carry their lock under (src/runner/run-lock.ts). */
const LOCK_FILE = '.vdpa-lab-run.lock';
/** A case that has not finished by then is a hang, which the table forbids. */
const CASE_TIMEOUT_MS = 60_000;
const NOBODY = 65534;

interface Case {
  name: string;
  args: string[];
  exit: number;
  stderr: string;
  env?: Record<string, string>;
  files?: Record<string, unknown>;
  /** Steps run in order after `files`, paths relative to $T: ["cp", from, to], ["rm", path], ["mkdir", path], ["ln", target, link], ["chmod", "444", path]. */
  setup?: string[][];
  asNobody?: boolean;
}

function runSetup(t: string, steps: string[][]): void {
  for (const [op, a, b] of steps) {
    if (op === 'cp') cpSync(join(t, a), join(t, b), { recursive: true });
    else if (op === 'rm') rmSync(join(t, a), { recursive: true });
    else if (op === 'mkdir') mkdirSync(join(t, a), { recursive: true });
    else if (op === 'ln') symlinkSync(a, join(t, b));
    else if (op === 'chmod') chmodSync(join(t, b), parseInt(a, 8));
    else throw new Error(`unknown setup step ${op}`);
  }
}

/**
 * Root may write anywhere, so "unwritable" cases run the CLI as nobody, who
 * must then be able to read the lab itself (a checkout under a 0700 directory,
 * such as mktemp's, is not readable): otherwise those cases are skipped.
 */
const IS_ROOT = process.getuid?.() === 0;
const nobodyCannotRun = IS_ROOT && spawnSync(process.execPath, [CLI, '--version'], { uid: NOBODY, gid: NOBODY }).status !== 0 ? `uid ${NOBODY} cannot read ${CLI}` : false;

const cases = (JSON.parse(readFileSync(TABLE, 'utf8')) as { cases: Case[] }).cases;
const SMALL = { schema: 1, name: 'bad-inputs', measure: { samples: 0 }, matrix: { guest: { ram: '32MiB' }, devices: { parent: 'vdpa_sim' }, kernel: ['legacy', 'reset-map'], flow: ['workaround', 'persist', 'naive'], events: ['boot', 'guest-reset'] } };

let template = '';

before(() => {
  template = tempDir('bad-template');
  writeFileSync(join(template, 'w.json'), JSON.stringify(SMALL));
  const r = spawnSync(process.execPath, [CLI, 'run', join(template, 'w.json'), '--out', join(template, 'run'), '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  writeFileSync(join(template, 'sentinel.txt'), 'a file the lab never made\n');
  writeFileSync(join(template, 'a-file'), 'user data\n');
  mkdirSync(join(template, 'foreign'));
  writeFileSync(join(template, 'foreign', 'notes.txt'), 'my notes\n');
  cpSync(join(template, 'run'), join(template, 'locked'), { recursive: true });
  // This test process is alive for the whole run: its pid holds the lock.
  writeFileSync(join(template, 'locked', LOCK_FILE), `${process.pid}\n`);
  mkdirSync(join(template, 'ro'));
  cpSync(join(template, 'run', 'results.json'), join(template, 'ro', 'base.json'));
});

/** Every path under dir with its type, mode and content hash. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out[p] = `link ${readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[p] = `dir ${st.mode.toString(8)}`;
        walk(p);
      } else out[p] = `file ${st.mode.toString(8)} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
    }
  };
  walk(dir);
  return out;
}

function prepare(c: Case): string {
  const t = tempDir('bad');
  cpSync(template, t, { recursive: true });
  for (const [name, content] of Object.entries(c.files ?? {})) writeFileSync(join(t, name), typeof content === 'string' ? content : JSON.stringify(content));
  runSetup(t, c.setup ?? []);
  chmodSync(join(t, 'ro'), 0o555);
  // An unprivileged child must be able to read everything but write nowhere in ro/.
  chmodSync(t, 0o755);
  return t;
}

function runCase(c: Case, t: string): Promise<{ status: number | null; stderr: string; signal: string | null }> {
  const fill = (s: string) => s.replaceAll('$T', t).replaceAll('$ROOT', ROOT);
  const asNobody = c.asNobody && IS_ROOT;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...c.args.map(fill)], {
      env: { ...process.env, GITHUB_STEP_SUMMARY: '', ...Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, fill(v)])) },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: CASE_TIMEOUT_MS,
      ...(asNobody ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (status, signal) => resolve({ status, stderr, signal }));
  });
}

for (const c of cases) {
  test(`bad input: ${c.name}`, { skip: c.asNobody ? nobodyCannotRun : false }, async () => {
    const t = prepare(c);
    const before = snapshot(t);
    const r = await runCase(c, t);
    assert.equal(r.signal, null, `killed by ${r.signal} after ${CASE_TIMEOUT_MS} ms (a hang?); stderr: ${r.stderr}`);
    assert.equal(r.status, c.exit, r.stderr);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one stderr line, got:\n${r.stderr}`);
    assert.match(lines[0], new RegExp(c.stderr));
    assert.ok(!r.stderr.includes('    at '), 'no stack trace');
    assert.deepEqual(snapshot(t), before, 'nothing written, nothing deleted');
  });
}
