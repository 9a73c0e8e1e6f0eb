/** `vdpa-lab run` and `calibrate` as a user drives them: exit codes, outputs, and nothing written on bad input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

function workloadFile(matrix: object): string {
  const dir = tempDir('cli');
  const file = join(dir, 'w.json');
  writeFileSync(file, JSON.stringify({ schema: 1, name: 'cli-test', measure: { samples: 1 }, matrix }));
  return file;
}

const SMALL = { guest: { ram: '32MiB' }, devices: { parent: 'vdpa_sim' }, kernel: ['legacy', 'reset-map'], flow: ['workaround', 'persist', 'naive'], events: ['boot', 'guest-reset'] };

test('run prints the summary, writes results.json and exits 0 (n/a and incorrect cells are findings)', () => {
  const out = tempDir('out');
  const r = cli(['run', workloadFile(SMALL), '--out', out, '--threads', '2']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Modeled cost of one device reset/);
  assert.match(r.stdout, /6 cells: 3 ok, 2 incorrect, 1 n\/a, 0 failed/);
  assert.match(r.stderr, /\[6\/6\]/, 'progress lines on a non-TTY stderr');
  assert.ok(existsSync(join(out, 'results.json')));
});

test('run --json prints the results file and nothing else on stdout', () => {
  const out = tempDir('out');
  const r = cli(['run', workloadFile(SMALL), '--out', out, '--json', '--quiet', '--samples', '0']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const file = JSON.parse(r.stdout);
  assert.equal(file.schema, 'vdpa-lab/results@3');
  assert.equal(file.cells.length, 6);
  assert.equal(file.cells[0].simulator.wallNs, null);
});

test('run --filter keeps the cells whose label has every given text, and refuses a filter that keeps none', () => {
  const out = tempDir('out');
  const r = cli(['run', workloadFile(SMALL), '--out', out, '--json', '--quiet', '--samples', '0', '--filter', 'RESET-MAP', '--filter', 'persist']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).cells.map((c: { label: string }) => c.label), ['vdpa_sim reset-map qemu-10.0 persist 32MiB thp']);
  const none = cli(['run', workloadFile(SMALL), '--out', out, '--filter', 'mlx5']);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^error: --filter: 'mlx5' matches none of the 6 cells/);
});

test('a bad workload exits 2 with one line naming the JSON path, and writes nothing', () => {
  const out = join(tempDir('out'), 'never');
  for (const [matrix, re] of [
    [{ ...SMALL, guest: { ram: '0x1001' } }, /matrix\.guest\.ram: guest RAM must be at least/],
    [{ ...SMALL, guest: { ram: '33MiB' } }, /matrix\.guest\.ram: guest RAM must be a multiple of 2097152 bytes/],
    [{ ...SMALL, events: ['boot', 'suspend'] }, /matrix\.events\[1\]/],
    [{ ...SMALL, memlock: '1MiB' }, /matrix\.memlock: 1048576 bytes is below one map/],
  ] as const) {
    const r = cli(['run', workloadFile(matrix), '--out', out]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!r.stderr.includes('    at '), 'no stack trace');
    assert.ok(!existsSync(out), 'nothing written');
  }
  const r = cli(['run', '/nonexistent.json', '--out', out]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /\/nonexistent\.json: cannot read the workload \(ENOENT\)/);
  assert.equal(cli(['run', workloadFile(SMALL), '--threads', '0']).status, 2);
});

test('calibrate prints a profile whose fitted price names its source', () => {
  const r = cli(['calibrate', fileURLToPath(new URL('../../workloads/calibration/qemu-39g.json', import.meta.url))]);
  assert.equal(r.status, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  assert.match(p.prices.pagesPinned.source, /^FITTED by `vdpa-lab calibrate/);
  assert.match(r.stderr, /2\.630 s +2\.630 s/);
});

test('profile runs one cell under node --cpu-prof (clinic is optional) and names the hottest functions', () => {
  const out = tempDir('prof');
  const w = workloadFile(SMALL);
  const r = cli(['profile', w, '--cell', 'reset-map workaround', '--out', out, '--tool', 'cpu-prof']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /profiling vdpa_sim reset-map qemu-10.0 workaround 32MiB thp/);
  assert.match(r.stdout, /function \(self time\)/);
  const file = /cpu profile: (.*\.cpuprofile)/.exec(r.stdout)![1];
  assert.ok(JSON.parse(readFileSync(file, 'utf8')).nodes.length > 10);
  const bad = cli(['profile', w, '--cell', '99', '--out', out]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^error: --cell: index 99 is out of range \(the workload has 6 cells\)/);
  const ambiguous = cli(['profile', w, '--cell', 'vdpa_sim', '--out', out]);
  assert.equal(ambiguous.status, 2);
  assert.match(ambiguous.stderr, /matches 6 cells/);
});
