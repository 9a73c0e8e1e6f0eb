/**
 * VHOST_VDPA_SUSPEND and VHOST_VDPA_RESUME (drivers/vhost/vdpa.c
 * vhost_vdpa_suspend / vhost_vdpa_resume), read in Debian's 6.1.192 and
 * 6.12.117 trees:
 *  - both are handled in vhost_vdpa_unlocked_ioctl's own switch: no owner
 *    check, and no check that the SUSPEND / RESUME backend feature was acked;
 *  - from v6.9 ("vdpa: skip suspend/resume ops if not DRIVER_OK") each
 *    answers 0 without calling the parent while DRIVER_OK is clear; 6.1
 *    calls ops->suspend whatever the status;
 *  - then a parent without the op is EOPNOTSUPP (backend-ops.ts);
 *  - a kernel that does not know the number (SUSPEND before v6.0, RESUME
 *    before v6.4: 6.1) handles it as an unknown ioctl: vhost_dev_ioctl
 *    answers EPERM to a non-owner; for the owner it returns ENOIOCTLCMD and
 *    vhost_vdpa_vring_ioctl's get_user of a vring index from the argument
 *    (NULL: the lab's probe passes NULL to these _IO ioctls, as QEMU passes
 *    nothing) is EFAULT.
 * What the parent does with the op is its own (parents/: vdpa_sim stops
 * running, mlx5 suspends its VQs so a later MR swap does not). A reset ends
 * a suspend (vhost-vdpa.ts deviceReset).
 */
import { fail, OK, type OpResult } from './op-result.js';
import type { BackendOps } from './parents/backend-ops.js';
import type { Parent } from './parents/index.js';
import type { KernelBehaviour } from './versions.js';

/** What the two ioctls read of the open device. */
export interface SuspendTarget {
  readonly kernel: KernelBehaviour;
  readonly ops: BackendOps;
  readonly parent: Parent;
  readonly owner: boolean;
  /** DRIVER_OK is set. */
  readonly running: boolean;
}

function unknownIoctl(dev: SuspendTarget): OpResult {
  return fail(dev.owner ? 'EFAULT' : 'EPERM');
}

/** vhost_vdpa_suspend. */
export function suspendDevice(dev: SuspendTarget): OpResult {
  if (!dev.kernel.suspend) return unknownIoctl(dev);
  if (dev.kernel.suspendNeedsDriverOk && !dev.running) return OK;
  if (!dev.ops.suspend) return fail('EOPNOTSUPP');
  dev.parent.suspend(dev.running);
  return OK;
}

/** vhost_vdpa_resume (v6.4+): .resume is vdpa_sim's from v6.4, mlx5's from v6.8. */
export function resumeDevice(dev: SuspendTarget): OpResult {
  if (!dev.kernel.resume) return unknownIoctl(dev);
  if (dev.kernel.suspendNeedsDriverOk && !dev.running) return OK;
  if (!dev.ops.resume) return fail('EOPNOTSUPP');
  dev.parent.resume(dev.running);
  return OK;
}
