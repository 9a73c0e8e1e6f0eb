/**
 * VHOST_VDPA_SUSPEND / VHOST_VDPA_RESUME as the kernel answers them
 * (drivers/vhost/vdpa.c vhost_vdpa_suspend / _resume in Debian's 6.1.192 and
 * 6.12.117 trees; src/kernel/suspend-resume.ts), and what the parents do
 * with them (vdpa_sim stops, mlx5 suspends its VQs so an MR swap while
 * suspended costs no VQ suspend/resume). Through `exec` script lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GUEST_UADDR, runScript, setup } from './support/session.js';

const DRIVER_OK = { op: 'set_status', status: ['ACKNOWLEDGE', 'DRIVER', 'FEATURES_OK', 'DRIVER_OK'] };
const MAP = [
  { op: 'batch_begin' },
  { op: 'update', iova: '0x0', size: '0x4000000', uaddr: GUEST_UADDR, perm: 'rw' },
  { op: 'batch_end' },
];
/** One more map outside any batch: a whole set_map, so on mlx5 an MR swap (mlx5_vdpa_change_map). */
const REMAP = { op: 'update', iova: '0x10000000', size: '0x1000', uaddr: GUEST_UADDR, perm: 'rw' };

type Counters = Record<string, number>;
const counters = (a: Record<string, unknown>) => a.counters as Counters;

test('SUSPEND needs no SET_OWNER and no acked SUSPEND feature (handled in vhost_vdpa_unlocked_ioctl\'s own switch); it is one ioctl', () => {
  for (const kernel of ['6.1.192', '6.12.117']) {
    const { answers } = runScript([
      { op: 'open', parent: 'vdpa_sim', kernel },
      { op: 'suspend' },
      { op: 'set_owner' },
      { op: 'set_backend_features', features: ['IOTLB_MSG_V2', 'IOTLB_BATCH'] },
      DRIVER_OK,
      { op: 'suspend' },
      { op: 'dump' },
    ]);
    assert.equal(answers[1].errno, null, kernel);
    assert.equal(answers[5].errno, null, kernel);
    assert.equal(answers[6].suspended, true, kernel);
    // 2 SUSPENDs, SET_OWNER, SET_BACKEND_FEATURES, SET_STATUS.
    assert.equal(counters(answers[6]).ioctls, 5, kernel);
  }
});

test('6.1 calls the parent\'s .suspend before DRIVER_OK; v6.9+ ("vdpa: skip suspend/resume ops if not DRIVER_OK") answers 0 and leaves it running', () => {
  const run = (kernel: string) =>
    runScript([...setup({ parent: 'mlx5', kernel }), { op: 'suspend' }, { op: 'dump' }]).answers;
  const old = run('6.1.192');
  assert.equal(old[3].errno, null);
  assert.equal(old[4].suspended, true, '6.1: mvdev->suspended set whatever the status');
  const now = run('6.12.117');
  assert.equal(now[3].errno, null);
  assert.equal(now[4].suspended, false, '6.12: returned before ops->suspend');
  // 6.6 is before the skip: it calls the op too.
  assert.equal(run('6.6.0')[4].suspended, true);
});

test('a parent without .suspend (VDUSE, platform IOMMU): EOPNOTSUPP; on v6.9+ only once DRIVER_OK is set (the status check comes first)', () => {
  for (const parent of ['vduse', 'platform-iommu']) {
    const old = runScript([...setup({ parent, kernel: '6.1.192' }), { op: 'suspend' }]).answers;
    assert.equal(old[3].errno, 'EOPNOTSUPP', parent);
    const now = runScript([...setup({ parent, kernel: '6.12.117' }), { op: 'suspend' }, DRIVER_OK, { op: 'suspend' }, { op: 'resume' }]).answers;
    assert.equal(now[3].errno, null, `${parent}: before DRIVER_OK`);
    assert.equal(now[5].errno, 'EOPNOTSUPP', parent);
    assert.equal(now[6].errno, 'EOPNOTSUPP', parent);
  }
});

test('RESUME on 6.1 is an ioctl number vhost-vdpa does not know: EPERM before SET_OWNER (vhost_dev_ioctl), EFAULT after (vhost_vdpa_vring_ioctl reads a vring index from NULL)', () => {
  const { answers } = runScript([{ op: 'open', parent: 'vdpa_sim', kernel: '6.1.192' }, { op: 'resume' }, { op: 'set_owner' }, DRIVER_OK, { op: 'resume' }]);
  assert.equal(answers[1].errno, 'EPERM');
  assert.equal(answers[4].errno, 'EFAULT');
  // 5.19 does not know SUSPEND either.
  const older = runScript([...setup({ parent: 'vdpa_sim', kernel: '5.19.0' }), { op: 'suspend' }]).answers;
  assert.equal(older[3].errno, 'EFAULT');
});

test('RESUME ends a suspend: vdpa_sim from v6.4; mlx5 from v6.8 (6.6 mlx5 has no .resume: EOPNOTSUPP), resuming its VQs', () => {
  const script = (kernel: string, parent: string) => [...setup({ parent, kernel }), DRIVER_OK, { op: 'suspend' }, { op: 'resume' }, { op: 'dump' }];
  const sim = runScript(script('6.12.117', 'vdpa_sim')).answers;
  assert.equal(sim[5].errno, null);
  assert.equal(sim[6].suspended, false);
  const mlx5 = runScript(script('6.12.117', 'mlx5')).answers;
  assert.equal(mlx5[5].errno, null);
  assert.equal(mlx5[6].suspended, false);
  assert.equal(counters(mlx5[6]).vqSuspends, 1, 'mlx5_vdpa_suspend: suspend_vqs');
  assert.equal(counters(mlx5[6]).vqResumes, 1, 'mlx5_vdpa_resume: resume_vqs');
  const old = runScript(script('6.6.0', 'mlx5')).answers;
  assert.equal(old[5].errno, 'EOPNOTSUPP');
  assert.equal(old[6].suspended, true);
});

test('mlx5: an MR swap while suspended costs no VQ suspend/resume (mlx5_vdpa_change_map: VQs not RDY, no resume while mvdev->suspended), on 6.1 and 6.12', () => {
  for (const kernel of ['6.1.192', '6.12.117']) {
    const base = [...setup({ parent: 'mlx5', kernel }), ...MAP, DRIVER_OK];
    const running = runScript([...base, REMAP, { op: 'dump' }]).answers;
    const c0 = counters(running[running.length - 1]);
    assert.equal(c0.vqSuspends, 1, `${kernel}: a swap on a running device`);
    assert.equal(c0.vqResumes, 1, kernel);
    const suspended = runScript([...base, { op: 'suspend' }, REMAP, { op: 'dump' }]).answers;
    const c1 = counters(suspended[suspended.length - 1]);
    assert.equal(c1.vqSuspends, 1, `${kernel}: only SUSPEND's own`);
    assert.equal(c1.vqResumes, 0, kernel);
    assert.equal(c1.mrBuilds, c0.mrBuilds, `${kernel}: the MR is rebuilt all the same`);
  }
});

test('a reset ends a suspend (mlx5 reset clears mvdev->suspended): after it and DRIVER_OK again, an MR swap suspends and resumes the VQs', () => {
  const { answers } = runScript([
    ...setup({ parent: 'mlx5', kernel: '6.12.117' }),
    { op: 'set_backend_features', features: ['IOTLB_MSG_V2', 'IOTLB_BATCH', 'IOTLB_PERSIST'] },
    ...MAP,
    DRIVER_OK,
    { op: 'suspend' },
    { op: 'set_status', status: 0 },
    { op: 'dump' },
    DRIVER_OK,
    REMAP,
    { op: 'dump' },
  ]);
  const afterReset = answers[10];
  assert.equal(afterReset.suspended, false);
  const end = counters(answers[answers.length - 1]);
  assert.equal(end.vqSuspends, 2, 'SUSPEND, then the swap');
  assert.equal(end.vqResumes, 1);
});

test('vdpa_sim: a SET_STATUS with DRIVER_OK sets it running again (vdpasim_set_status), as RESUME would', () => {
  const { answers } = runScript([...setup({ parent: 'vdpa_sim', kernel: '6.1.192' }), DRIVER_OK, { op: 'suspend' }, { op: 'dump' }, DRIVER_OK, { op: 'dump' }]);
  assert.equal(answers[5].suspended, true);
  assert.equal(answers[7].suspended, false);
});

test('suspend and resume lines take only a device: any other field is refused, naming it', () => {
  assert.throws(() => runScript([{ op: 'open', parent: 'vdpa_sim', kernel: '6.12.117' }, { op: 'suspend', asid: 1 }]), /line 2: asid: unknown field for suspend/);
});
