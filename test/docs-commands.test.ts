/**
 * Docs that run (#28): every command README.md shows in a ```sh block, and
 * every example of every command's --help, is run as written, each README
 * block as one script and each help example alone, in a fresh temp directory
 * that holds what the repo root holds after `npm start` (workloads/,
 * reports/baseline.json, reports/real/, and npm start's run in
 * reports/latest/, so an example that would refuse to overwrite it fails
 * here too) plus what the example says it reads (a QEMU trace `vm.log`,
 * shards under parts/).
 *
 * Kinds: a README block tagged `setup` (install, `npm start`, `npm test`) is
 * checked, not re-run inside the tests; `real-kernel` (and a help example
 * naming vm:, bench kernel or kernels prepare) runs when its kernels are
 * prepared and always under env CI; a `device:` example (a host device, sudo)
 * and the few LONG help examples (minutes) are checked at --help level only:
 * the subcommand exists and --help lists each flag. Every command gets that
 * check. The README's `text npm-start` and `text output` blocks must appear
 * in what their command prints, and its `text commands` summary must list
 * exactly the options of each command's --help.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fencedBlocks, helpExamples, helpOptions, helpSubcommands, invocations, shellCommands, summaryFlags, type Block } from './support/doc-commands.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli/main.js');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const TRACE = 'workloads/traces/qemu-7.2-vdpa_sim-6.12.117-baseline.log';

/** Help examples that take minutes (whole benchmarks, 64-256 GiB guests, a kernel build from empty): --help-level check only. */
const LONG = [
  /^vdpa-lab bench (iotlb|run)\b/,
  /^vdpa-lab bench pin$/,
  /^vdpa-lab bench kernel($| .*--gib 1,4)/,
  /guest-size-sweep/,
  /^VDPA_LAB_CACHE=/,
  // Downloads a QEMU release, or runs one under nested TCG (minutes): test/qemu-record-real.test.ts runs one.
  /^vdpa-lab qemu (prepare|record)\b/,
];

function cli(args: string[], cwd = ROOT): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
}

// --- The command tree, read from --help ---------------------------------------------------------
const HELP = new Map<string, string>();
(function walk(path: string[]) {
  const r = cli([...path, '--help']);
  assert.equal(r.status, 0, `vdpa-lab ${path.join(' ')} --help: ${r.stderr}`);
  HELP.set(path.join(' '), r.stdout);
  for (const sub of helpSubcommands(r.stdout)) walk([...path, sub]);
})([]);
const PATHS = new Set([...HELP.keys()].filter((p) => p !== ''));

/** Each vdpa-lab invocation names a command that exists, and its --help lists every flag it passes. */
function checkAgainstHelp(line: string): void {
  for (const inv of invocations(line, PATHS)) {
    if (inv.path.length === 0 && inv.flags.every((f) => ['--help', '-h', '--version', '-V'].includes(f))) continue;
    const help = HELP.get(inv.path.join(' '));
    assert.ok(help !== undefined && inv.path.length > 0, `${line}: no such command`);
    assert.ok(helpSubcommands(help).length === 0, `${line}: '${inv.path.join(' ')}' needs a subcommand`);
    const { long, short } = helpOptions(help);
    for (const f of inv.flags) assert.ok(long.has(f) || short.has(f) || f === '--help', `${line}: vdpa-lab ${inv.path.join(' ')} --help lists no ${f}`);
  }
}

// --- Where examples run ------------------------------------------------------------------------
const WORK = mkdtempSync(join(tmpdir(), 'vdpa-lab-docs-'));
const BIN = join(WORK, 'bin');
const SEEDS = join(WORK, 'seeds');
let npmStartOutput = '';
let partsSeed: Promise<void> | null = null;

before(async () => {
  // `vdpa-lab` on PATH, as `npm link` or `npm i -g .` would put it; README's `npx vdpa-lab` maps to it.
  mkdirSync(BIN);
  writeFileSync(join(BIN, 'vdpa-lab'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
  // What `npm start` runs (its script, checked below), once: reports/latest for the examples that read it.
  const r = await sh(`vdpa-lab run workloads/default.json --out ${join(SEEDS, 'latest')} --force --samples 1 --quiet`, ROOT);
  assert.equal(r.status, 0, r.stderr);
  npmStartOutput = r.stdout;
});

after(() => rmSync(WORK, { recursive: true, force: true }));

/** A fresh directory holding the repo root's inputs, and the seeds the command reads. */
async function workdir(script: string): Promise<string> {
  const dir = mkdtempSync(join(WORK, 'ex-'));
  symlinkSync(join(ROOT, 'workloads'), join(dir, 'workloads'));
  mkdirSync(join(dir, 'reports'));
  cpSync(join(ROOT, 'reports/baseline.json'), join(dir, 'reports/baseline.json'));
  symlinkSync(join(ROOT, 'reports/real'), join(dir, 'reports/real'));
  // Every example runs as it would right after `npm start` (README says so): reports/latest holds its run.
  cpSync(join(SEEDS, 'latest'), join(dir, 'reports/latest'), { recursive: true });
  // vm.log: the trace a user's QEMU wrote (`-trace 'vhost_vdpa_*' -D vm.log`); the shipped one stands in.
  if (/\bvm\.log\b/.test(script)) cpSync(join(ROOT, TRACE), join(dir, 'vm.log'));
  if (/\bmerge parts\//.test(script) && !/run .*--shard/.test(script)) {
    partsSeed ??= seedParts();
    await partsSeed;
    cpSync(join(SEEDS, 'parts'), join(dir, 'parts'), { recursive: true });
  }
  return dir;
}

/** Three shards of one small run, for help examples that merge parts/shard-*. */
async function seedParts(): Promise<void> {
  for (const i of [1, 2, 3]) {
    const r = await sh(`vdpa-lab run workloads/parent-comparison.json --filter vduse --shard ${i}/3 --out ${join(SEEDS, `parts/shard-${i}`)} --samples 0 --quiet`, ROOT);
    assert.equal(r.status, 0, r.stderr);
  }
}

function sh(script: string, cwd: string, timeoutMs = 10 * 60_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], {
      cwd,
      env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, GITHUB_STEP_SUMMARY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

// --- Real kernels ------------------------------------------------------------------------------
const CI = Boolean(process.env.CI);
const prepared: Set<string> = (() => {
  const r = cli(['kernels', 'list', '--json']);
  if (r.status !== 0) return new Set<string>();
  const list = JSON.parse(r.stdout) as { kernels: { alias: string; prepared: boolean }[] };
  return new Set(list.kernels.filter((k) => k.prepared).map((k) => k.alias));
})();

/** The kernels a command needs: vm:K, bench kernel's --kernel (6.12 by default), kernels prepare's --kernel (both by default). */
function kernelsNeeded(script: string): string[] {
  const out = new Set([...script.matchAll(/vm:(\d+\.\d+)/g)].map((m) => m[1]));
  if (/bench kernel/.test(script)) out.add(/bench kernel.*--kernel (\S+)/.exec(script)?.[1] ?? '6.12');
  if (/kernels prepare/.test(script)) for (const k of (/kernels prepare.*--kernel (\S+)/.exec(script)?.[1] ?? '6.1,6.12').split(',')) out.add(k);
  return [...out];
}

type Kind = 'run' | 'kernel' | 'help-only';

function kindOf(script: string, tags: string[]): Kind {
  if (/\bsudo\b|device:/.test(script) || tags.includes('long') || LONG.some((r) => r.test(script))) return 'help-only';
  if (tags.includes('real-kernel') || kernelsNeeded(script).length > 0) return 'kernel';
  return 'run';
}

/** Scripts already run (the same example in README and in two --help texts runs once). */
const ran = new Set<string>();

async function runExample(t: { diagnostic(m: string): void }, script: string, tags: string[], expect: string[] = []): Promise<void> {
  for (const line of script.split('\n')) checkAgainstHelp(line);
  if (expect.length === 0 && ran.has(script)) return t.diagnostic('ran above, as written elsewhere');
  ran.add(script);
  const kind = kindOf(script, tags);
  if (kind === 'help-only') return t.diagnostic('checked against --help only (a host device, or minutes long)');
  if (kind === 'kernel') {
    const missing = kernelsNeeded(script).filter((k) => !prepared.has(k));
    if (missing.length > 0 && !CI) return t.diagnostic(`checked against --help only: kernel ${missing.join(', ')} not prepared (vdpa-lab kernels prepare)`);
  }
  const dir = await workdir(script);
  try {
    const r = await sh(script, dir);
    assert.equal(r.status, 0, `${script}\nexit ${r.status}\n${r.stderr.slice(-2000)}`);
    for (const l of expect) assert.ok(r.stdout.includes(l), `${script}: the README shows a line it did not print:\n${l}\n--- printed:\n${r.stdout.slice(0, 3000)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- README --------------------------------------------------------------------------------------
const blocks = fencedBlocks(README);
const shown = (b: Block) => b.lines.filter((l) => l.trim() !== '' && l.trim() !== '...');
/** README's commands as run here: `npx vdpa-lab` and `npm exec vdpa-lab --` are the vdpa-lab on PATH. */
const asRun = (c: string) => c.replace(/\bnpx vdpa-lab\b/g, 'vdpa-lab').replace(/\bnpm exec vdpa-lab --/g, 'vdpa-lab');

// Examples run two at a time (this machine has two cores); each in its own directory.
describe('README blocks', { concurrency: 2 }, () => {
  blocks.forEach((b, i) => {
    if (b.info[0] !== 'sh') return;
    const tags = b.info.slice(1);
    const commands = shellCommands(b.lines);
    if (tags.includes('setup')) {
      test(`README setup block (line ${b.line}): ${commands.join('; ')}`, () => {
        const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };
        for (const c of commands) {
          for (const m of c.matchAll(/npm (?:run )?(start|test|build)\b/g)) assert.ok(pkg.scripts[m[1]], `package.json has no script ${m[1]}`);
          checkAgainstHelp(asRun(c));
        }
        assert.match(pkg.scripts.start, /cli\/main\.js run workloads\/default\.json/, 'npm start runs the default workload, as the seed run here does');
        assert.match(readFileSync(join(ROOT, pkg.bin['vdpa-lab']), 'utf8'), /^#!\/usr\/bin\/env node/, "package.json's bin is an executable node script");
        // npx links the bin once per clone path and chmods it only then: a later clone at the same path (CI's) runs
        // a freshly built bin through the old link, so the build itself must leave it executable.
        assert.ok((statSync(join(ROOT, pkg.bin['vdpa-lab'])).mode & 0o111) !== 0, `npm run build leaves ${pkg.bin['vdpa-lab']} executable`);
        // npx resolves the clone's own bin from its root (README: `npx vdpa-lab --help`).
        for (const args of [['npx', '--no-install', 'vdpa-lab', '--version'], ['npm', 'exec', '--no', 'vdpa-lab', '--', '--version']]) {
          const r = spawnSync(args[0], args.slice(1), { cwd: ROOT, encoding: 'utf8' });
          assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
          assert.match(r.stdout, /^\d+\.\d+\.\d+/);
        }
      });
      return;
    }
    // A block that needs a real kernel says so: in its info string (for this test) and in a first comment line (for readers).
    const needsKernel = commands.some((c) => kernelsNeeded(c).length > 0);
    test(`README block (line ${b.line}) is marked as it runs`, () => {
      assert.equal(tags.includes('real-kernel'), needsKernel, `a block that needs a real kernel is \`\`\`sh real-kernel, and only such a block`);
      if (needsKernel) assert.match(b.lines[0], /^# real kernels/, 'its first line is a "# real kernels: ..." comment');
    });
    const next = blocks[i + 1];
    const expect = next?.info[0] === 'text' && next.info.includes('output') ? shown(next) : [];
    test(`README block (line ${b.line}): ${commands.join(' && ')}`, (t) => runExample(t, commands.map(asRun).join('\n'), tags, expect));
  });
});

test('README and docs/running.md: the npm start tables are what npm start prints', () => {
  for (const [name, md] of [['README.md', README], ['docs/running.md', readFileSync(join(ROOT, 'docs/running.md'), 'utf8')]]) {
    const b = fencedBlocks(md).find((x) => x.info[0] === 'text' && x.info.includes('npm-start'));
    assert.ok(b, `${name} has a \`\`\`text npm-start block`);
    for (const l of shown(b)) assert.ok(npmStartOutput.includes(l), `${name}: npm start did not print:\n${l}\n--- it printed:\n${npmStartOutput}`);
  }
});

test("README: the command summary lists exactly each command's options", () => {
  const b = blocks.find((x) => x.info[0] === 'text' && x.info.includes('commands'));
  assert.ok(b, 'README has a ```text commands block');
  const summary = summaryFlags(b.lines, PATHS);
  for (const [path, help] of HELP) {
    if (path === '' || helpSubcommands(help).length > 0) continue;
    const listed = summary.get(path);
    assert.ok(listed, `the summary has no entry for vdpa-lab ${path}`);
    assert.deepEqual([...listed].sort(), [...helpOptions(help).long].sort(), `vdpa-lab ${path}: summary vs --help`);
  }
  for (const path of summary.keys()) assert.ok(PATHS.has(path), `the summary names vdpa-lab ${path}, which does not exist`);
});

test('README links only files the repository has', () => {
  for (const m of README.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)) {
    if (/^[a-z]+:/.test(m[1])) continue;
    assert.ok(spawnSync('test', ['-e', join(ROOT, m[1])]).status === 0, `README links ${m[1]}, which does not exist`);
  }
  assert.ok(README.includes('](docs/domain.md)'), 'README links the domain document');
});

// --- --help examples -----------------------------------------------------------------------------
describe('--help examples', { concurrency: 2 }, () => {
  for (const [path, help] of HELP) {
    for (const example of helpExamples(help)) {
      test(`vdpa-lab ${path || '(main)'} --help example: ${example}`, (t) => runExample(t, example, []));
    }
  }
});
