/** `vdpa-lab merge`: three shards of parent-comparison.json merge into the unsharded run; unlike parts are refused. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const PARENTS = fileURLToPath(new URL('../../workloads/parent-comparison.json', import.meta.url));
const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

const root = tempDir('merge');
const dir = (name: string) => join(root, name);

function run(workload: string, out: string, shard?: string): void {
  const r = cli(['run', workload, ...(shard ? ['--shard', shard] : []), '--out', out, '--samples', '2', '--threads', '2', '--quiet']);
  assert.equal(r.status, 0, r.stderr);
}

/** A copy of a part with its results.json edited. */
function editedCopy(from: string, name: string, edit: (file: { provenance: Record<string, unknown> }) => void): string {
  const to = dir(name);
  mkdirSync(to);
  const file = readJson(join(from, 'results.json'));
  edit(file);
  writeFileSync(join(to, 'results.json'), JSON.stringify(file));
  return to;
}

before(() => {
  run(PARENTS, dir('whole'));
  for (const i of [1, 2, 3]) run(PARENTS, dir(`shard-${i}`), `${i}/3`);
});

const simulatorApart = (c: Record<string, unknown>) => ({ ...c, simulator: null });

test('three shards of parent-comparison.json merge into the unsharded run, cell for cell', () => {
  const r = cli(['merge', dir('shard-3'), dir('shard-1'), dir('shard-2'), '--out', dir('merged')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /merged 3 shards \(1\/3 on .+, 2\/3 on .+, 3\/3 on .+\): 30 cells: 18 ok, 6 incorrect, 6 n\/a, 0 failed/);
  const whole = readJson(join(dir('whole'), 'results.json'));
  const merged = readJson(join(dir('merged'), 'results.json'));
  assert.equal(merged.cells.length, whole.cells.length);
  assert.deepEqual(new Set(whole.cells.map((c: { status: string }) => c.status)), new Set(['ok', 'incorrect', 'n/a']), 'the workload exercises every status but failed');
  whole.cells.forEach((w: Record<string, unknown>, i: number) => {
    const m = merged.cells[i];
    // Same cell in the same place, every modeled figure, status, reason, counter and invariant, and in the same key order.
    assert.equal(JSON.stringify(simulatorApart(m)), JSON.stringify(simulatorApart(w)), `cell ${i}: ${w.label as string}`);
    if (w.simulator) assert.ok((m.simulator as { wallNs: { samples: number[] } }).wallNs.samples.length > 0, 'simulator figures come along from the shard');
  });
  assert.equal(merged.provenance.workload.hash, whole.provenance.workload.hash);
  assert.deepEqual(merged.provenance.profiles, whole.provenance.profiles);
  assert.equal(merged.provenance.shard, undefined, 'the merged file is the whole run, not a shard');
  assert.deepEqual(merged.provenance.parts.map((p: { shard: string }) => p.shard), ['1/3', '2/3', '3/3']);
  for (const [k, p] of merged.provenance.parts.entries()) {
    const part = readJson(join(dir(`shard-${k + 1}`), 'results.json'));
    assert.equal(p.host, part.provenance.shard.host);
    assert.equal(p.cpu, part.provenance.cpu);
    assert.equal(p.startedAt, part.provenance.startedAt);
    assert.equal(p.cells, 10);
  }
});

test('report and gate read the merged file unchanged; the gate finds no modeled change against the unsharded run', () => {
  const merged = join(dir('merged'), 'results.json');
  if (!existsSync(merged)) assert.equal(cli(['merge', dir('shard-1'), dir('shard-2'), dir('shard-3'), '--out', dir('merged')]).status, 0);
  const report = cli(['report', merged, '--out', dir('report'), '--no-png', '--quiet']);
  assert.equal(report.status, 0, report.stderr);
  assert.match(readFileSync(join(dir('report'), 'summary.md'), 'utf8'), /parent-comparison/);
  const gate = cli(['gate', '--baseline', join(dir('whole'), 'results.json'), '--current', merged, '--simulator', 'report']);
  assert.equal(gate.status, 0, gate.stdout + gate.stderr);
  assert.match(gate.stdout, /30 cells compared\. Deterministic \(modeled\) changes: 0\./);
});

/** Runs a merge that must be refused: exit 2, one line matching `re`, no output directory. */
function refused(parts: string[], re: RegExp): void {
  const out = join(root, `refused-${Math.random().toString(36).slice(2)}`);
  const r = cli(['merge', ...parts, '--out', out]);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, re);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.ok(!r.stderr.includes('    at '), 'no stack trace');
  assert.ok(!existsSync(out), 'nothing written');
}

test('merging shards of different workloads exits 2 naming both workloads', () => {
  const tiny = join(root, 'tiny.json');
  writeFileSync(tiny, JSON.stringify({ schema: 1, name: 'tiny', measure: { samples: 1 }, matrix: { guest: { ram: '32MiB' }, devices: { parent: 'vdpa_sim' }, kernel: ['legacy', 'reset-map'], flow: ['workaround', 'persist', 'naive'] } }));
  run(tiny, dir('tiny-3'), '3/3');
  refused([dir('shard-1'), dir('shard-2'), dir('tiny-3')], /tiny-3: is a part of another workload than .*shard-1 \(tiny sha256 [0-9a-f]{12} vs parent-comparison sha256 [0-9a-f]{12}\)/);
});

test('a shard given twice exits 2 naming both copies', () => {
  cpSync(dir('shard-2'), dir('shard-2-copy'), { recursive: true });
  refused([dir('shard-1'), dir('shard-2'), dir('shard-2-copy'), dir('shard-3')], /shard-2-copy: is shard 2\/3 again \(.*shard-2 is that shard too\)/);
});

test('a missing shard exits 2 and lists its cells', () => {
  const missing = readJson(join(dir('shard-3'), 'results.json')).cells.map((c: { label: string }) => c.label);
  const out = dir('never');
  const r = cli(['merge', dir('shard-1'), dir('shard-2'), '--out', out]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^error: merge: shard 3\/3 missing; 10 of 30 cells are in no part: /);
  for (const label of missing) assert.ok(r.stderr.includes(label), `names ${label}`);
  assert.ok(!existsSync(out), 'nothing written');
});

test('another cost profile, another lab commit, another shard count or an unsharded run is refused', () => {
  const otherProfile = editedCopy(dir('shard-3'), 'other-profile', (f) => {
    f.provenance.profiles = { default: '0'.repeat(64) };
  });
  refused([dir('shard-1'), dir('shard-2'), otherProfile], /other-profile: used another cost profile "default" than .*shard-1 \(sha256 000000000000 vs [0-9a-f]{12}\)/);
  const otherLab = editedCopy(dir('shard-3'), 'other-lab', (f) => {
    f.provenance.gitCommit = 'f'.repeat(40);
  });
  refused([dir('shard-1'), dir('shard-2'), otherLab], /other-lab: was run by another lab version than .*shard-1 \(vdpa-lab 0\.1\.0 @ ffffffffffff vs /);
  run(PARENTS, dir('half-1'), '1/2');
  refused([dir('shard-1'), dir('half-1')], /half-1: is shard 1\/2 but .*shard-1 is 1\/3: shards of different counts overlap/);
  refused([dir('shard-1'), dir('whole')], /whole\/results\.json: provenance\.shard: is not a shard's results \(it was run without --shard\)/);
  const unfinished = dir('unfinished');
  cpSync(dir('shard-3'), unfinished, { recursive: true });
  rmSync(join(unfinished, 'results.json'));
  refused([dir('shard-1'), dir('shard-2'), unfinished], /unfinished: holds no results\.json, only a journal: the shard did not finish \(run it again with --resume/);
});

test('merge writes only into a new or empty directory or an earlier merge, never into a shard\'s run directory', () => {
  const r = cli(['merge', dir('shard-1'), dir('shard-2'), dir('shard-3'), '--out', dir('shard-1')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /shard-1 was made by 'vdpa-lab run', not 'merge'/);
  const again = dir('merged-twice');
  for (let k = 0; k < 2; k++) assert.equal(cli(['merge', dir('shard-1'), dir('shard-2'), dir('shard-3'), '--out', again, '--json']).status, 0);
  assert.equal(readJson(join(again, 'results.json')).cells.length, 30);
});

test('shards of a real run keep its testbed in the merged provenance; a shard of another testbed (here another guest clock) is refused', () => {
  const real = { backend: 'vm:6.12', kernel: '6.12.117+deb12-amd64', accel: 'tcg', clock: 'icount', cycles: 3 };
  const parts = [1, 2, 3].map((i) =>
    editedCopy(dir(`shard-${i}`), `real-${i}`, (f) => {
      f.provenance.real = real;
    }),
  );
  const out = dir('real-merged');
  const r = cli(['merge', ...parts, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readJson(join(out, 'results.json')).provenance.real, real);
  const wall = editedCopy(dir('shard-3'), 'real-wall', (f) => {
    f.provenance.real = { ...real, clock: undefined };
  });
  refused([parts[0], parts[1], wall], /real-wall: ran on another real testbed than .*real-1 \(vm:6\.12 6\.12\.117\+deb12-amd64 tcg clock wall cycles 3 vs vm:6\.12 6\.12\.117\+deb12-amd64 tcg clock icount cycles 3\)/);
  refused([parts[0], parts[1], dir('shard-3')], /shard-3: ran on another real testbed than .*real-1 \(model only vs /);
});
