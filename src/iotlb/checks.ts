/** Argument checks shared by the radix IOTLB's write paths and its bigint API. */
import { IotlbError } from '../errors.js';
import { MAX_PAGE } from './layout.js';

/** An integer page number in [0, MAX_PAGE] (NaN and fractions fail the floor test). */
export function isPage(p: number): boolean {
  return p >= 0 && p <= MAX_PAGE && Math.floor(p) === p;
}

export function checkPerm(perm: number): void {
  if (!(Number.isInteger(perm) && perm >= 0 && perm <= 0xff)) {
    throw new IotlbError('EINVAL', `perm must be an integer in [0, 255] (vhost uses RO=1 WO=2 RW=3), got ${perm}`);
  }
}
