/**
 * Kernel versions (src/kernel/versions.ts): each name resolves to the
 * behaviours of its line and patch level, the old generation names keep
 * their figures, and the model answers as each version does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveKernel, Session, type Answer } from '../src/kernel/index.js';
import { InputError } from '../src/errors.js';
import { entryLimitWarnings, parseWorkload } from '../src/workload/index.js';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './support/temp-dir.js';

function run(lines: object[], kernel?: string): Answer[] {
  const s = new Session(kernel ? { kernel } : {});
  return lines.map((l, i) => s.runLine(JSON.stringify(l), i + 1)!);
}

const open = (kernel: string, extra: object = {}) => ({ op: 'open', parent: 'vdpa_sim', kernel, useVa: false, ...extra });

test('the named versions resolve to the behaviours of their line and patch level', () => {
  const pick = (n: string) => {
    const k = resolveKernel(n);
    return [k.release, k.generation, k.suspend, k.resume, k.enableAfterDriverOk, k.descAsid, k.resetMap, k.vdpaSimUseVa, k.invalidateSize0, k.defaultIotlbLimit ?? null];
  };
  assert.deepEqual(pick('6.1.0'), ['6.1.0', 'legacy', true, false, false, false, false, false, false, null]);
  assert.deepEqual(pick('6.1.192'), ['6.1.192', 'legacy', true, false, false, false, false, false, true, 2048]);
  assert.deepEqual(pick('6.6.0'), ['6.6.0', 'legacy', true, true, true, false, false, true, true, null]);
  assert.deepEqual(pick('6.12.0'), ['6.12.0', 'reset-map', true, true, true, true, true, true, true, null]);
  assert.deepEqual(pick('6.12.117'), ['6.12.117', 'reset-map', true, true, true, true, true, true, true, 2048]);
  assert.deepEqual(pick('mainline'), ['mainline', 'reset-map', true, true, true, true, true, true, true, 2048]);
});

test('the old names are aliases of 6.1.192 and 6.12.117 with no default entry limit', () => {
  for (const [alias, release] of [['legacy', '6.1.192'], ['reset-map', '6.12.117']]) {
    const a = resolveKernel(alias);
    const r = resolveKernel(release);
    assert.equal(a.release, release);
    assert.equal(a.defaultIotlbLimit, undefined);
    assert.deepEqual({ ...a, name: '', notes: [], defaultIotlbLimit: 0 }, { ...r, name: '', notes: [], defaultIotlbLimit: 0 });
  }
});

test('uname -r names with a suffix resolve; a Debian ABI name without a known patch level is refused', () => {
  assert.equal(resolveKernel('6.12.117+deb12-amd64').release, '6.12.117');
  assert.equal(resolveKernel('6.1.0-56-amd64').release, '6.1.192');
  assert.throws(() => resolveKernel('6.1.0-3-amd64'), (e: unknown) => e instanceof InputError && /patch level/.test(e.reason));
  assert.throws(() => resolveKernel('six'), (e: unknown) => e instanceof InputError && e.where === 'kernel');
});

test('a 6.1 patch level between 6.1.0 and a known backport is modeled without it, and says so', () => {
  const k = resolveKernel('6.1.100');
  assert.equal(k.invalidateSize0, false);
  assert.equal(k.defaultIotlbLimit, undefined);
  assert.ok(k.notes.some((n) => n.startsWith('invalidateSize0: backported to 6.1.y by 6.1.192')));
});

test('INVALIDATE of size 0 is EINVAL on 6.1.0 and removes everything on 6.1.192', () => {
  const script = (k: string) => [
    open(k),
    { op: 'mmap', uaddr: '0x100000000', size: '0x4000', backing: '4k' },
    { op: 'set_owner' },
    { op: 'update', iova: '0x0', size: '0x4000', uaddr: '0x100000000', perm: 'rw' },
    { op: 'invalidate', iova: '0x0', size: '0x0' },
    { op: 'close' },
  ];
  const old = run(script('6.1.0'));
  assert.deepEqual([old[4].ret, old[4].errno, old[4].cause], [-1, 'EINVAL', 'EINVAL']);
  assert.equal(old[5].pinnedVm, 0); // close still unpins
  const fixed = run(script('6.1.192'));
  assert.deepEqual([fixed[4].ret, fixed[4].errno], [0, null]);
});

test('a kernel with the 2026 fix defaults the entry limit to 2048; 6.12.0 and the aliases have none', () => {
  assert.equal(run([open('6.12.117')])[0].iotlbLimit, 2048);
  assert.equal(run([open('6.1.192')])[0].iotlbLimit, 2048);
  assert.equal(run([open('6.12.0')])[0].iotlbLimit, null);
  assert.equal(run([open('reset-map')])[0].iotlbLimit, null);
  assert.equal(run([open('6.12.117', { iotlbLimit: 8 })])[0].iotlbLimit, 8);
});

test('6.6.0 offers RESUME and ENABLE_AFTER_DRIVER_OK but refuses IOTLB_PERSIST (v6.7)', () => {
  const a = run([open('6.6.0'), { op: 'get_backend_features' }, { op: 'set_backend_features', features: ['IOTLB_MSG_V2', 'RESUME'] }, { op: 'set_backend_features', features: ['IOTLB_PERSIST'] }]);
  assert.deepEqual(a[1].features, ['IOTLB_MSG_V2', 'IOTLB_BATCH', 'IOTLB_ASID', 'SUSPEND', 'RESUME', 'ENABLE_AFTER_DRIVER_OK']);
  assert.equal(a[2].ret, 0);
  assert.deepEqual([a[3].errno], ['EOPNOTSUPP']);
  assert.equal(a[0].persistOffered, false);
});

test('mlx5 on 6.7 offers DESC_ASID but not RESUME (mlx5 .resume came in v6.8)', () => {
  const a = run([{ op: 'open', parent: 'mlx5', kernel: '6.7.0' }, { op: 'get_backend_features' }]);
  assert.deepEqual(a[1].features, ['IOTLB_MSG_V2', 'IOTLB_BATCH', 'IOTLB_ASID', 'SUSPEND', 'ENABLE_AFTER_DRIVER_OK', 'DESC_ASID', 'IOTLB_PERSIST']);
});

test('an open line with an unknown kernel is named by line and field', () => {
  assert.throws(() => run([open('7.x')]), (e: unknown) => e instanceof InputError && e.where === 'line 1: kernel');
});

const workload = (kernel: string, iotlbLimit?: unknown) => ({
  schema: 1,
  name: 'w',
  matrix: { guest: { ram: '39GiB', backing: 'thp' }, devices: { parent: 'mlx5' }, kernel, flow: 'workaround', ...(iotlbLimit === undefined ? {} : { iotlbLimit }) },
});

test('run warns, naming the cell, when a 39 GiB THP guest exceeds a current kernel\'s default entry limit', () => {
  const { cells } = parseWorkload(workload('mainline'), 'w.json');
  assert.equal(cells[0].params.iotlbLimit, 2048);
  const w = entryLimitWarnings(cells);
  assert.equal(w.length, 1);
  assert.match(w[0], /^warning: mlx5 mainline qemu-10\.0 workaround 39GiB thp: the guest's RAM needs about 19969 vhost iotlb entries and kernel mainline allows 2048/);
  assert.deepEqual(entryLimitWarnings(parseWorkload(workload('reset-map'), 'w.json').cells), []);
  assert.deepEqual(entryLimitWarnings(parseWorkload(workload('mainline', 'none'), 'w.json').cells), []);
  assert.deepEqual(entryLimitWarnings(parseWorkload(workload('mainline', 40000), 'w.json').cells), []);
});

test('a workload with an unknown kernel is refused, named by its JSON path', () => {
  assert.throws(() => parseWorkload(workload('6.x'), 'w.json'), (e: unknown) => e instanceof InputError && e.where === 'w.json.matrix.kernel');
});

test('7.2.13 (v7.0+) refuses to move a group to another address space while DRIVER_OK is set: EBUSY; 6.12.117 moves it', () => {
  const script = (k: string) => [
    open(k),
    { op: 'set_owner' },
    { op: 'set_status', status: ['ACKNOWLEDGE', 'DRIVER', 'FEATURES_OK', 'DRIVER_OK'] },
    { op: 'set_group_asid', group: 1, asid: 1 },
    // The EINVAL check comes first, EBUSY only for a valid group and asid.
    { op: 'set_group_asid', group: 1, asid: 2 },
    { op: 'set_status', status: 0 },
    { op: 'set_group_asid', group: 1, asid: 1 },
  ];
  const errnos = (k: string) => run(script(k)).slice(3).filter((a) => a.op === 'set_group_asid').map((a) => a.errno);
  assert.deepEqual(errnos('7.2.13'), ['EBUSY', 'EINVAL', null]);
  assert.deepEqual(errnos('6.12.117'), [null, 'EINVAL', null]);
  assert.equal(resolveKernel('7.0.0').groupAsidBusyWhileRunning, true);
  assert.equal(resolveKernel('6.19.0').groupAsidBusyWhileRunning, false);
});

test('v6.13+ unshares a huge zero page into a writable THP: a read-only pin of 4 MiB of untouched THP takes 4 faults on 7.2.13 (then none to write), 1026 on 6.12.117 (then 1024)', () => {
  const script = (k: string) => [
    open(k),
    { op: 'setrlimit', memlock: 'unlimited' },
    { op: 'mmap', uaddr: '0x7f1000000000', size: '0x400000', backing: 'thp', populate: false },
    { op: 'set_owner' },
    { op: 'update', iova: '0x0', size: '0x400000', uaddr: '0x7f1000000000', perm: 'ro' },
    { op: 'invalidate', iova: '0x0', size: '0x400000' },
    { op: 'update', iova: '0x0', size: '0x400000', uaddr: '0x7f1000000000', perm: 'rw' },
  ];
  const faults = (k: string) => run(script(k)).filter((a) => a.op === 'update').map((a) => a.faults);
  assert.deepEqual(faults('7.2.13'), [4, 0]);
  assert.deepEqual(faults('6.12.117'), [1026, 1024]);
  assert.equal(resolveKernel('6.13.0').thpOnHugeZeroWp, true);
  assert.equal(resolveKernel('6.12.117').thpOnHugeZeroWp, false);
});

test('7.2.13, as Debian unstable builds it, has every behaviour of 6.12.117, the entry limit among them, and the two of v6.13/v7.0', () => {
  const k = resolveKernel('7.2.13+deb14-amd64');
  assert.equal(k.release, '7.2.13');
  assert.equal(k.defaultIotlbLimit, 2048);
  const old = resolveKernel('6.12.117');
  for (const b of ['suspend', 'resume', 'suspendNeedsDriverOk', 'enableAfterDriverOk', 'descAsid', 'resetMap', 'vdpaSimUseVa', 'mlx5Resume', 'invalidateSize0', 'roPinUnshare'] as const) assert.equal(k[b], old[b], b);
  assert.equal(k.groupAsidBusyWhileRunning && k.thpOnHugeZeroWp, true);
});

test('the kernel-versions workload: 6.1.192 refuses PERSIST, 6.12.117 and 7.2.13 model the same reset cost (the same map and unmap code), 6.1.192 re-pins THP page by page, every cell named by its version', () => {
  const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const workload = fileURLToPath(new URL('../../workloads/kernel-versions.json', import.meta.url));
  const out = join(tempDir('kv'), 'run');
  const r = spawnSync(process.execPath, [cli, 'run', workload, '--out', out, '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const cells = (JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { cells: { label: string; status: string; params: { kernel: string; flow: string; backing: string }; modeled: { perResetNs: number } | null }[] }).cells;
  assert.deepEqual([...new Set(cells.map((c) => c.params.kernel))].sort(), ['6.1.192', '6.12.117', '7.2.13']);
  for (const c of cells) assert.ok(c.label.includes(` ${c.params.kernel} `), c.label);
  assert.deepEqual(cells.filter((c) => c.status !== 'ok').map((c) => `${c.params.kernel} ${c.params.flow}`), ['6.1.192 persist', '6.1.192 persist']);
  const cost = (k: string, flow: string, backing: string) => cells.find((c) => c.params.kernel === k && c.params.flow === flow && c.params.backing === backing)!.modeled?.perResetNs;
  for (const backing of ['4k', 'thp']) {
    for (const flow of ['workaround', 'persist']) assert.equal(cost('7.2.13', flow, backing), cost('6.12.117', flow, backing), `${flow} ${backing}`);
  }
  assert.equal(cost('6.1.192', 'workaround', '4k'), cost('6.12.117', 'workaround', '4k'));
  // THP: 6.1's __get_user_pages walks and grabs every 4 KiB page; from v6.5 one gup step per 2 MiB folio (thpPinBatch).
  assert.ok(cost('6.1.192', 'workaround', 'thp')! > 3 * cost('6.12.117', 'workaround', 'thp')!, 'a 6.1 THP re-pin walks per page');
});
