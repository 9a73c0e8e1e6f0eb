import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScript } from './support/session.js';

const U = '0x100000000';

test('every IOTLB message errno path returns what userspace sees and the handler cause', () => {
  const { answers } = runScript([
    { op: 'open', parent: 'vdpa_sim', kernel: 'reset-map', useVa: false, nas: 2, iovaRange: { first: '0x0', last: '0xffffffffff' } },
    { op: 'mmap', uaddr: U, size: '0x200000', backing: '4k' },
    { op: 'update', iova: '0x0', size: '0x1000', uaddr: U, perm: 'rw' }, // 3: not owner
    { op: 'set_owner' },
    { op: 'set_owner' }, // 5: twice
    { op: 'update', iova: '0x0', size: '0x0', uaddr: U, perm: 'rw' }, // 6: size 0
    { op: 'update', iova: '0x0', size: '0x1000', uaddr: U, perm: 'rw', msgType: 9 }, // 7: bad msg type
    { op: 'update', iova: '0x0', size: '0x2000', uaddr: U, perm: 'rw' }, // 8: ok
    { op: 'update', iova: '0x1000', size: '0x1000', uaddr: U, perm: 'rw' }, // 9: overlap
    { op: 'update', iova: '0xfffffff000', size: '0x2000', uaddr: U, perm: 'rw' }, // 10: past range.last
    { op: 'update', iova: '0x10000', size: '0x1000', uaddr: '0x900000000', perm: 'rw' }, // 11: no VMA
    { op: 'setrlimit', memlock: '0x2000' }, // two pages, both in use
    { op: 'update', iova: '0x20000', size: '0x1000', uaddr: U, perm: 'rw' }, // 13: memlock
    { op: 'setrlimit', memlock: 'unlimited' },
    { op: 'update', iova: '0x30000', size: '0x1000', uaddr: '0x1001ff000', perm: 'rw' }, // 15: ok, last page of region
    { op: 'update', iova: '0x40000', size: '0x2000', uaddr: '0x1001ff000', perm: 'rw' }, // 16: short pin -> ENOMEM
    { op: 'set_backend_features', features: ['IOTLB_MSG_V2', 'IOTLB_ASID'] },
    { op: 'update', asid: 2, iova: '0x0', size: '0x1000', uaddr: U, perm: 'rw' }, // 18: asid >= nas
    { op: 'invalidate', asid: 1, iova: '0x0', size: '0x1000' }, // 19: missing AS
    { op: 'batch_begin', asid: 0 },
    { op: 'update', asid: 1, iova: '0x0', size: '0x1000', uaddr: U, perm: 'rw' }, // 21: other ASID in batch
    { op: 'batch_end', asid: 0 },
    { op: 'iotlb', type: 42 }, // 23: unknown iotlb type
    { op: 'set_group_asid', group: 0, asid: 5 }, // 24
    { op: 'set_group_asid', group: 9, asid: 0 }, // 25: past the virtqueues
    { op: 'set_status', status: ['ACKNOWLEDGE', 'DRIVER'] },
    { op: 'set_status', status: ['ACKNOWLEDGE'] }, // 27: clearing a bit
    { op: 'invalidate', iova: '0x900000', size: '0x1000' }, // 28: unmapped range: fine
  ]);
  const at = (n: number) => [answers[n - 1].errno, answers[n - 1].cause];
  assert.deepEqual(at(3), ['EFAULT', 'EPERM']);
  assert.deepEqual(at(5), ['EBUSY', 'EBUSY']);
  assert.deepEqual(at(6), ['EINVAL', 'EINVAL']);
  assert.deepEqual(at(7), ['EINVAL', 'EINVAL']);
  assert.deepEqual(at(8), [null, null]);
  assert.deepEqual(at(9), ['EFAULT', 'EEXIST']);
  assert.deepEqual(at(10), ['EFAULT', 'EINVAL']);
  assert.deepEqual(at(11), ['EFAULT', 'EFAULT']);
  assert.deepEqual(at(13), ['EFAULT', 'ENOMEM']);
  assert.deepEqual(at(15), [null, null]);
  assert.deepEqual(at(16), ['EFAULT', 'ENOMEM']);
  assert.deepEqual(at(18), ['EFAULT', 'EINVAL']);
  assert.deepEqual(at(19), ['EFAULT', 'EINVAL']);
  assert.deepEqual(at(21), ['EFAULT', 'EINVAL']);
  assert.deepEqual(at(23), ['EFAULT', 'EINVAL']);
  assert.deepEqual(at(24), ['EINVAL', 'EINVAL']);
  assert.deepEqual(at(25), ['ENOBUFS', 'ENOBUFS']);
  assert.deepEqual(at(27), ['EINVAL', 'EINVAL']);
  assert.deepEqual(at(28), [null, null]);
});

test('a failing message leaves pins and pinned_vm as they were', () => {
  const { session, answers } = runScript([
    { op: 'open', parent: 'platform-iommu', kernel: 'reset-map' },
    { op: 'mmap', uaddr: U, size: '0x200000', backing: '4k', meanRun: 4 },
    { op: 'set_owner' },
    { op: 'update', iova: '0x0', size: '0x100000', uaddr: U, perm: 'rw' },
    { op: 'update', iova: '0x100000', size: '0x200000', uaddr: '0x100100000', perm: 'rw' }, // runs off the VMA
    { op: 'setrlimit', memlock: '0x180000' },
    { op: 'update', iova: '0x100000', size: '0x100000', uaddr: '0x100100000', perm: 'rw' }, // memlock
    { op: 'check' },
  ]);
  assert.equal(answers[4].cause, 'ENOMEM');
  assert.equal(answers[6].cause, 'ENOMEM');
  assert.equal(session.mm.pinnedVm, 256);
  assert.equal(session.mm.totalPins(), 256);
  assert.equal(answers[7].ok, true);
});

test('PERSIST on a kernel or parent that does not offer it is EOPNOTSUPP', () => {
  for (const [parent, kernel, offered] of [
    ['mlx5', 'legacy', false],
    ['vdpa_sim', 'legacy', false],
    ['vduse', 'reset-map', false],
    ['mlx5', 'reset-map', true],
    ['vdpa_sim', 'reset-map', true],
    ['platform-iommu', 'reset-map', true],
  ] as const) {
    const { answers } = runScript([
      { op: 'open', parent, kernel },
      { op: 'get_backend_features' },
      { op: 'set_backend_features', features: ['IOTLB_PERSIST'] },
    ]);
    assert.equal((answers[1].features as string[]).includes('IOTLB_PERSIST'), offered, `${parent}/${kernel} offers`);
    assert.equal(answers[2].errno, offered ? null : 'EOPNOTSUPP', `${parent}/${kernel} ack`);
  }
});

test('opening the same device twice is EBUSY', () => {
  const { answers } = runScript([
    { op: 'open', parent: 'mlx5', kernel: 'legacy' },
    { op: 'open', parent: 'mlx5', kernel: 'legacy' },
  ]);
  assert.equal(answers[1].errno, 'EBUSY');
});

test('offered backend features follow the parent and kernel: SUSPEND from 6.1.192, RESUME, DESC_ASID and the parent own from 6.7 (as the real 6.1 and 6.12 offer them)', () => {
  const offered = (parent: string, kernel: string) => runScript([{ op: 'open', parent, kernel }, { op: 'get_backend_features' }]).answers[1].features;
  assert.deepEqual(offered('vdpa_sim', 'legacy'), ['IOTLB_MSG_V2', 'IOTLB_BATCH', 'IOTLB_ASID', 'SUSPEND']);
  assert.deepEqual(offered('vdpa_sim', 'reset-map'), ['IOTLB_MSG_V2', 'IOTLB_BATCH', 'IOTLB_ASID', 'SUSPEND', 'RESUME', 'ENABLE_AFTER_DRIVER_OK', 'IOTLB_PERSIST']);
  assert.deepEqual(offered('mlx5', 'reset-map'), ['IOTLB_MSG_V2', 'IOTLB_BATCH', 'IOTLB_ASID', 'SUSPEND', 'RESUME', 'ENABLE_AFTER_DRIVER_OK', 'DESC_ASID', 'IOTLB_PERSIST']);
  assert.deepEqual(offered('vduse', 'reset-map'), ['IOTLB_MSG_V2', 'IOTLB_BATCH', 'IOTLB_ASID']);
});

test('SET_BACKEND_FEATURES checks in the kernel order: unknown bits, then what the parent cannot back, DESC_ASID without IOTLB_ASID is EINVAL', () => {
  const set = (parent: string, kernel: string, features: string[]) => runScript([{ op: 'open', parent, kernel }, { op: 'set_backend_features', features }]).answers[1].errno;
  assert.equal(set('vdpa_sim', 'legacy', ['SUSPEND']), null);
  assert.equal(set('vdpa_sim', 'legacy', ['RESUME']), 'EOPNOTSUPP'); // 6.1's vhost-vdpa knows no RESUME
  assert.equal(set('vdpa_sim', 'reset-map', ['RESUME', 'ENABLE_AFTER_DRIVER_OK']), null);
  assert.equal(set('vduse', 'reset-map', ['SUSPEND']), 'EOPNOTSUPP');
  assert.equal(set('vduse', 'reset-map', ['ENABLE_AFTER_DRIVER_OK']), null); // known bit, not checked against the parent
  assert.equal(set('mlx5', 'reset-map', ['DESC_ASID']), 'EINVAL');
  assert.equal(set('mlx5', 'reset-map', ['IOTLB_ASID', 'DESC_ASID']), null);
  assert.equal(set('vdpa_sim', 'reset-map', ['IOTLB_ASID', 'DESC_ASID']), 'EOPNOTSUPP');
});
