/**
 * The scripts `bench kernel` runs: one guest per case, mapped once, then
 * reset `cycles` times the way QEMU does it. Every line is tagged with the
 * phase it belongs to, so a real kernel's per-line `ns` and the model's
 * per-line counters add up to the same phases.
 */
import type { Backing } from '../host/index.js';

/** vdpa_sim's batch_mapping variants, or `iommu`: the platform-IOMMU parent's one map path (iommu_map per run). */
export type BenchVariant = 'set_map' | 'dma_map' | 'iommu';
export type BenchFlow = 'workaround' | 'persist';
/** Parents a VM has (real/platform-iommu.ts for the second). */
export type BenchParent = 'vdpa_sim' | 'platform-iommu';

export interface KernelBenchCase {
  /** Absent: vdpa_sim. */
  parent?: BenchParent;
  variant: BenchVariant;
  backing: Backing;
  gib: number;
  flow: BenchFlow;
}

/** Phases a real kernel can tell apart (pin is inside map on a real kernel: one write() does both). */
export type BenchPhase = 'setup' | 'firstMap' | 'reset' | 'unmap' | 'remap' | 'close';

export interface BenchScript {
  text: string;
  /** Phase and reset cycle of each answered line, by line number. */
  tags: Map<number, { phase: BenchPhase; cycle: number }>;
  pages: number;
}

const GUEST_UADDR = '0x7f0000000000';
/** max_iotlb_entries for the bench: one entry per 4 KiB page of a 4 GiB guest fits. */
export const BENCH_IOTLB_LIMIT = 1 << 20;
const DRIVER_OK = ['ACKNOWLEDGE', 'DRIVER', 'FEATURES_OK', 'DRIVER_OK'];

/** `kernel`: the model's name for the real kernel's behaviour (legacy for 6.1, reset-map for 6.12): what the model prices the script as. */
export function kernelBenchScript(c: KernelBenchCase, cycles: number, kernel = 'reset-map'): BenchScript {
  const size = `0x${(BigInt(c.gib) << 30n).toString(16)}`;
  const lines: string[] = [];
  const tags = new Map<number, { phase: BenchPhase; cycle: number }>();
  const add = (phase: BenchPhase, cycle: number, op: object) => {
    lines.push(JSON.stringify(op));
    tags.set(lines.length, { phase, cycle });
  };
  const features = ['IOTLB_MSG_V2', 'IOTLB_BATCH', ...(c.flow === 'persist' ? ['IOTLB_PERSIST'] : [])];
  // A 4k guest's map needs one entry per physically contiguous run: far more than the
  // 2048 that vhost_vdpa.max_iotlb_entries allows by default, so the bench raises it.
  const parent = c.parent ?? 'vdpa_sim';
  add('setup', 0, { op: 'open', parent, kernel, useVa: false, ...(parent === 'vdpa_sim' ? { variant: c.variant } : {}), iotlbLimit: BENCH_IOTLB_LIMIT });
  // QEMU's users raise RLIMIT_MEMLOCK to the guest's size; a process starts at 8 MiB.
  add('setup', 0, { op: 'setrlimit', memlock: 'unlimited' });
  add('setup', 0, { op: 'mmap', uaddr: GUEST_UADDR, size, backing: c.backing });
  add('setup', 0, { op: 'set_owner' });
  add('setup', 0, { op: 'set_backend_features', features });
  const mapAll = (phase: BenchPhase, cycle: number) => {
    add(phase, cycle, { op: 'batch_begin' });
    add(phase, cycle, { op: 'update', iova: '0x0', size, uaddr: GUEST_UADDR, perm: 'rw' });
    add(phase, cycle, { op: 'batch_end' });
  };
  mapAll('firstMap', 0);
  add('setup', 0, { op: 'set_status', status: DRIVER_OK });
  for (let k = 1; k <= cycles; k++) {
    add('reset', k, { op: 'set_status', status: 0 });
    if (c.flow === 'workaround') {
      // QEMU's workaround: unregister the listener (INVALIDATE all), register it again (UPDATE all, re-pin).
      add('unmap', k, { op: 'batch_begin' });
      add('unmap', k, { op: 'invalidate', iova: '0x0', size });
      add('unmap', k, { op: 'batch_end' });
      mapAll('remap', k);
    }
    add('setup', k, { op: 'set_status', status: DRIVER_OK });
  }
  add('close', 0, { op: 'close' });
  return { text: lines.join('\n') + '\n', tags, pages: c.gib * 262144 };
}
