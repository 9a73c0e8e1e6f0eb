/**
 * The charts' Vega-Lite specs as a reader needs them (#28): one colour per
 * flow in every chart, axes fitted to the data (log only across decades),
 * one x scale across panels that are compared, and tick formats that never
 * print `0.000000`. Checked on the specs a report writes, and on an SVG.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeReport } from '../src/report/index.js';
import { smallRun } from './support/results.js';
import { tempDir } from './support/temp-dir.js';

type Json = Record<string, unknown>;

const run = await smallRun('charts', 0);
const again = await smallRun('charts', 0);
const out = join(tempDir('charts'), 'r');
const report = await writeReport([run.path, again.path], { out, noPng: true, labels: ['before', 'after'] });
const specs = new Map(report.charts.map((name) => [name, JSON.parse(readFileSync(join(out, `${name}.vl.json`), 'utf8')) as Json]));
const single = join(tempDir('charts'), 'one');
const one = await writeReport([run.path], { out: single, noPng: true });
for (const name of one.charts) specs.set(`${name} (one run)`, JSON.parse(readFileSync(join(single, `${name}.vl.json`), 'utf8')) as Json);

/** Every object under `v` that has key `key`, with the path to it. */
function* withKey(v: unknown, key: string, path = ''): Generator<[string, Json]> {
  if (Array.isArray(v)) for (const [i, x] of v.entries()) yield* withKey(x, key, `${path}[${i}]`);
  else if (v && typeof v === 'object') {
    if (key in v) yield [path, v as Json];
    for (const [k, x] of Object.entries(v)) yield* withKey(x, key, `${path}.${k}`);
  }
}

/** The channel definitions of every encoding in a spec (layers and facet specs included). */
function* channels(spec: Json): Generator<[string, string, Json]> {
  for (const [path, holder] of withKey(spec, 'encoding')) {
    for (const [channel, def] of Object.entries(holder.encoding as Json)) if (def && typeof def === 'object' && !Array.isArray(def)) yield [`${path}.encoding.${channel}`, channel, def as Json];
  }
}

test('each flow has one colour, the same in every chart', () => {
  const colourOf = new Map<string, { colour: string; where: string }>();
  let seen = 0;
  for (const [name, spec] of specs) {
    for (const [path, channel, def] of channels(spec)) {
      if (channel !== 'color' || def.field !== 'flow') continue;
      const scale = def.scale as { domain?: string[]; range?: string[] } | undefined;
      assert.ok(scale?.domain && scale.range, `${name}${path}: a flow colour names its domain and range (vega's palette colours by order of appearance)`);
      assert.equal(scale.domain.length, scale.range.length, `${name}${path}`);
      scale.domain.forEach((flow, i) => {
        seen++;
        const before = colourOf.get(flow);
        if (before) assert.equal(scale.range![i], before.colour, `${flow} is ${scale.range![i]} in ${name} but ${before.colour} in ${before.where}`);
        else colourOf.set(flow, { colour: scale.range![i], where: name });
      });
    }
  }
  assert.ok(seen > 0 && colourOf.has('workaround') && colourOf.has('persist'), 'reset-cost and events colour by flow');
  assert.equal(new Set([...colourOf.values()].map((c) => c.colour)).size, colourOf.size, 'flows have distinct colours');
  for (const [name, spec] of specs) {
    for (const [path, channel, def] of channels(spec)) {
      if (channel !== 'color' || def.field === 'flow') continue;
      const range = (def.scale as { range?: string[] } | undefined)?.range ?? [];
      for (const c of range) assert.ok(![...colourOf.values()].some((f) => f.colour === c), `${name}${path}: ${def.field} uses ${c}, a flow's colour`);
    }
  }
});

test("reset-cost's axes fit the data: 32 and 128 MiB guests on a linear axis from one to the other, ticked at the sizes", () => {
  const x = (specs.get('reset-cost (one run)')!.encoding as Json).x as { scale: { type: string; domain: number[] }; axis: { values: number[]; format: string } };
  const sizes = [32 / 1024, 128 / 1024];
  assert.notEqual(x.scale.type, 'log', 'a 4x span is no reason for a log axis');
  assert.deepEqual(x.scale.domain, sizes, 'the x domain is the data');
  assert.deepEqual(x.axis.values, sizes);
});

test('scales fit: log only across two decades, from the decade below to the one above; bars from zero', async () => {
  const { fitScale, symmetricScale } = await import('../src/report/chart-parts.js');
  assert.deepEqual(fitScale([4, 16], { zero: false, log: true }), { log: false, scale: { type: 'linear', domain: [4, 16], nice: false, zero: false, padding: 16 } });
  assert.deepEqual(fitScale([0.1, 1610], { zero: true, log: true }).scale, { type: 'log', domain: [0.1, 10000], nice: false });
  assert.deepEqual(fitScale([0.1, 1610], { zero: true, log: false }).scale, { type: 'linear', domain: [0, 1610], nice: true });
  assert.deepEqual(fitScale([0, 0], { zero: true, log: true }).scale, { type: 'linear', domain: [0, 1], nice: true });
  assert.deepEqual(symmetricScale([0, 0]), { type: 'linear', domain: [-1, 1], nice: true });
  assert.deepEqual(symmetricScale([-3, 12]), { type: 'linear', domain: [-12, 12], nice: true });
});

test('panels that are compared share their scales: the event panels have one x scale', () => {
  for (const name of ['events', 'events (one run)']) {
    const spec = specs.get(name)!;
    assert.ok(spec.facet, `${name} is faceted into panels`);
    assert.equal((spec.resolve as { scale: { x: string } }).scale.x, 'shared', name);
  }
  const resolve = specs.get('reset-cost')!.resolve as { scale: { x: string; y: string } };
  assert.deepEqual(resolve.scale, { x: 'shared', y: 'shared' });
});

test('every quantitative axis has a d3 tick format, and a no-change delta axis is symmetric around 0', () => {
  for (const [name, spec] of specs) {
    for (const [path, channel, def] of channels(spec)) {
      if ((channel === 'x' || channel === 'y') && def.type === 'quantitative' && def.title !== undefined) {
        assert.match(String((def.axis as { format?: string } | undefined)?.format), /^[,+]?(\.\d+)?~?[rsg%]$/, `${name}${path}: tick format`);
      }
    }
  }
  const delta = (specs.get('delta')!.layer as Json[])[0].encoding as { x: { scale: { domain: number[] } } };
  assert.deepEqual(delta.x.scale.domain, [-1, 1], 'identical runs: every change is 0');
  const svg = readFileSync(join(out, 'delta.svg'), 'utf8');
  const ticks = [...svg.matchAll(/>([^<>]*)<\/text>/g)].map((m) => m[1]);
  assert.ok(ticks.includes('0'), `the delta axis reads 0: ${ticks.join(' | ')}`);
  assert.ok(!ticks.some((t) => /^-?\d+\.\d{4,}$/.test(t)), `no tick like 0.000000: ${ticks.join(' | ')}`);
});
