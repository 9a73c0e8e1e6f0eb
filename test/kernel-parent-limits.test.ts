/**
 * The parents' own entry limits (kernel/parent-limits.ts): the 2026 fix
 * "vhost_iotlb: bound map allocation in add_range" bounds every vhost_iotlb
 * given a limit, so vdpa_sim's iommu[], mlx5's CVQ iotlb (6.1) and per-MR
 * iotlbs (6.12), and VDUSE's domain each enforce their own module's
 * max_iotlb_entries. workloads/sessions/parent-entry-limit-*.jsonl shows the
 * vdpa_sim half on the real 6.1.192 and 6.12.117 kernels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../src/kernel/index.js';
import { InputError } from '../src/errors.js';
import { runScript } from './support/session.js';

const UADDR = 0x100000000;
const page = (i: number) => ({ op: 'update', iova: `0x${(i * 0x2000).toString(16)}`, size: '0x1000', uaddr: `0x${(UADDR + i * 0x2000).toString(16)}`, perm: 'rw' });
const guest = { op: 'mmap', uaddr: `0x${UADDR.toString(16)}`, size: '0x40000', backing: '4k' };

test("vdpa_sim's own max_iotlb_entries bounds its iommu[]: vhost at 16, vdpa_sim at 4, the fifth dma_map fails with ENOSPC (EFAULT) and its pin is undone", () => {
  const { answers, session } = runScript([
    { op: 'open', parent: 'vdpa_sim', kernel: '6.12.117', useVa: false, variant: 'dma_map', iotlbLimit: 16, parentIotlbLimit: 4 },
    guest,
    { op: 'set_owner' },
    ...[0, 1, 2, 3, 4].map(page),
    { op: 'check' },
  ]);
  assert.deepEqual([answers[7].errno, answers[7].cause], ['EFAULT', 'ENOSPC']);
  assert.equal(session.mm.pinnedVm, 4);
  assert.deepEqual((answers[8] as unknown as { views: object }).views, { 0: 'consistent' });
});

test("vdpa_sim set_map past its own limit: ENOSPC for an UPDATE outside a batch; inside one BATCH_END drops it and the device is left translating nothing", () => {
  const { answers } = runScript([
    { op: 'open', parent: 'vdpa_sim', kernel: '6.1.192', useVa: false, variant: 'set_map', iotlbLimit: 16, parentIotlbLimit: 4 },
    guest,
    { op: 'set_owner' },
    { op: 'set_backend_features', features: ['IOTLB_MSG_V2', 'IOTLB_BATCH'] },
    ...[0, 1, 2, 3, 4].map(page),
    { op: 'batch_begin' },
    page(5),
    { op: 'batch_end' },
    { op: 'check' },
  ]);
  assert.deepEqual([answers[8].errno, answers[8].cause], ['EFAULT', 'ENOSPC']);
  assert.equal(answers[11].errno, null);
  assert.deepEqual((answers[12] as unknown as { views: object }).views, { 0: 'wiped' });
});

test('the parent limit follows the kernel version: 2048 on 6.12.117 (vhost_vdpa at 0 does not lower it), none on 6.12.0', () => {
  const open = (kernel: string, extra = {}) => new Session().runLine(JSON.stringify({ op: 'open', parent: 'mlx5', kernel, useVa: false, ...extra }), 1)!;
  assert.equal(open('6.12.117').parentIotlbLimit, 2048);
  assert.equal(open('6.12.117', { iotlbLimit: 0 }).parentIotlbLimit, 2048);
  assert.equal(open('6.12.117', { iotlbLimit: 64 }).parentIotlbLimit, 64);
  assert.equal(open('6.12.0').parentIotlbLimit, null);
});

test('parentIotlbLimit below 2 is refused by name: vdpasim_create and _mlx5_vdpa_create_mr make no device with less', () => {
  assert.throws(
    () => new Session().runLine(JSON.stringify({ op: 'open', parent: 'vdpa_sim', kernel: '6.12.117', parentIotlbLimit: 1 }), 1),
    (e: unknown) => e instanceof InputError && /parentIotlbLimit: 1 is fewer than 2: the parent makes no device/.test(e.message),
  );
});

const mlx5 = (kernel: string, extra: object) => [
  { op: 'open', parent: 'mlx5', kernel, useVa: false, ...extra },
  guest,
  { op: 'set_owner' },
  { op: 'set_backend_features', features: ['IOTLB_MSG_V2', 'IOTLB_BATCH', 'IOTLB_ASID'] },
];

for (const kernel of ['6.1.192', '6.12.117']) {
  test(`mlx5 ${kernel}: a set_map past mlx5's own max_iotlb_entries fails with ENOSPC (the ${kernel === '6.1.192' ? 'CVQ iotlb' : "new MR's iotlb"} is full); the unmap that follows rebuilds the old map`, () => {
    const { answers } = runScript([...mlx5(kernel, { iotlbLimit: 16, parentIotlbLimit: 2 }), page(0), page(1), page(2), { op: 'check' }, { op: 'dump' }]);
    assert.deepEqual([answers[6].errno, answers[6].cause], ['EFAULT', 'ENOSPC']);
    assert.deepEqual((answers[7] as unknown as { views: object }).views, { 0: 'consistent' });
    const c = (answers[8] as unknown as { counters: Record<string, number> }).counters;
    // 6.12 builds the MR before the copy fails and destroys it; both leave one live MR (mkeys: created + 1 from creation - destroyed).
    assert.equal(c.mkeysCreated + 1 - c.mkeysDestroyed, 3, 'one live MR over two separate pages: two direct mkeys and the indirect one');
  });
}

test('mlx5 6.1: a set_map for the CVQ group\'s ASID builds no MR (one MR, for the data group); 6.12 builds one per ASID', () => {
  const builds = (kernel: string) => {
    const { answers } = runScript([...mlx5(kernel, {}), { op: 'set_group_asid', group: 1, asid: 1 }, { ...page(0), asid: 0 }, { ...page(1), asid: 1 }, { op: 'check' }, { op: 'dump' }]);
    assert.deepEqual((answers[7] as unknown as { views: object }).views, { 0: 'consistent', 1: 'consistent' });
    return (answers[8] as unknown as { counters: Record<string, number> }).counters.mrBuilds;
  };
  assert.equal(builds('6.1.192'), 1);
  assert.equal(builds('6.12.117'), 2);
});

test('mlx5 6.1: SET_GROUP_ASID does not copy the new ASID\'s map into the CVQ iotlb, so CVQ maps made while the group was on ASID 0 leave ASID 1 untranslated; 6.12 copies them', () => {
  const views = (kernel: string) => {
    const { answers } = runScript([...mlx5(kernel, {}), { ...page(0), asid: 0 }, { ...page(1), asid: 1 }, { op: 'set_group_asid', group: 1, asid: 1 }, { op: 'check' }]);
    return (answers[7] as unknown as { views: object }).views;
  };
  assert.deepEqual(views('6.1.192'), { 0: 'consistent', 1: 'wiped' });
  assert.deepEqual(views('6.12.117'), { 0: 'consistent', 1: 'consistent' });
});

test("VDUSE's own limit (iova_domain.c's max_iotlb_entries): a set_map past it empties the domain and the UPDATE answers ENOSPC", () => {
  const { answers } = runScript([
    { op: 'open', parent: 'vduse', kernel: '6.12.117', iotlbLimit: 16, parentIotlbLimit: 2 },
    { ...guest, shared: true },
    { op: 'set_owner' },
    page(0),
    page(1),
    page(2),
    { op: 'dump' },
  ]);
  assert.deepEqual([answers[5].errno, answers[5].cause], ['EFAULT', 'ENOSPC']);
  // vhost_vdpa_va_map's error path unmapped the failed piece, and its set_map copied the two left back.
  const d = (answers[6] as unknown as { asids: Record<string, { count: number; device: { count: number } }> }).asids['0'];
  assert.deepEqual([d.count, d.device.count], [2, 2]);
});
