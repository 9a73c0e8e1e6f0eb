/**
 * What `npm pack` ships (#28): the compiled library and CLI (dist/src), the
 * docs a user reads, and never the generated API reference (docs/api, made
 * by `npm run docs`, about 2 MB) or the compiled tests. `prepack` builds, so
 * a packed tarball never holds a stale or missing dist.
 *
 * npm pack runs with --ignore-scripts here: the suite already built dist, and
 * a prepack build during the tests would rewrite dist under the other tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './support/temp-dir.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string>; files: string[] };

function packedFiles(dir: string): string[] {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const [entry] = JSON.parse(r.stdout) as { files: { path: string }[] }[];
  return entry.files.map((f) => f.path);
}

test('prepack builds the package', () => {
  assert.match(pkg.scripts.prepack, /^npm run build\b/);
  assert.match(pkg.scripts.build, /\btsc\b/);
});

test('npm pack lists dist/src, the bin and the docs, and no docs/api or compiled tests', () => {
  const files = packedFiles(ROOT);
  for (const f of ['package.json', 'README.md', 'dist/src/index.js', 'dist/src/index.d.ts', pkg.bin['vdpa-lab'], 'docs/domain.md', 'workloads/default.json']) assert.ok(files.includes(f), `${f} is packed`);
  assert.ok(!files.some((f) => f.startsWith('docs/api/')), 'docs/api is not packed');
  assert.ok(!files.some((f) => f.startsWith('dist/test/')), 'compiled tests are not packed');
});

test('a docs/api beside the docs is left out of the tarball by the "files" rule itself', () => {
  // A copy of the package's shape, with the API reference generated: what a maintainer's clone holds after `npm run docs`.
  const dir = tempDir('pack');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'pack-shape', version: '0.0.0', files: pkg.files }));
  for (const f of ['docs/domain.md', 'docs/ci/Dockerfile', 'docs/api/index.html', 'docs/api/modules/report.html', 'dist/src/index.js', 'dist/test/report.test.js']) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), 'x\n');
  }
  cpSync(join(ROOT, 'README.md'), join(dir, 'README.md'));
  const files = packedFiles(dir);
  assert.ok(files.includes('docs/domain.md') && files.includes('docs/ci/Dockerfile') && files.includes('dist/src/index.js'), files.join(', '));
  assert.deepEqual(files.filter((f) => f.startsWith('docs/api/') || f.startsWith('dist/test/')), []);
});
