/** `npm run docs`: typed API docs generated from the sources (TypeDoc), every layer's namespace in them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './support/temp-dir.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('TypeDoc generates the API docs from src/index.ts, one module page per layer', () => {
  const out = tempDir('api');
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typedoc/bin/typedoc'), '--out', out], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.ok(existsSync(join(out, 'index.html')));
  const modules = readdirSync(join(out, 'modules')).map((f) => f.replace(/\.html$/, ''));
  for (const layer of ['iotlb', 'host', 'kernel', 'real', 'vmm', 'cost', 'workload', 'runner', 'report', 'gate', 'bench']) assert.ok(modules.includes(layer), `${layer} in ${modules.join(', ')}`);
});
