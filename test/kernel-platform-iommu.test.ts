/**
 * The platform-IOMMU parent as vhost-vdpa sees it (drivers/vhost/vdpa.c in
 * Debian's 6.1.192, 6.12.117 and 7.2.13 trees), checked on the real kernels
 * with vp_vdpa behind QEMU's intel-iommu (real/platform-iommu.ts,
 * test/real-platform-iommu.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInputError } from '../src/errors.js';
import { runScript } from './support/session.js';

const UADDR = '0x100000000';

test('a platform-IOMMU device has one address space and one group: vhost_vdpa_probe refuses more, so an UPDATE for ASID 1 is EFAULT (EINVAL) and nas 2 is not a device', () => {
  const { answers } = runScript([
    { op: 'open', parent: 'platform-iommu', kernel: '6.12.117' },
    { op: 'mmap', uaddr: UADDR, size: '0x10000', backing: '4k' },
    { op: 'set_owner' },
    { op: 'set_backend_features', features: ['IOTLB_MSG_V2', 'IOTLB_ASID'] },
    { op: 'update', asid: 1, iova: '0x0', size: '0x1000', uaddr: UADDR, perm: 'rw' },
    { op: 'update', asid: 0, iova: '0x0', size: '0x1000', uaddr: UADDR, perm: 'rw' },
    { op: 'set_group_asid', group: 0, asid: 1 },
  ]);
  assert.deepEqual([answers[4].errno, answers[4].cause], ['EFAULT', 'EINVAL']);
  assert.equal(answers[5].ret, 0);
  // ngroups 1, nas 1: the asid check comes before the missing .set_group_asid.
  assert.equal(answers[6].errno, 'EINVAL');
  assert.throws(
    () => runScript([{ op: 'open', parent: 'platform-iommu', kernel: '6.12.117', nas: 2 }]),
    (e: unknown) => isInputError(e) && /line 1: nas: vhost_vdpa_probe refuses a platform-IOMMU parent with more than one address space or group/.test((e as Error).message),
  );
});

test("a platform-IOMMU device offers its domain's aperture as its IOVA range (no .get_iova_range): [0, 2^48-1] behind a 48-bit VT-d, and an UPDATE past it is EFAULT (EINVAL)", () => {
  const { answers } = runScript([
    { op: 'open', parent: 'platform-iommu', kernel: '6.12.117' },
    { op: 'get_iova_range' },
    { op: 'mmap', uaddr: UADDR, size: '0x10000', backing: '4k' },
    { op: 'set_owner' },
    { op: 'update', iova: '0x1000000000000', size: '0x1000', uaddr: UADDR, perm: 'rw' },
    { op: 'update', iova: '0xfffffffff000', size: '0x1000', uaddr: UADDR, perm: 'rw' },
  ]);
  assert.deepEqual([answers[1].first, answers[1].last], ['0x0', '0xffffffffffff']);
  assert.deepEqual([answers[4].errno, answers[4].cause], ['EFAULT', 'EINVAL']);
  assert.equal(answers[5].ret, 0);
  // vdpa_sim's own .get_iova_range stays the whole space.
  const sim = runScript([{ op: 'open', parent: 'vdpa_sim', kernel: '6.12.117' }, { op: 'get_iova_range' }]).answers[1];
  assert.equal(sim.last, '0xffffffffffffffff');
});
