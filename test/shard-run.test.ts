/** `run --shard I/N` and `--shard k8s`: which cells a shard runs, its journal, its results, and bad values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assignShards, cellsOfShard, parseShard } from '../src/runner/index.js';
import { loadWorkload } from '../src/workload/index.js';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const PARENTS = fileURLToPath(new URL('../../workloads/parent-comparison.json', import.meta.url));
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, JOB_COMPLETION_INDEX: '', VDPA_LAB_SHARD_COUNT: '', ...env } });
const tmp = () => tempDir('shard');
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

test('parseShard reads I/N numbered from 1, and k8s from JOB_COMPLETION_INDEX (0-based) and VDPA_LAB_SHARD_COUNT', () => {
  assert.deepEqual(parseShard('2/3', {}), { index: 2, count: 3 });
  assert.deepEqual(parseShard('1/1', {}), { index: 1, count: 1 });
  assert.deepEqual(parseShard('k8s', { JOB_COMPLETION_INDEX: '0', VDPA_LAB_SHARD_COUNT: '3' }), { index: 1, count: 3 });
  assert.deepEqual(parseShard('k8s', { JOB_COMPLETION_INDEX: '2', VDPA_LAB_SHARD_COUNT: '3' }), { index: 3, count: 3 });
  for (const [text, env, re] of [
    ['0/3', {}, /shards are numbered from 1 \(1\/3 to 3\/3\), got '0\/3'; for Kubernetes' 0-based index use --shard k8s/],
    ['4/3', {}, /there is no shard 4 of 3/],
    ['1/0', {}, /the shard count must be at least 1/],
    ['2', {}, /must be I\/N/],
    ['a/b', {}, /must be I\/N/],
    ['-1/3', {}, /must be I\/N/],
    ['1/3/4', {}, /must be I\/N/],
    ['k8s', { VDPA_LAB_SHARD_COUNT: '3' }, /JOB_COMPLETION_INDEX is not set/],
    ['k8s', { JOB_COMPLETION_INDEX: '0' }, /VDPA_LAB_SHARD_COUNT is not set/],
    ['k8s', { JOB_COMPLETION_INDEX: '3', VDPA_LAB_SHARD_COUNT: '3' }, /JOB_COMPLETION_INDEX=3 is not below VDPA_LAB_SHARD_COUNT=3/],
    ['k8s', { JOB_COMPLETION_INDEX: 'x', VDPA_LAB_SHARD_COUNT: '3' }, /JOB_COMPLETION_INDEX must be a non-negative integer/],
    ['k8s', { JOB_COMPLETION_INDEX: '0', VDPA_LAB_SHARD_COUNT: '0' }, /VDPA_LAB_SHARD_COUNT must be a positive integer/],
  ] as const) {
    assert.throws(() => parseShard(text, env), (e: Error) => e.name === 'InputError' && re.test(e.message), text);
  }
});

test('shards partition the cells round-robin over sorted ids: every cell once, sizes within one, independent of matrix order', () => {
  const { cells } = loadWorkload(PARENTS);
  for (const count of [1, 2, 3, 7, cells.length]) {
    const shards = Array.from({ length: count }, (_, k) => cellsOfShard(cells, { index: k + 1, count }));
    const ids = shards.flat().map((c) => c.id);
    assert.equal(ids.length, cells.length, `${count} shards hold every cell`);
    assert.equal(new Set(ids).size, cells.length, `${count} shards: no cell twice`);
    const sizes = shards.map((s) => s.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${count} shards: sizes ${sizes}`);
    // Each shard keeps the run's order, and the assignment does not depend on it.
    for (const s of shards) assert.deepEqual(s.map((c) => c.id), cells.filter((c) => s.includes(c)).map((c) => c.id));
    const reversed = assignShards(cells.map((c) => c.id).reverse(), count);
    assert.deepEqual([...reversed].sort(), [...assignShards(cells.map((c) => c.id), count)].sort());
  }
  assert.throws(() => cellsOfShard(cells, { index: 1, count: cells.length + 1 }), /would leave 1 of them empty: use at most 30 shards/);
});

test('run --shard runs only its cells and records the shard, the whole run\'s cells and the host in results.json', () => {
  const out = join(tmp(), 'p2');
  const r = cli(['run', PARENTS, '--shard', '2/3', '--out', out, '--samples', '0', '--threads', '2', '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /shard 2\/3: 10 of 30 cells: /);
  const file = readJson(join(out, 'results.json'));
  const all = loadWorkload(PARENTS).cells;
  assert.deepEqual(file.cells.map((c: { id: string }) => c.id), cellsOfShard(all, { index: 2, count: 3 }).map((c) => c.id));
  assert.equal(file.provenance.shard.index, 2);
  assert.equal(file.provenance.shard.count, 3);
  assert.equal(file.provenance.shard.totalCells, 30);
  assert.deepEqual(file.provenance.shard.allCells.map((c: { id: string }) => c.id), all.map((c) => c.id));
  assert.equal(typeof file.provenance.shard.host, 'string');
  const header = JSON.parse(readFileSync(join(out, 'cells.jsonl'), 'utf8').split('\n')[0]);
  assert.equal(header.shard, '2/3');
});

test('--shard k8s runs the cells of JOB_COMPLETION_INDEX + 1, the same as --shard I/N', () => {
  const dir = tmp();
  const k = cli(['run', PARENTS, '--shard', 'k8s', '--out', join(dir, 'k'), '--samples', '0', '--json', '--quiet'], { JOB_COMPLETION_INDEX: '0', VDPA_LAB_SHARD_COUNT: '3' });
  assert.equal(k.status, 0, k.stderr);
  const ids = JSON.parse(k.stdout).cells.map((c: { id: string }) => c.id);
  assert.deepEqual(ids, cellsOfShard(loadWorkload(PARENTS).cells, { index: 1, count: 3 }).map((c) => c.id));
  assert.equal(JSON.parse(k.stdout).provenance.shard.index, 1);
});

test('--resume works per shard: it runs only what the shard\'s journal lacks, and refuses another shard\'s journal', () => {
  const out = join(tmp(), 'p1');
  const first = cli(['run', PARENTS, '--shard', '1/3', '--out', out, '--samples', '0', '--quiet']);
  assert.equal(first.status, 0, first.stderr);
  const journal = join(out, 'cells.jsonl');
  const lines = readFileSync(journal, 'utf8').split('\n');
  // As if killed after four cells: the header and four cell lines remain.
  writeFileSync(journal, `${lines.slice(0, 5).join('\n')}\n`);
  const resumed = cli(['run', PARENTS, '--shard', '1/3', '--out', out, '--samples', '0', '--resume']);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, /shard 1\/3: 6 of 30 cells to run/);
  assert.equal(readJson(join(out, 'results.json')).cells.length, 10);
  for (const [shard, re] of [
    ['2/3', /is the journal of shard 1\/3, not of shard 2\/3: each shard resumes in its own directory/],
    [null, /is the journal of shard 1\/3, not of an unsharded run/],
  ] as const) {
    const other = cli(['run', PARENTS, ...(shard ? ['--shard', shard] : []), '--out', out, '--samples', '0', '--resume', '--quiet']);
    assert.equal(other.status, 2, other.stderr);
    assert.match(other.stderr, re);
    assert.equal(other.stderr.trim().split('\n').length, 1);
  }
});

test('bad --shard values exit 2 with one line and write nothing', () => {
  const out = join(tmp(), 'never');
  for (const [args, env, re] of [
    [['--shard', '0/3'], {}, /^error: --shard: shards are numbered from 1/],
    [['--shard', '4/3'], {}, /^error: --shard: there is no shard 4 of 3/],
    [['--shard', 'x'], {}, /^error: --shard: must be I\/N/],
    [['--shard', '1/31'], {}, /^error: --shard: 1\/31: 31 shards of 30 cells would leave 1 of them empty/],
    [['--shard', 'k8s'], { VDPA_LAB_SHARD_COUNT: '3' }, /^error: --shard k8s: JOB_COMPLETION_INDEX is not set/],
    [['--shard', 'k8s'], { JOB_COMPLETION_INDEX: '1' }, /^error: --shard k8s: VDPA_LAB_SHARD_COUNT is not set/],
  ] as const) {
    const r = cli(['run', PARENTS, ...args, '--out', out], env);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!existsSync(out), 'nothing written');
  }
});
