/**
 * VHOST_SET_FEATURES and VHOST_VDPA_GET_VRING_GROUP as the kernel answers
 * them (drivers/vhost/vdpa.c vhost_vdpa_set_features and
 * vhost_vdpa_vring_ioctl in Debian's 6.1.192 and 6.12.117 trees; the
 * parents' .set_driver_features and .get_vq_group; src/kernel/vring-group.ts).
 * workloads/sessions/vring-group.jsonl puts the vdpa_sim half to the real
 * kernels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScript } from './support/session.js';

const KERNELS = ['6.1.192', '6.12.117'];
/** VERSION_1, ACCESS_PLATFORM, CTRL_VQ, MAC. */
const NET = 0x300020020n;
const MQ = 1n << 22n;
const hex = (v: bigint) => `0x${v.toString(16)}`;
const groups = (parent: string, kernel: string, extra: object[], open: object = {}) =>
  runScript([{ op: 'open', parent, kernel, ...open }, { op: 'set_owner' }, ...extra]).answers.slice(2);

test('GET_VRING_GROUP checks the owner before the index (vhost_dev_ioctl first), then the index against nvqs (ENOBUFS)', () => {
  for (const kernel of KERNELS) {
    const a = runScript([
      { op: 'open', parent: 'vdpa_sim', kernel },
      { op: 'get_vring_group', index: 2 },
      { op: 'get_vring_group', index: 99 },
      { op: 'set_owner' },
      { op: 'get_vring_group', index: 3 },
      { op: 'get_vring_group', index: 2 ** 32 - 1 },
      { op: 'dump' },
    ]).answers;
    assert.deepEqual(a.slice(1, 6).map((x) => x.errno), ['EPERM', 'EPERM', null, 'ENOBUFS', 'ENOBUFS'], kernel);
    // Each is one ioctl whatever it answers: four, SET_OWNER and the dump's own.
    assert.equal((a[6].counters as Record<string, number>).ioctls, 5, kernel);
  }
});

test('vdpa_sim puts VQ 2 (the CVQ) in group 1 and the data VQs in group 0 (vdpasim_get_vq_group); past ngroups the group is EIO; a larger model-only vdpa_sim keeps its last VQ there', () => {
  for (const kernel of KERNELS) {
    const q = [0, 1, 2].map((index) => ({ op: 'get_vring_group', index }));
    assert.deepEqual(groups('vdpa_sim', kernel, q).map((x) => x.group), [0, 0, 1], kernel);
    const one = groups('vdpa_sim', kernel, q, { ngroups: 1 });
    assert.deepEqual(one.map((x) => x.errno), [null, null, 'EIO'], kernel);
    assert.equal(one[2].group, undefined, 'no group on a refusal');
    // A 5-VQ vdpa_sim (a model-only size: the real one has 3): its CVQ, the last VQ, is the one in group 1.
    const five = groups('vdpa_sim', kernel, [2, 4].map((index) => ({ op: 'get_vring_group', index })), { nvqs: 5 });
    assert.deepEqual(five.map((x) => x.group), [0, 1], kernel);
  }
});

test("mlx5's CVQ group follows the negotiated features: VQ max_vqs with MQ, VQ 2 without (ctrl_vq_idx); a reset forgets them", () => {
  for (const kernel of KERNELS) {
    const q = [2, 16].map((index) => ({ op: 'get_vring_group', index }));
    const a = groups('mlx5', kernel, [
      ...q,
      { op: 'set_status', status: ['ACKNOWLEDGE', 'DRIVER'] },
      { op: 'set_features', features: hex(NET | MQ) },
      ...q,
      { op: 'set_status', status: 0 },
      ...q,
    ]);
    assert.deepEqual(a.map((x) => x.group ?? null), [1, 0, null, null, 0, 1, null, 1, 0], kernel);
  }
});

test('VDUSE and the platform-IOMMU parent have no .get_vq_group: EOPNOTSUPP, which QEMU takes as "not isolated"', () => {
  for (const kernel of KERNELS) {
    for (const parent of ['vduse', 'platform-iommu']) {
      const [a] = groups(parent, kernel, [{ op: 'get_vring_group', index: 2 }]);
      assert.equal(a.errno, 'EOPNOTSUPP', `${parent} ${kernel}`);
    }
  }
});

test('from v7.0 VDUSE has .get_vq_group: an API v0 device answers group 0 on 7.2.13 where 6.12.117 answered EOPNOTSUPP', () => {
  for (const [kernel, want] of [['6.12.117', 'EOPNOTSUPP'], ['7.2.13', null], ['mainline', null]] as const) {
    const [a] = groups('vduse', kernel, [{ op: 'get_vring_group', index: 2 }]);
    assert.equal(a.errno, want, kernel);
    if (want === null) assert.equal(a.group, 0, kernel);
  }
  const [p] = groups('platform-iommu', '7.2.13', [{ op: 'get_vring_group', index: 2 }]);
  assert.equal(p.errno, 'EOPNOTSUPP');
});

test('SET_FEATURES: no owner check; EBUSY once FEATURES_OK is set; the parent refuses what it must (vdpa_sim, mlx5: no ACCESS_PLATFORM; mlx5: MQ without CTRL_VQ) as EINVAL', () => {
  for (const kernel of KERNELS) {
    const r = (parent: string, lines: object[]) => runScript([{ op: 'open', parent, kernel }, ...lines]).answers.slice(1).map((x) => x.errno);
    assert.deepEqual(r('vdpa_sim', [{ op: 'set_features', features: hex(NET) }, { op: 'set_features', features: hex(NET & ~(1n << 33n)) }]), [null, 'EINVAL'], kernel);
    assert.deepEqual(r('mlx5', [{ op: 'set_features', features: hex(NET & ~(1n << 33n)) }, { op: 'set_features', features: hex((NET & ~(1n << 17n)) | MQ) }]), ['EINVAL', 'EINVAL'], kernel);
    assert.deepEqual(r('vduse', [{ op: 'set_features', features: '0x0' }]), [null], kernel);
    const busy = r('vdpa_sim', [
      { op: 'set_status', status: ['ACKNOWLEDGE', 'DRIVER', 'FEATURES_OK'] },
      { op: 'set_features', features: hex(NET) },
      { op: 'set_status', status: 0 },
      { op: 'set_features', features: hex(NET) },
    ]);
    assert.deepEqual(busy, [null, 'EBUSY', null, null], kernel);
  }
});

test('the script fields are checked: features is a 64-bit string, index an unsigned 32-bit integer', () => {
  assert.throws(() => runScript([{ op: 'open', parent: 'vdpa_sim', kernel: '6.12.117' }, { op: 'set_features', features: 5 }]), /line 2: features: must be a string/);
  assert.throws(() => runScript([{ op: 'open', parent: 'vdpa_sim', kernel: '6.12.117' }, { op: 'get_vring_group', index: -1 }]), /line 2: index: must be an integer in \[0, 4294967295\]/);
  assert.throws(() => runScript([{ op: 'open', parent: 'vdpa_sim', kernel: '6.12.117' }, { op: 'get_vring_group', index: 0, group: 1 }]), /line 2: group: unknown field for get_vring_group/);
});
