/** `vdpa-lab report`: charts built from results files only, rendered, and never left half-written. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReport } from '../src/report/index.js';
import { smallRun } from './support/results.js';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const run = await smallRun();

test('every chart is a spec, an SVG and a PNG; the page and summary.md are written', async () => {
  const out = join(tempDir('report'), 'r');
  const r = await writeReport([run.path], { out });
  assert.deepEqual(r.charts, ['reset-cost', 'phases', 'events', 'ratio', 'pages-pinned', 'dma-blackout', 'wall-time']);
  for (const c of r.charts) {
    assert.match(readFileSync(join(out, `${c}.svg`), 'utf8'), /^<svg/);
    assert.deepEqual([...readFileSync(join(out, `${c}.png`)).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    JSON.parse(readFileSync(join(out, `${c}.vl.json`), 'utf8'));
  }
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  assert.ok(!/<script[^>]+src=/.test(html), 'no external scripts: the page works offline');
  assert.match(html, /Modeled<\/b> figures/);
  const md = readFileSync(join(out, 'summary.md'), 'utf8');
  assert.match(md, /\| setup \| kernel, QEMU \| guest \| workaround\/reset/);
  assert.match(md, /\*\*incorrect\*\*: mlx5 legacy qemu-10\.0 naive/);
});

test('chart data are the results file figures, never anything else', async () => {
  const out = join(tempDir('report'), 'r');
  await writeReport([run.path], { out });
  const spec = JSON.parse(readFileSync(join(out, 'reset-cost.vl.json'), 'utf8'));
  const fromResults = run.file.cells.filter((c) => c.status === 'ok' && c.modeled?.perResetNs).map((c) => c.modeled!.perResetNs! / 1e6).sort();
  assert.deepEqual(spec.data.values.map((v: { modeledPerResetMs: number }) => v.modeledPerResetMs).sort(), fromResults);
  const wall = JSON.parse(readFileSync(join(out, 'wall-time.vl.json'), 'utf8'));
  assert.match(JSON.stringify(wall.title), /SIMULATOR/);
  assert.equal(wall.data.values.length, run.file.cells.reduce((s, c) => s + (c.simulator?.wallNs?.samples.length ?? 0), 0));
  for (const name of ['reset-cost', 'phases', 'events', 'ratio', 'pages-pinned', 'dma-blackout']) {
    const s = JSON.parse(readFileSync(join(out, `${name}.vl.json`), 'utf8'));
    assert.match(JSON.stringify(s.title), /MODELED/, `${name} says its figures are modeled`);
  }
});

test('two results files: side by side, with deltas', async () => {
  const other = await smallRun('small', 0);
  const out = join(tempDir('report'), 'r');
  await writeReport([run.path, other.path], { out, noPng: true });
  const md = readFileSync(join(out, 'summary.md'), 'utf8');
  assert.match(md, /## Changes against small \(/);
  assert.match(md, /No modeled figure changed in the 24 paired cell\(s\)\./, 'same workload and seed: identical modeled figures');
  const spec = JSON.parse(readFileSync(join(out, 'pages-pinned.vl.json'), 'utf8'));
  assert.equal(new Set(spec.data.values.map((v: { run: string }) => v.run)).size, 2);
});

test('a corrupt results file: exit 2 naming the file, and no report directory (not even a partial one)', () => {
  const parent = tempDir('report');
  const bad = join(parent, 'results.json');
  writeFileSync(bad, readFileSync(run.path, 'utf8').slice(0, 500));
  const out = join(parent, 'report');
  const r = spawnSync(process.execPath, [CLI, 'report', run.path, bad, '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`^error: ${bad}: not valid JSON, truncated or corrupt`));
  assert.deepEqual(readdirSync(parent), ['results.json']);
  assert.ok(!existsSync(out));
  assert.ok(dirname(out));
});
