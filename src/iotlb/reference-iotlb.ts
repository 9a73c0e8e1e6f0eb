/**
 * ReferenceIotlb: a small, obviously-correct model of the IOTLB for tests.
 * A sorted array of bigint entries and linear scans: no cleverness, so the
 * radix tree can be checked against it answer for answer.
 */
import { IotlbError } from '../errors.js';
import { checkU64, U64_MAX } from './address.js';
import type { IotlbEntry } from './radix-iotlb.js';

export class ReferenceIotlb {
  private list: IotlbEntry[] = [];

  constructor(readonly limit?: number) {}

  get count(): number {
    return this.list.length;
  }

  addRange(start: bigint, last: bigint, addr: bigint, perm: number): void {
    checkU64(start, 'start');
    checkU64(last, 'last');
    checkU64(addr, 'addr');
    if (!(Number.isInteger(perm) && perm >= 0 && perm <= 0xff)) throw new IotlbError('EINVAL', 'perm');
    if (last < start) throw new IotlbError('EFAULT', 'last < start');
    if (this.limit === 0) throw new IotlbError('EINVAL', 'limit 0');
    if (this.limit !== undefined && this.list.length >= this.limit) throw new IotlbError('ENOSPC', 'limit');
    if (this.list.some((e) => e.start <= last && start <= e.last)) throw new IotlbError('EEXIST', 'overlap');
    this.list.push({ start, last, addr, perm });
    this.list.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  }

  delRange(start: bigint, last: bigint): number {
    if (last < start) throw new IotlbError('EFAULT', 'last < start');
    const before = this.list.length;
    this.list = this.list.filter((e) => !(e.start <= last && start <= e.last));
    return before - this.list.length;
  }

  first(start: bigint, last: bigint): IotlbEntry | undefined {
    return this.list.find((e) => e.start <= last && start <= e.last);
  }

  translate(iova: bigint): { addr: bigint; perm: number } | undefined {
    const e = this.list.find((x) => x.start <= iova && iova <= x.last);
    if (!e) return undefined;
    return { addr: (e.addr + (iova - e.start)) & U64_MAX, perm: e.perm };
  }

  entries(): IotlbEntry[] {
    return [...this.list];
  }

  reset(): void {
    this.list = [];
  }
}
