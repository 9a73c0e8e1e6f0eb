/** Cells told apart and comparisons that do not lie: distinct labels, id-keyed charts, --match, --label, "N of M matched". */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReport } from '../src/report/index.js';
import { runWorkload, summaryRows } from '../src/runner/index.js';
import { distinctLabels, labelMatches, summaryMarkdown } from '../src/runner/summary.js';
import { parseWorkload } from '../src/workload/index.js';
import { smallRun } from './support/results.js';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** A run of a workload that sweeps the cost profile: two cells per setup and flow whose own labels agree. */
async function profileSweep(name = 'sweep') {
  const raw = {
    schema: 1,
    name,
    measure: { samples: 0 },
    matrix: { guest: { ram: '64MiB' }, devices: { parent: 'mlx5', queuePairs: 1 }, kernel: 'reset-map', flow: ['workaround', 'persist'], events: ['boot', 'guest-reset', 'close'], profile: ['default', 'mlx5-2024'] },
  };
  const { workload, cells } = parseWorkload(raw, `${name}.json`);
  const dir = tempDir('cmp');
  const file = await runWorkload({ path: `${name}.json`, hash: `hash-of-${name}`, workload, cells }, { out: dir, threads: 2 });
  return { path: join(dir, 'results.json'), file };
}

const sweep = await profileSweep();
const small = await smallRun('small', 0);

test('a parameter that varies goes into every label and the summary table', () => {
  assert.equal(new Set(sweep.file.cells.map((c) => c.label)).size, 2, 'the cells own labels collide (the reason for this feature)');
  const labels = [...distinctLabels(sweep.file.cells).values()];
  assert.equal(new Set(labels).size, 4);
  assert.ok(labels.every((l) => /profile=(default|mlx5-2024)$/.test(l)), labels.join('; '));
  const rows = summaryRows(sweep.file.cells);
  assert.deepEqual(rows.map((r) => r.extras), [['default'], ['mlx5-2024']]);
  assert.match(summaryMarkdown(rows), /\| setup \| kernel, QEMU \| guest \| profile \| workaround\/reset/);
  assert.deepEqual([...distinctLabels(small.file.cells).values()], small.file.cells.map((c) => c.label), 'nothing is added where nothing varies beyond the label');
});

test('--filter words match whole label tokens: 4GiB is not 64GiB', () => {
  assert.ok(labelMatches('mlx5 reset-map persist 4GiB thp', '4gib'));
  assert.ok(!labelMatches('mlx5 reset-map persist 64GiB thp', '4GiB'));
  assert.ok(labelMatches('vdpa_sim/dma_map legacy persist 64GiB thp', 'vdpa_sim persist'));
  assert.ok(!labelMatches('vdpa_sim/dma_map legacy persist 64GiB thp', 'vdpa'));
  assert.ok(labelMatches('mlx5 reset-map persist 64MiB thp profile=mlx5-2024', 'profile=mlx5-2024'));
});

test('charts key cells by id: two cells with equal own labels stay two bars, never one stacked bar', async () => {
  const out = join(tempDir('cmp'), 'r');
  await writeReport([sweep.path], { out, noPng: true });
  const phases = JSON.parse(readFileSync(join(out, 'phases.vl.json'), 'utf8'));
  const bars = phases.layer[0];
  assert.equal(bars.encoding.y.field, 'key');
  const keys = new Set(bars.data.values.map((v: { key: string }) => v.key));
  assert.equal(keys.size, sweep.file.cells.length);
  const pinned = JSON.parse(readFileSync(join(out, 'pages-pinned.vl.json'), 'utf8'));
  const perKey = new Map<string, number>();
  for (const v of pinned.data.values) perKey.set(v.key, (perKey.get(v.key) ?? 0) + 1);
  assert.ok([...perKey.values()].every((n) => n === 1), 'one datum per cell: no doubled bar');
  const svg = readFileSync(join(out, 'phases.svg'), 'utf8');
  assert.match(svg, /profile=mlx5-2024/, 'tick labels are the distinct labels');
});

test('different workloads pair nothing and say "0 of N"; --match pairs them; --label names runs, reference first', async () => {
  const out = join(tempDir('cmp'), 'r');
  await writeReport([small.path, sweep.path], { out, noPng: true, labels: ['before', 'after'] });
  const md = readFileSync(join(out, 'summary.md'), 'utf8');
  assert.match(md, /0 of 4 cells of after matched a cell of before\./);
  assert.doesNotMatch(md, /No modeled figure changed/);
  const pinned = JSON.parse(readFileSync(join(out, 'pages-pinned.vl.json'), 'utf8'));
  assert.deepEqual(pinned.layer[0].encoding.color.scale.domain, ['before', 'after'], 'the reference leads the legend');

  const matched = join(tempDir('cmp'), 'r');
  // The sweep has two profiles per setup and flow: a key without the profile names two cells and is refused.
  await assert.rejects(writeReport([small.path, sweep.path], { out: matched, noPng: true, match: ['setup', 'kernel', 'flow'] }), /--match: .* names more than one cell/);
  const other = await profileSweep('sweep-b');
  await writeReport([sweep.path, other.path], { out: matched, noPng: true, labels: ['a', 'b'], match: ['setup', 'kernel', 'flow', 'profile'] });
  const md2 = readFileSync(join(matched, 'summary.md'), 'utf8');
  assert.match(md2, /4 of 4 cells of b matched a cell of a\./);
  assert.match(md2, /No modeled figure changed in the 4 paired cell\(s\)\./);
  const delta = JSON.parse(readFileSync(join(matched, 'delta.vl.json'), 'utf8'));
  assert.equal(delta.data.values.length, 4);
  assert.ok(delta.data.values.every((v: { value: number; text: string }) => v.value === 0 && v.text === '0 (no change)'));
});

test('--label needs one distinct name per file; --match names known fields (exit 2, one line)', () => {
  const out = join(tempDir('cmp'), 'r');
  const one = spawnSync(process.execPath, [CLI, 'report', small.path, sweep.path, '--label', 'only', '--out', out], { encoding: 'utf8' });
  assert.equal(one.status, 2);
  assert.equal(one.stderr, 'error: --label: 1 label(s) for 2 results file(s): give one per file, in order\n');
  const bad = spawnSync(process.execPath, [CLI, 'report', small.path, '--match', 'setup,colour', '--out', out], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^error: --match: unknown field 'colour' \(choose from setup, parent/);
});
