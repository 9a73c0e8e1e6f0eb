/**
 * The reset table of docs/domain.md ("Kernel generations and what a reset
 * does") through `exec`: kernel generation x parent x PERSIST acked, after
 * a map and a device reset. What does the parent still translate, and are
 * vhost's maps and pins untouched (they always are)?
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GUEST_UADDR, runScript, setup } from './support/session.js';

type Case = { parent: string; variant?: string; kernel: string; persist: boolean; offered: boolean; after: string };

const CASES: Case[] = [
  // legacy (v6.1): vdpa_sim and mlx5 wipe in .reset; nobody offers PERSIST.
  { parent: 'vdpa_sim', variant: 'set_map', kernel: 'legacy', persist: false, offered: false, after: 'wiped' },
  { parent: 'vdpa_sim', variant: 'dma_map', kernel: 'legacy', persist: false, offered: false, after: 'wiped' },
  { parent: 'mlx5', kernel: 'legacy', persist: false, offered: false, after: 'wiped' },
  { parent: 'vduse', kernel: 'legacy', persist: false, offered: false, after: 'consistent' },
  { parent: 'platform-iommu', kernel: 'legacy', persist: false, offered: false, after: 'consistent' },
  // reset-map (v6.7+): CLEAN_MAP unless PERSIST acked.
  { parent: 'vdpa_sim', variant: 'set_map', kernel: 'reset-map', persist: false, offered: true, after: 'wiped' },
  { parent: 'vdpa_sim', variant: 'set_map', kernel: 'reset-map', persist: true, offered: true, after: 'consistent' },
  { parent: 'vdpa_sim', variant: 'dma_map', kernel: 'reset-map', persist: false, offered: true, after: 'wiped' },
  { parent: 'vdpa_sim', variant: 'dma_map', kernel: 'reset-map', persist: true, offered: true, after: 'consistent' },
  { parent: 'mlx5', kernel: 'reset-map', persist: false, offered: true, after: 'wiped' },
  { parent: 'mlx5', kernel: 'reset-map', persist: true, offered: true, after: 'consistent' },
  { parent: 'vduse', kernel: 'reset-map', persist: false, offered: false, after: 'consistent' },
  { parent: 'platform-iommu', kernel: 'reset-map', persist: false, offered: true, after: 'consistent' },
  { parent: 'platform-iommu', kernel: 'reset-map', persist: true, offered: true, after: 'consistent' },
];

for (const c of CASES) {
  const name = `${c.kernel} ${c.parent}${c.variant ? '/' + c.variant : ''} persist=${c.persist}: device view after reset is ${c.after}`;
  test(name, () => {
    const features = ['IOTLB_MSG_V2', 'IOTLB_BATCH', ...(c.persist ? ['IOTLB_PERSIST'] : [])];
    const { session, answers } = runScript([
      ...setup({ parent: c.parent, kernel: c.kernel, ...(c.variant ? { variant: c.variant } : {}) }),
      { op: 'set_backend_features', features },
      { op: 'batch_begin' },
      { op: 'update', iova: '0x0', size: '0x4000000', uaddr: GUEST_UADDR, perm: 'rw' },
      { op: 'batch_end' },
      { op: 'set_status', status: ['ACKNOWLEDGE', 'DRIVER', 'FEATURES_OK', 'DRIVER_OK'] },
      { op: 'check' },
      { op: 'set_status', status: 0 },
      { op: 'check' },
      { op: 'dump' },
      { op: 'close' },
      { op: 'check' },
    ]);
    assert.equal(answers[3].errno, c.persist && !c.offered ? 'EOPNOTSUPP' : null);
    assert.deepEqual(answers[8].views, { 0: 'consistent' }, 'consistent before the reset');
    assert.deepEqual(answers[10].views, { 0: c.after });
    const dump = answers[11] as unknown as { asids: Record<string, { count: number; device: { passthrough: boolean } }>; pinnedVm: number; counters: Record<string, number> };
    // vhost-vdpa's own maps and pins survive every reset, in every generation.
    assert.ok(dump.asids['0'].count > 0);
    // PA parents pin the whole 64 MiB; VA ones (vduse, v6.7+ vdpa_sim by default) pin nothing.
    const paMode = !(c.parent === 'vduse' || (c.parent === 'vdpa_sim' && c.kernel === 'reset-map'));
    assert.equal(dump.pinnedVm, paMode ? 0x4000 : 0);
    // One reset at open (kernel-open-reset.test.ts: it wipes only on 6.1's vdpa_sim and mlx5), one by SET_STATUS 0.
    const openWiped = c.kernel === 'legacy' && (c.parent === 'vdpa_sim' || c.parent === 'mlx5') ? 1 : 0;
    assert.equal(dump.counters.resetsCleanMap + dump.counters.resetsKeepMap, 2);
    assert.equal(dump.counters.resetsCleanMap - openWiped, c.after === 'wiped' ? 1 : 0);
    if (c.after === 'wiped') {
      // v6.7+ vdpa_sim restores identity, mlx5 builds its 1:1 DMA MR; v6.1 vdpa_sim empties.
      assert.equal(dump.asids['0'].device.passthrough, !(c.parent === 'vdpa_sim' && c.kernel === 'legacy'));
    }
    // close releases everything, whatever the flow.
    assert.equal(answers[13].ok, true, String(answers[13].violations));
    assert.equal(session.mm.pinnedVm, 0);
    assert.equal(session.mm.totalPins(), 0);
  });
}

test('SET_STATUS 0 inside an open batch leaves the batch open: another ASID is still refused until BATCH_END (as both real kernels do)', () => {
  const { answers } = runScript([
    { op: 'open', parent: 'vdpa_sim', kernel: 'reset-map', useVa: false },
    { op: 'mmap', uaddr: '0x100000000', size: '0x200000', backing: '4k' },
    { op: 'set_owner' },
    { op: 'set_backend_features', features: ['IOTLB_MSG_V2', 'IOTLB_BATCH', 'IOTLB_ASID'] },
    { op: 'batch_begin', asid: 0 },
    { op: 'set_status', status: 0 },
    { op: 'update', asid: 1, iova: '0x0', size: '0x1000', uaddr: '0x100000000', perm: 'rw' },
    { op: 'batch_end', asid: 0 },
    { op: 'update', asid: 1, iova: '0x0', size: '0x1000', uaddr: '0x100000000', perm: 'rw' },
  ]);
  assert.deepEqual([answers[6].errno, answers[6].cause], ['EFAULT', 'EINVAL']);
  assert.equal(answers[8].errno, null);
});

test('vdpa_sim dma_unmap on an identity address space empties it first (vdpasim_dma_unmap): after a clean reset and an INVALIDATE the device translates nothing', () => {
  const { answers } = runScript([
    { op: 'open', parent: 'vdpa_sim', kernel: 'reset-map', useVa: false, variant: 'dma_map' },
    { op: 'mmap', uaddr: '0x100000000', size: '0x200000', backing: 'thp' },
    { op: 'set_owner' },
    { op: 'update', iova: '0x0', size: '0x200000', uaddr: '0x100000000', perm: 'rw' },
    { op: 'set_status', status: 0 },
    { op: 'invalidate', iova: '0x0', size: '0x200000' },
    { op: 'dump' },
  ]);
  const device = (answers[6] as unknown as { asids: Record<string, { device: { passthrough: boolean; count: number } }> }).asids['0'].device;
  assert.deepEqual(device, { ...device, passthrough: false, count: 0 });
});
