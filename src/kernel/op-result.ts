/** What one ioctl or write() answers: userspace's errno and the handler's own error (see vhost-vdpa.ts). */
import type { ErrnoName } from '../errors.js';

export interface OpResult {
  ret: 0 | -1;
  errno: ErrnoName | null;
  cause: ErrnoName | null;
}

export const OK: OpResult = Object.freeze({ ret: 0, errno: null, cause: null });

export function fail(errno: ErrnoName, cause: ErrnoName = errno): OpResult {
  return { ret: -1, errno, cause };
}
