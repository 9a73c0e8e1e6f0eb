/**
 * Growable SharedArrayBuffers with fixed-length views.
 *
 * Why fixed-length views: on Node 20 (V8 11) a length-tracking typed array over
 * a growable SAB is about 12x slower per element than a fixed-length view of the
 * same buffer. So every owner keeps fixed views and rebuilds them after a grow;
 * the buffer object itself never changes, so readers in other workers keep it.
 */
import { MAX_GROWABLE_BYTES } from './layout.js';

export function growableSab(initialBytes: number, maxBytes = MAX_GROWABLE_BYTES): SharedArrayBuffer {
  return new SharedArrayBuffer(initialBytes, { maxByteLength: maxBytes });
}

/**
 * Grows `sab` (doubling) so that it holds at least `neededBytes`.
 * Returns true when it grew. Throws RangeError past the buffer's maximum.
 */
export function growTo(sab: SharedArrayBuffer, neededBytes: number): boolean {
  if (neededBytes <= sab.byteLength) return false;
  if (neededBytes > sab.maxByteLength) {
    throw new RangeError(`shared buffer would exceed ${sab.maxByteLength} bytes`);
  }
  let next = Math.max(sab.byteLength * 2, 4096);
  while (next < neededBytes) next *= 2;
  sab.grow(Math.min(next, sab.maxByteLength));
  return true;
}
