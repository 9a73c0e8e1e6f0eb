/**
 * 64-bit addresses at the API edge. Callers pass bigint; inside, an address is
 * a page number (< 2^52, exact as a number) and a 12-bit offset.
 */
import { IotlbError } from '../errors.js';
import { PAGE_OFFSET_MASK, PAGE_SHIFT } from './layout.js';

export const U64_MAX = (1n << 64n) - 1n;

/** A 64-bit address split for the tree. */
export interface PageAddr {
  page: number;
  off: number;
}

/** Checks that `value` is a bigint in [0, 2^64-1]; `what` names it in the error. */
export function checkU64(value: unknown, what: string): bigint {
  if (typeof value !== 'bigint') {
    throw new IotlbError('EINVAL', `${what} must be a bigint, got ${typeof value}`);
  }
  if (value < 0n || value > U64_MAX) {
    throw new IotlbError('EINVAL', `${what} must be in [0, 2^64-1], got ${value}`);
  }
  return value;
}

export function split(addr: bigint): PageAddr {
  return { page: Number(addr >> BigInt(PAGE_SHIFT)), off: Number(addr & BigInt(PAGE_OFFSET_MASK)) };
}

export function join(page: number, off: number): bigint {
  return (BigInt(page) << BigInt(PAGE_SHIFT)) | BigInt(off);
}

/** Parses `0x...` or decimal text into a u64; returns undefined if it is not one. */
export function parseU64(text: string): bigint | undefined {
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(text)) return undefined;
  const v = BigInt(text);
  return v <= U64_MAX ? v : undefined;
}

export function hex(v: bigint | number): string {
  return '0x' + v.toString(16);
}
