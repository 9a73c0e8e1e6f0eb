/**
 * Kernel-model behaviours of #12, each named for what the old model got wrong.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MrBuilder, Session, type Answer } from '../src/kernel/index.js';

function run(lines: object[]): Answer[] {
  const s = new Session();
  return lines.map((l, i) => s.runLine(JSON.stringify(l), i + 1)!);
}

test('a PA map whose page count wraps at 2^64 is EINVAL (PFN_UP in u64 gives 0 pages), not ENOMEM', () => {
  const a = run([
    { op: 'open', parent: 'vdpa_sim', kernel: '6.12.117', useVa: false },
    { op: 'setrlimit', memlock: 'unlimited' },
    { op: 'set_owner' },
    { op: 'update', iova: '0x800', size: '0xfffffffffffff800', uaddr: '0x100000000', perm: 'rw' },
    { op: 'update', iova: '0x0', size: '0xffffffffffffffff', uaddr: '0x100000000', perm: 'rw' },
  ]);
  assert.deepEqual([a[3].errno, a[3].cause], ['EFAULT', 'EINVAL']);
  assert.deepEqual([a[4].errno, a[4].cause], ['EFAULT', 'EINVAL']);
});

test('with max_iotlb_entries 0 no address space is ever created: BATCH_BEGIN and UPDATE are EINVAL', () => {
  const a = run([
    { op: 'open', parent: 'mlx5', kernel: '6.12.117', iotlbLimit: 0 },
    { op: 'set_owner' },
    { op: 'batch_begin' },
    { op: 'invalidate', iova: '0x0', size: '0x0' },
    { op: 'dump' },
  ]);
  assert.deepEqual([a[2].ret, a[2].errno, a[2].cause], [-1, 'EFAULT', 'EINVAL']);
  assert.deepEqual([a[3].errno, a[3].cause], ['EFAULT', 'EINVAL']);
});

test('mlx5 MTTs per direct MR use the entity size 1 << ilog2(gcd), not the gcd itself', () => {
  // Two entries of 3 and 6 pages: gcd 3 -> entity 2 pages -> ceil(9 / 2) = 5 MTTs (the gcd would give 3).
  const b = new MrBuilder();
  b.add(0, 3, 3);
  b.add(3, 6, 3);
  assert.equal(b.finish().mtts, 5);
});

const mlx5Session = (extra: object[]) => [
  { op: 'open', parent: 'mlx5', kernel: '6.12.117' },
  { op: 'mmap', uaddr: '0x100000000', size: '0x200000', backing: 'thp' },
  { op: 'set_owner' },
  { op: 'set_backend_features', features: ['IOTLB_MSG_V2', 'IOTLB_BATCH', 'IOTLB_ASID'] },
  ...extra,
];

test('mlx5 set_map of an empty table builds no MR: it only destroys the old one', () => {
  const s = new Session();
  const lines = mlx5Session([
    { op: 'update', iova: '0x0', size: '0x200000', uaddr: '0x100000000', perm: 'rw' },
    { op: 'invalidate', iova: '0x0', size: '0x200000' },
  ]);
  lines.forEach((l, i) => s.runLine(JSON.stringify(l), i + 1));
  const c = (s as unknown as { devices: Map<string, { counters: Record<string, number> }> }).devices.get('vdpa0')!.counters;
  assert.equal(c.setMaps, 2);
  assert.equal(c.mrBuilds, 1, 'only the UPDATE builds an MR');
});

test('mlx5 .reset_map builds the 1:1 DMA MR for ASID 0 only; the CVQ ASID is left with no MR', () => {
  const s = new Session();
  const lines = mlx5Session([
    { op: 'update', asid: 1, iova: '0x0', size: '0x200000', uaddr: '0x100000000', perm: 'rw' },
    { op: 'close' },
  ]);
  lines.forEach((l, i) => s.runLine(JSON.stringify(l), i + 1));
  const dev = (s as unknown as { devices: Map<string, { counters: Record<string, number>; parent: { view(a: number): { passthrough: boolean } } }> }).devices.get('vdpa0')!;
  assert.equal(dev.counters.dmaMrBuilds, 1, 'the reset at close rebuilds ASID 0\'s DMA MR; reset_map(1) builds none');
  assert.equal(dev.parent.view(1).passthrough, false);
});
