/**
 * vhost_vdpa_va_map (drivers/vhost/vdpa.c): the VA map path of an UPDATE
 * message (use_va parents: VDUSE, vdpa_sim from v6.4). No pinning: one entry
 * per shared-file VMA piece, mapped through the device's vhost_vdpa_map.
 */
import type { ErrnoName } from '../errors.js';
import type { RadixIotlb } from '../iotlb/index.js';
import type { HostMm } from '../host/index.js';

/**
 * Every process has its stack VMA at the top of the user address space, so
 * find_vma() finds a VMA for any address below it (x86-64: TASK_SIZE_MAX =
 * 2^47 - 4 KiB; the stack ends just under it). A VA map over a hole below
 * the stack succeeds and maps nothing, as 6.12 did for the probe.
 */
const STACK_END = (1n << 47n) - 4096n;

/** What the VA walk needs from the device. */
export interface VaMapDevice {
  readonly mm: HostMm;
  /** vhost_vdpa_map of one byte-granular VA range: the vhost entry, then the device op. */
  mapRange(asid: number, iotlb: RadixIotlb, first: bigint, last: bigint, uaddr: bigint, perm: number): ErrnoName | null;
  /** vhost_vdpa_unmap: what the error path calls on the part mapped so far. */
  unmap(asid: number, iotlb: RadixIotlb, iova: bigint, size: bigint): void;
}

/**
 * vhost_vdpa_va_map: one entry per shared-file VMA piece; private or
 * anonymous pieces are skipped; no VMA at or above uaddr (past the stack)
 * is EINVAL. On failure the pieces mapped so far are unmapped with size
 * (map_iova - iova), which is 0 when nothing was mapped: at iova 0 that
 * unmaps the whole address space.
 */
export function vaMap(dev: VaMapDevice, asid: number, iotlb: RadixIotlb, iova: bigint, size: bigint, uaddr: bigint, perm: number): ErrnoName | null {
  let mapIova = iova;
  let ret: ErrnoName | null = null;
  while (size) {
    const vma = dev.mm.findVma(Number(uaddr >> 12n));
    if (!vma && uaddr >= STACK_END) {
      ret = 'EINVAL';
      break;
    }
    // Past the last mapping find_vma still finds the process's stack (private: skipped).
    const vmEnd = vma ? BigInt(vma.endPage) << 12n : STACK_END;
    const mapSize = size < vmEnd - uaddr ? size : vmEnd - uaddr;
    if (vma?.spec.shared) {
      ret = dev.mapRange(asid, iotlb, mapIova, mapIova + mapSize - 1n, uaddr, perm);
      if (ret) break;
    }
    size -= mapSize;
    uaddr += mapSize;
    mapIova += mapSize;
  }
  if (ret) dev.unmap(asid, iotlb, iova, mapIova - iova);
  return ret;
}
