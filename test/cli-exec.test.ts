import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

function execScript(lines: string[], args: string[] = []) {
  const dir = tempDir('tmp');
  const file = join(dir, 's.jsonl');
  writeFileSync(file, lines.join('\n'));
  return spawnSync(process.execPath, [CLI, 'exec', file, ...args], { encoding: 'utf8' });
}

test('exec answers each line as one JSON object', () => {
  const r = execScript(['{"op":"open","parent":"mlx5","kernel":"legacy"}', '# a comment', '', '{"op":"set_owner"}', '{"op":"set_owner"}']);
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(out.map((a) => [a.line, a.op, a.errno]), [[1, 'open', null], [4, 'set_owner', null], [5, 'set_owner', 'EBUSY']]);
});

test('a malformed line exits 2 naming the line and field, after answering the lines before it', () => {
  for (const [bad, where] of [
    ['{"op":"update","iova":"0x1g","size":"0x1000","uaddr":"0x0","perm":"rw"}', /line 3: iova: '0x1g' is not a 64-bit value/],
    ['{"op":"update","iova":4096,"size":"0x1000","uaddr":"0x0","perm":"rw"}', /line 3: iova: must be a string/],
    ['{"op":"update","iova":"0x10000000000000000","size":"0x1000","uaddr":"0x0","perm":"rw"}', /line 3: iova/],
    ['{"op":"frobnicate"}', /line 3: op: unknown op "frobnicate"/],
    ['{"op":"update", oops', /line 3: not valid JSON/],
    ['{"op":"mmap","uaddr":"0x1001","size":"0x1000"}', /line 3: uaddr: must be page-aligned/],
    ['{"op":"update","iova":"0x0","size":"0x1000","perm":"rw"}', /line 3: uaddr: is required/],
  ] as const) {
    const r = execScript(['{"op":"open","parent":"mlx5","kernel":"legacy"}', '{"op":"set_owner"}', bad]);
    assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
    assert.match(r.stderr, where);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
    assert.equal(r.stdout.trim().split('\n').length, 2, 'the two good lines were answered');
  }
});

test('--kernel and --parent override the open line', () => {
  const r = execScript(['{"op":"open","parent":"mlx5","kernel":"legacy"}', '{"op":"get_backend_features"}'], ['--kernel', 'reset-map', '--parent', 'vdpa_sim']);
  const [open, feats] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(open.parent, 'vdpa_sim');
  assert.equal(open.kernel, 'reset-map');
  assert.ok(feats.features.includes('IOTLB_PERSIST'));
});

test('usage errors and unreadable files exit 2', () => {
  assert.equal(spawnSync(process.execPath, [CLI, 'exec'], { encoding: 'utf8' }).status, 2);
  const r = spawnSync(process.execPath, [CLI, 'exec', '/nonexistent.jsonl'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /nonexistent.jsonl: cannot read \(ENOENT\)/);
  assert.equal(spawnSync(process.execPath, [CLI, 'bench', 'iotlb', '--sizes', 'x'], { encoding: 'utf8' }).status, 2);
});

test('bench pin --json: the floor, the floor in the 4k layout order, and each backing, with rates and shares of the floor', () => {
  // 1 GiB and a short budget: this checks the rows, not the speed.
  const r = spawnSync(process.execPath, [CLI, 'bench', 'pin', '--gib', '1', '--backings', '4k,thp', '--time', '20', '--json', '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Array<{ impl: string; pages: number; pagesPerSec: number; rme: number; ofFloor: number }>;
  assert.deepEqual(rows.map((x) => x.impl), ['floor', 'floor-4k-order', '4k', 'thp']);
  for (const x of rows) {
    assert.equal(x.pages, 2 ** 18);
    assert.ok(x.pagesPerSec > 0 && Number.isFinite(x.rme), JSON.stringify(x));
    assert.ok(Math.abs(x.ofFloor - x.pagesPerSec / rows[0].pagesPerSec) < 1e-9);
  }
  // Without a mean-1 4k region there is no layout-order reference.
  const thp = spawnSync(process.execPath, [CLI, 'bench', 'pin', '--gib', '1', '--backings', 'thp', '--time', '20', '--json', '--quiet'], { encoding: 'utf8' });
  assert.deepEqual((JSON.parse(thp.stdout) as Array<{ impl: string }>).map((x) => x.impl), ['floor', 'thp']);
});

test('bench run --json: one row per scenario with its wall time, peak RSS and verdict; bad --rounds exits 2', () => {
  // The default workload only (a couple of seconds): this checks the rows, not the speed.
  const r = spawnSync(process.execPath, [CLI, 'bench', 'run', '--scenarios', 'default', '--json', '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Array<{ scenario: string; threads: number; wallSeconds: number; maxRssMiB: number; target: string; met: boolean }>;
  assert.equal(rows.length, 1);
  assert.equal(rows[0].scenario, 'default');
  assert.ok(rows[0].wallSeconds > 0 && rows[0].maxRssMiB > 0, JSON.stringify(rows[0]));
  assert.equal(rows[0].target, '<= 60 s');
  assert.equal(rows[0].met, rows[0].wallSeconds <= 60);
  assert.equal(spawnSync(process.execPath, [CLI, 'bench', 'run', '--rounds', '0'], { encoding: 'utf8' }).status, 2);
});
