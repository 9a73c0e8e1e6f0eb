/**
 * The package as a library, through its public entry ('vdpa-lab' and its
 * subpath exports, resolved by Node as a user's import would be, from an
 * --eval script, since worker threads inherit --input-type): importing it
 * loads no vega, and runWorkload runs cells without a hash or a directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../src/workload/index.js';

const HOOK = fileURLToPath(new URL('../../test/support/record-resolves.mjs', import.meta.url));

function node(script: string) {
  const register = `import { register } from 'node:module'; import { pathToFileURL } from 'node:url'; register(pathToFileURL(${JSON.stringify(HOOK)}));`;
  return spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, '-e', `(async () => { ${script} })().catch((e) => { console.error(e); process.exit(1); });`], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
}

test("import 'vdpa-lab' loads no vega; rendering a chart does", () => {
  const plain = node("const m = await import('vdpa-lab'); console.log(Object.keys(m).sort().join(','));");
  assert.equal(plain.status, 0, plain.stderr);
  for (const ns of ['report', 'gate', 'runner', 'workload', 'cost', 'kernel']) assert.ok(plain.stdout.split(',').map((s) => s.trim()).includes(ns), ns);
  assert.doesNotMatch(plain.stderr, /loaded .*node_modules\/vega/, 'no vega on import');
  const render = node("const { report } = await import('vdpa-lab'); await report.toSvg({ data: { values: [{ a: 1 }] }, mark: 'bar', encoding: { x: { field: 'a', type: 'quantitative' } } });");
  assert.equal(render.status, 0, render.stderr);
  assert.match(render.stderr, /loaded .*node_modules\/vega/, 'the hook sees vega when a chart renders (the first check can fail)');
});

test('subpath exports resolve, and runWorkload needs neither a hash nor a directory', () => {
  const before = readdirSync(PACKAGE_ROOT).sort();
  const r = node(`
    const { runWorkload } = await import('vdpa-lab/runner');
    const { parseWorkload } = await import('vdpa-lab/workload');
    const raw = { schema: 1, name: 'lib', measure: { samples: 0 }, matrix: { guest: { ram: '32MiB' }, devices: { parent: 'vdpa_sim', queuePairs: 1 }, kernel: 'reset-map', flow: ['workaround', 'persist'], events: ['boot', 'guest-reset', 'close'] } };
    const { workload, cells } = parseWorkload(raw, 'lib');
    const file = await runWorkload({ workload, cells }, { threads: 1 });
    console.log(JSON.stringify({ hash: file.provenance.workload.hash, statuses: file.cells.map((c) => c.status), perReset: file.cells.map((c) => c.modeled.perResetNs) }));
  `);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { hash: string; statuses: string[]; perReset: number[] };
  assert.match(out.hash, /^[0-9a-f]{64}$/);
  assert.deepEqual(out.statuses, ['ok', 'ok']);
  assert.ok(out.perReset[0] > out.perReset[1], 'workaround costs more per reset than persist');
  assert.deepEqual(readdirSync(PACKAGE_ROOT).sort(), before, 'nothing written beside the package');
});

test("import 'vdpa-lab' loads no zod, ml-matrix or piscina; the first schema use loads zod, and the schema works", () => {
  const r = node(`
    const { createRequire } = await import('node:module');
    const cache = createRequire(process.cwd() + '/package.json').cache;
    const loaded = () => [...new Set(Object.keys(cache).filter((k) => k.includes('/node_modules/')).map((k) => k.split('/node_modules/').pop().split('/')[0]))].sort();
    const { workload } = await import('vdpa-lab');
    const before = loaded();
    const ok = workload.workloadSchema.safeParse({ schema: 1, name: 'q', matrix: { guest: { ram: '64MiB' }, devices: { parent: 'mlx5' }, kernel: 'reset-map', flow: 'workaround' } });
    const bad = workload.workloadSchema.safeParse({ schema: 1, name: 'q', matrix: { guest: { ram: '64MiB' }, devices: { parent: 'mlx5' }, kernel: 'reset-map', flow: 'sideways' } });
    console.log(JSON.stringify({ before, after: loaded(), ok: ok.success, bad: bad.success, path: bad.error.issues[0].path }));
  `);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { before: string[]; after: string[]; ok: boolean; bad: boolean; path: (string | number)[] };
  assert.doesNotMatch(r.stderr, /loaded .*node_modules\/(zod|ml-matrix|piscina)\//, 'no ES module import of them either');
  for (const dep of ['zod', 'ml-matrix', 'piscina', 'xmlbuilder2']) assert.ok(!out.before.includes(dep), `${dep} is not loaded on import: ${out.before.join(', ')}`);
  assert.ok(out.after.includes('zod'), 'zod loads when a schema is first used');
  assert.equal(out.ok, true);
  assert.equal(out.bad, false);
  assert.deepEqual(out.path, ['matrix', 'flow']);
});
