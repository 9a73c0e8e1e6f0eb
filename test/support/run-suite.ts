/**
 * `npm test`: node's test runner over the compiled test files (all of
 * dist/test/*.test.js, or the files named; flags go to node --test), in a
 * fresh $TMPDIR of its own.
 * Each test file removes its scratch directories (support/temp-dir.ts), and
 * every command a test runs cleans up after itself, so that directory must
 * be empty at the end: anything left in it is named and fails the run (then
 * removed, so a failed run leaves nothing behind either).
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const TEST_DIR = fileURLToPath(new URL('..', import.meta.url));

// Flags (--test-name-pattern=...) go to node's runner as they are; other arguments name test files.
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const named = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const files = named.length
  ? named
  : readdirSync(TEST_DIR)
      .filter((f) => f.endsWith('.test.js'))
      .sort()
      .map((f) => relative(process.cwd(), join(TEST_DIR, f)));

// Test files at a time. Node's default is one less than the cores: one at a time on CI's 2 cores, where most
// files wait on the CLI processes and VMs they start and a run kept 1.33 cores busy on average (docs/ci.md,
// "CI time"). --test-concurrency=N given to this script wins.
const concurrency = flags.some((f) => f.startsWith('--test-concurrency')) ? [] : [`--test-concurrency=${Math.max(2, availableParallelism() - 1)}`];

const runTmp = mkdtempSync(join(tmpdir(), 'vdpa-lab-test-run-'));
// As /tmp is: the tests that run the CLI as nobody need to reach (and may write) their temp files in it.
chmodSync(runTmp, 0o1777);
// Ctrl-C reaches the runner's children too; this process stays to clean up after them.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => undefined);

const child = spawn(process.execPath, ['--test', '--test-reporter=spec', ...concurrency, ...flags, ...files], { stdio: 'inherit', env: { ...process.env, TMPDIR: runTmp } });
child.on('exit', (code, signal) => {
  const left = readdirSync(runTmp);
  for (const name of left) rmSync(join(runTmp, name), { recursive: true, force: true });
  rmSync(runTmp, { recursive: true, force: true });
  if (left.length) {
    process.stderr.write(`\nerror: the test run left ${left.length} entr${left.length === 1 ? 'y' : 'ies'} in its TMPDIR (${runTmp}), now removed: ${left.join(', ')}\n`);
    process.stderr.write('a test must take its scratch directories from test/support/temp-dir.ts, and a command must remove its own temp files\n');
  }
  process.exitCode = left.length ? 1 : (code ?? 1);
  if (signal && code === null) process.exitCode = 1;
});
