/**
 * The gate and the machine (#28): simulator timings from two machines (or
 * real timings from two testbeds) are reported, never gated, and every
 * output says why; modeled figures are gated all the same. And `--comment`:
 * a PR comment, verdict on line 1, that the workflow finds by its marker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMENT_MARKER, compareResults, defaultGateConfig } from '../src/gate/index.js';
import type { ResultsFile } from '../src/runner/index.js';
import { smallRun } from './support/results.js';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const base = await smallRun('gate-machine', 5);
const XEON = 'Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz';

function write(f: ResultsFile, name = 'current.json'): string {
  const p = join(tempDir('gate-machine'), name);
  writeFileSync(p, JSON.stringify(f));
  return p;
}
function variant(mut: (f: ResultsFile) => void): ResultsFile {
  const f = structuredClone(base.file);
  mut(f);
  return f;
}
/** Every simulator timing 10x slower: a regression on one machine, a different machine's speed on two. */
const tenTimesSlower = (f: ResultsFile) => {
  for (const c of f.cells) if (c.simulator?.wallNs) c.simulator.wallNs.samples = c.simulator.wallNs.samples.map((s) => s * 10 + 1e6);
};
const onXeon = (f: ResultsFile) => {
  f.provenance.cpu = XEON;
  f.provenance.cpus = 8;
};
const gate = (baseline: string, current: string, ...args: string[]) => spawnSync(process.execPath, [CLI, 'gate', '-b', baseline, '-c', current, ...args], { encoding: 'utf8', env: { ...process.env, GITHUB_STEP_SUMMARY: '' } });

test('run records the machine: CPU model, cores, platform, host kernel and Node', () => {
  const p = base.file.provenance;
  assert.ok(p.cpu && p.cpus > 0 && p.platform && p.node);
  assert.equal(typeof p.hostKernel, 'string');
  assert.ok(p.hostKernel!.length > 0);
});

test('two runs on different CPUs: slower simulator timings are reported, not gated, and the gate says the machine changed', () => {
  const timed = base.file.cells.filter((c) => c.simulator?.wallNs).length;
  assert.ok(timed > 0);
  const current = write(variant((f) => (tenTimesSlower(f), onXeon(f))));
  for (const mode of ['report', 'gate']) {
    const r = gate(base.path, current, '--simulator', mode);
    assert.equal(r.status, 0, `--simulator ${mode}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /### vdpa-lab gate: pass/);
    assert.doesNotMatch(r.stdout, /[1-9]\d* regressed/, 'no false regressions');
    assert.ok(r.stdout.includes(`machine changed: cpu ${base.file.provenance.cpu} -> ${XEON}; cores ${base.file.provenance.cpus} -> 8`), r.stdout);
    assert.match(r.stdout, new RegExp(`[1-9]\\d* slower, 0 faster of ${timed}, reported, not gated`));
  }
  const json = JSON.parse(gate(base.path, current, '--json').stdout) as ReturnType<typeof compareResults>;
  assert.equal(json.simulatorRegressions, 0);
  assert.match(json.notGated.simulator!, /^machine changed: cpu /);
  const sim = json.rows.filter((r) => r.kind === 'simulator');
  assert.ok(sim.every((r) => ['slower', 'noise'].includes(r.verdict) && r.rule.startsWith('not gated (machine changed: cpu ')));
  assert.ok(sim.some((r) => r.verdict === 'slower'), 'the timings that moved are called slower');
  // JUnit: no failure, and each cell's output says why.
  const xml = join(tempDir('gate-machine'), 'gate.xml');
  assert.equal(gate(base.path, current, '--simulator', 'gate', '--junit', xml).status, 0);
  const junit = readFileSync(xml, 'utf8');
  assert.match(junit, /failures="0"/);
  assert.match(junit, /slower: not gated \(machine changed: cpu /);
});

test('the same machine still regresses, and modeled changes are gated across machines', () => {
  const sameMachine = gate(base.path, write(variant(tenTimesSlower)), '--simulator', 'gate');
  assert.equal(sameMachine.status, 1, sameMachine.stdout);
  assert.match(sameMachine.stdout, /Simulator \(the lab's wall clock\): [1-9]\d* regressed/);
  const modeled = variant((f) => {
    onXeon(f);
    const c = f.cells.find((x) => x.status === 'ok' && x.modeled)!;
    c.modeled!.totalNs += 1;
  });
  const r = gate(base.path, write(modeled));
  assert.equal(r.status, 1, 'a modeled change fails on any machine');
  assert.match(r.stdout, /Deterministic \(modeled\) changes: 1\./);
});

test('a file from before the host kernel was recorded is compared on what both files hold', () => {
  const old = variant((f) => delete f.provenance.hostKernel);
  const o = compareResults(old, variant(tenTimesSlower), defaultGateConfig());
  assert.equal(o.notGated.simulator, null, 'an unknown field is not a change');
  assert.ok(o.simulatorRegressions > 0);
  const kernel = compareResults(base.file, variant((f) => (f.provenance.hostKernel = '0.0.1-other')), defaultGateConfig());
  assert.match(kernel.notGated.simulator!, /host kernel .* -> 0\.0\.1-other/);
});

test('real figures: another real kernel (or accel) is another testbed, reported with why', () => {
  const withReal = (kernel: string, scale: number) =>
    variant((f) => {
      f.provenance.real = { backend: 'vm:6.12', kernel, accel: 'tcg', cycles: 5 };
      for (const c of f.cells) c.real = { backend: 'vm:6.12', kernel, accel: 'tcg', status: 'agree', reason: null, events: [], resetCycleNs: { median: 1e6 * scale, samples: [1, 2, 3, 4, 5].map((k) => (1e6 + k * 1e3) * scale) }, perResetNs: null };
    });
  const same = compareResults(withReal('6.12.0-1', 1), withReal('6.12.0-1', 3), defaultGateConfig());
  assert.ok(same.rows.some((r) => r.kind === 'real' && r.verdict === 'regressed'));
  const other = compareResults(withReal('6.12.0-1', 1), withReal('6.12.0-2', 3), defaultGateConfig());
  assert.equal(other.notGated.simulator, null, 'the simulator ran on one machine');
  assert.equal(other.notGated.real, 'testbed changed: real kernel 6.12.0-1 -> 6.12.0-2');
  assert.ok(other.rows.filter((r) => r.kind === 'real').every((r) => r.verdict === 'slower'));
});

test('--comment: verdict on line 1, what changed, the tables folded, the marker last; only its own file is replaced', () => {
  const dir = tempDir('gate-machine');
  const comment = join(dir, 'comment.md');
  const current = write(variant((f) => (tenTimesSlower(f), onXeon(f))));
  const r = gate(base.path, current, '--comment', comment);
  assert.equal(r.status, 0, r.stderr);
  const text = readFileSync(comment, 'utf8');
  const lines = text.split('\n');
  assert.match(lines[0], /^\*\*vdpa-lab gate: pass\*\* — 0 modeled changes, \d+ simulator timings slower \(not gated: machine changed\)$/);
  assert.ok(text.indexOf('What changed:') < text.indexOf('<details>'), 'changes before the fold');
  assert.match(text, /Machine changed: cpu .*: simulator timings reported, not gated\./);
  assert.equal(text.trimEnd().split('\n').at(-1), COMMENT_MARKER);
  // A modeled change: FAIL on line 1, the figure and its change listed.
  const changed = variant((f) => (f.cells.find((x) => x.status === 'ok' && x.modeled)!.modeled!.totalNs *= 2));
  assert.equal(gate(base.path, write(changed), '--comment', comment).status, 1);
  const failed = readFileSync(comment, 'utf8');
  assert.match(failed.split('\n')[0], /^\*\*vdpa-lab gate: FAIL\*\* — 1 modeled change/);
  assert.match(failed, /modeled\.totalNs \(modeled\): .* → .* \(\+100\.00%\), regressed/);
  // Someone else's file is not replaced without --force.
  const notes = join(dir, 'notes.md');
  writeFileSync(notes, 'my notes\n');
  const refused = gate(base.path, current, '--comment', notes);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /notes\.md exists and is not a gate comment vdpa-lab wrote: --force replaces it/);
  assert.equal(refused.stderr.split('\n').length, 2);
  assert.equal(readFileSync(notes, 'utf8'), 'my notes\n');
  assert.equal(gate(base.path, current, '--comment', notes, '--force').status, 0);
});
