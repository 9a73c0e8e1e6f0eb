/**
 * The reset vhost_vdpa_open does before anything else, per kernel version
 * and parent, and the mlx5 DMA MR that exists from device creation
 * (mlx5_vdpa_dev_add). Sources: drivers/vhost/vdpa.c vhost_vdpa_open,
 * vhost_vdpa_reset, _compat_vdpa_reset; drivers/vdpa/mlx5/net/mlx5_vnet.c
 * mlx5_vdpa_dev_add, mlx5_vdpa_reset / mlx5_vdpa_compat_reset (Debian's
 * 6.1.192 and 6.12.117 trees).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GUEST_UADDR, runScript, setup } from './support/session.js';

type Counters = Record<string, number>;
const countersOf = (a: unknown) => (a as { counters: Counters }).counters;

for (const [kernel, clean] of [['6.1.192', true], ['6.12.117', false], ['legacy', true], ['reset-map', false]] as const) {
  test(`open resets the device once: ${kernel} with${clean ? '' : 'out'} CLEAN_MAP (vdpa_sim ${clean ? 'empties its iommu[]' : 'keeps its maps: no vqs yet, flags 0'})`, () => {
    const { answers } = runScript([{ op: 'open', parent: 'vdpa_sim', kernel, useVa: false }, { op: 'dump' }]);
    const c = countersOf(answers[1]);
    assert.equal(c.resets, 1);
    assert.equal(c.resetsCleanMap, clean ? 1 : 0);
    assert.equal(c.resetsKeepMap, clean ? 0 : 1);
  });
}

test('mlx5 6.1: the reset at open destroys the DMA MR made at device creation and builds it again', () => {
  const { answers } = runScript([{ op: 'open', parent: 'mlx5', kernel: '6.1.192', useVa: false }, { op: 'dump' }]);
  const c = countersOf(answers[1]);
  assert.deepEqual([c.dmaMrBuilds, c.mkeysCreated, c.mkeysDestroyed], [1, 1, 1]);
});

test('mlx5 6.12: the reset at open (flags 0) leaves the DMA MR made at device creation alone', () => {
  const { answers } = runScript([{ op: 'open', parent: 'mlx5', kernel: '6.12.117', useVa: false }, { op: 'dump' }]);
  const c = countersOf(answers[1]);
  assert.deepEqual([c.dmaMrBuilds, c.mkeysCreated, c.mkeysDestroyed], [0, 0, 0]);
});

test('mlx5: the first set_map replaces the DMA MR made at device creation, so its mkey is destroyed (live mkeys = created + 1 - destroyed)', () => {
  const { answers } = runScript([
    ...setup({ parent: 'mlx5', kernel: '6.12.117', useVa: false }),
    { op: 'update', iova: '0x0', size: '0x200000', uaddr: GUEST_UADDR, perm: 'rw' },
    { op: 'dump' },
  ]);
  const c = countersOf(answers[4]);
  // One direct MR and the indirect mkey built; the creation-time DMA MR's one mkey destroyed.
  assert.deepEqual([c.mrBuilds, c.mkeysCreated, c.mkeysDestroyed], [1, 2, 1]);
});

for (const kernel of ['6.1.192', '6.12.117']) {
  test(`mlx5 ${kernel}: after a clean reset only ASID 0 has the DMA MR; the CVQ's ASID 1 has no MR and translates nothing`, () => {
    const { answers } = runScript([
      ...setup({ parent: 'mlx5', kernel, useVa: false }),
      { op: 'set_backend_features', features: ['IOTLB_MSG_V2', 'IOTLB_BATCH', 'IOTLB_ASID'] },
      { op: 'set_group_asid', group: 1, asid: 1 },
      { op: 'update', asid: 1, iova: '0x0', size: '0x1000', uaddr: GUEST_UADDR, perm: 'rw' },
      { op: 'set_status', status: 0 },
      { op: 'dump' },
    ]);
    const asids = (answers[7] as unknown as { asids: Record<string, { device: { passthrough: boolean; count: number } }> }).asids;
    assert.deepEqual([asids['1'].device.passthrough, asids['1'].device.count], [false, 0]);
  });
}

for (const parent of ['vdpa_sim', 'mlx5']) {
  test(`${parent}: a device reset puts every virtqueue group back on ASID 0, PERSIST or not`, () => {
    const { answers } = runScript([
      ...setup({ parent, kernel: '6.12.117', useVa: false }),
      { op: 'set_backend_features', features: ['IOTLB_MSG_V2', 'IOTLB_BATCH', 'IOTLB_ASID', 'IOTLB_PERSIST'] },
      { op: 'set_group_asid', group: 1, asid: 1 },
      { op: 'set_status', status: 0 },
      { op: 'dump' },
    ]);
    assert.deepEqual((answers[6] as unknown as { groupAsid: number[] }).groupAsid, [0, 0]);
  });
}
