/**
 * The VDUSE parent as real kernels answered it with the lab's VDUSE device
 * (native/vduse/, an API v0 virtio-net device; workloads/sessions/vduse/):
 * the fixes #29's comparison made to the model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScript, setup } from './support/session.js';

test('a VDUSE device has one address space unless the line says: an UPDATE for ASID 1 is EFAULT (handler EINVAL), as on real 6.12 and 7.2', () => {
  for (const kernel of ['6.12.117', '7.2.13']) {
    const { answers } = runScript([
      ...setup({ parent: 'vduse', kernel }, '0x200000', '4k'),
      { op: 'set_backend_features', features: ['IOTLB_MSG_V2', 'IOTLB_ASID'] },
      { op: 'update', asid: 1, iova: '0x0', size: '0x1000', uaddr: '0x7f0000000000', perm: 'rw' },
      { op: 'update', asid: 0, iova: '0x0', size: '0x1000', uaddr: '0x7f0000000000', perm: 'rw' },
    ]);
    const [asid1, asid0] = answers.slice(-2);
    assert.deepEqual([asid1.ret, asid1.errno, asid1.cause], [-1, 'EFAULT', 'EINVAL'], kernel);
    assert.equal(asid0.ret, 0, kernel);
  }
  // A line may still ask for more (an API v1 device is not modeled, but the field stands).
  const { answers } = runScript([
    ...setup({ parent: 'vduse', kernel: '6.12.117', nas: 2 }, '0x200000', '4k'),
    { op: 'set_backend_features', features: ['IOTLB_MSG_V2', 'IOTLB_ASID'] },
    { op: 'update', asid: 1, iova: '0x0', size: '0x1000', uaddr: '0x7f0000000000', perm: 'rw' },
  ]);
  assert.equal(answers.at(-1)!.ret, 0);
});

test("SET_GROUP_ASID on VDUSE: no op on 6.12 (EOPNOTSUPP), vduse_set_group_asid's EINVAL below API v1 on 7.2, as the real kernels answered", () => {
  const groupAsid = (kernel: string) => {
    const { answers } = runScript([...setup({ parent: 'vduse', kernel }, '0x200000', '4k'), { op: 'set_group_asid', group: 0, asid: 0 }, { op: 'set_group_asid', group: 0, asid: 1 }]);
    return answers.slice(-2).map((a) => a.errno);
  };
  assert.deepEqual(groupAsid('6.12.117'), ['EOPNOTSUPP', 'EINVAL']);
  assert.deepEqual(groupAsid('7.2.13'), ['EINVAL', 'EINVAL']);
});
