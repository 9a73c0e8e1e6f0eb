/**
 * Readers of the session ops' lines that the model and the real backends'
 * planner (real/script-plan.ts) both need: `open` (which device, parent,
 * kernel and module parameters) and `mmap` (a region of guest memory). One
 * reader each, so a field means the same on both sides.
 */
import { InputError } from '../../errors.js';
import { U64_MAX } from '../../iotlb/index.js';
import { BACKINGS, mmapProblem, type Backing } from '../../host/index.js';
import { MIN_PARENT_IOTLB_ENTRIES } from '../parent-limits.js';
import { defaultIovaRange } from '../device-config.js';
import { PARENT_KINDS, type ParentKind } from '../parents/index.js';
import type { FieldReader } from '../script-fields.js';
import { kernelLabel, resolveKernel, type KernelBehaviour } from '../versions.js';

export const DEFAULT_DEVICE = 'vdpa0';

/** What an open line asks for, after the command's overrides. */
export interface OpenLine {
  name: string;
  parent: ParentKind;
  /** The kernel as named (line or override) and its behaviours. */
  kernel: string;
  k: KernelBehaviour;
  useVa: boolean;
  /** Whether the line itself set useVa (else: the kernel's default). */
  useVaGiven: boolean;
  variant?: 'set_map' | 'dma_map';
  nas: number;
  ngroups: number;
  nvqs?: number;
  iovaRange: { first: bigint; last: bigint };
  /** The line's own entry limits, when it sets them. */
  iotlbLimit?: number;
  parentIotlbLimit?: number;
}

/** The overrides an open line is read under: the command's `--kernel` and `--parent`. */
export interface OpenOverrides {
  kernel?: string;
  parent?: ParentKind;
}

/** Reads an open line in the model's order of errors (the probe names the same first bad field). */
export function readOpen(r: FieldReader, overrides: OpenOverrides): OpenLine {
  const name = r.has('device') ? r.str('device') : DEFAULT_DEVICE;
  if (r.has('path')) r.str('path'); // the probe's (native/): which /dev/vhost-vdpa-N to open
  // Read even when overridden, so a mistyped field is refused rather than ignored.
  const scriptParent = r.has('parent') ? r.oneOf<ParentKind>('parent', PARENT_KINDS) : undefined;
  const parent = overrides.parent ?? scriptParent ?? r.oneOf<ParentKind>('parent', PARENT_KINDS);
  const scriptKernel = r.has('kernel') ? r.str('kernel') : undefined;
  const kernel = overrides.kernel ?? scriptKernel ?? r.fail('kernel', 'required: a kernel version as uname -r names it (6.1.192, 6.12.117, mainline) or legacy / reset-map');
  let k: KernelBehaviour;
  try {
    k = resolveKernel(kernel);
  } catch (e) {
    if (e instanceof InputError) r.fail('kernel', e.reason);
    throw e;
  }
  const vaDefault = parent === 'vduse' || (parent === 'vdpa_sim' && k.vdpaSimUseVa);
  const useVaGiven = r.has('useVa');
  const useVa = r.bool('useVa', vaDefault);
  if (useVa && (parent === 'mlx5' || parent === 'platform-iommu')) r.fail('useVa', `${parent} maps physical addresses only (use_va=false)`);
  if (useVa && parent === 'vdpa_sim' && !k.vdpaSimUseVa) r.fail('useVa', `vdpa_sim on ${k.name === 'legacy' ? 'legacy kernels (v6.1)' : kernelLabel(k)} has no use_va (it came in v6.4)`);
  if (!useVa && parent === 'vduse') r.fail('useVa', 'VDUSE always maps user virtual addresses (use_va=true)');
  const variant = r.has('variant') ? r.oneOf('variant', ['set_map', 'dma_map'] as const) : undefined;
  if (variant && parent !== 'vdpa_sim') r.fail('variant', 'only vdpa_sim has the batch_mapping variants');
  // The parent's own range unless the line names one (a platform-IOMMU parent: its domain's aperture).
  let { first, last } = defaultIovaRange(parent);
  // null is not "absent": a range that is not an object is refused, as is one with fields other than first and last.
  if (r.has('iovaRange')) {
    const rr = r.object('iovaRange');
    rr.onlyFields('iovaRange', ['first', 'last']);
    first = rr.u64('first', 0n);
    last = rr.u64('last', U64_MAX);
    if (last < first) r.fail('iovaRange', 'last must be >= first');
  }
  const parentIotlbLimit = r.has('parentIotlbLimit') ? r.int('parentIotlbLimit', 0, 2 ** 31 - 1) : undefined;
  if (parentIotlbLimit !== undefined && parentIotlbLimit < MIN_PARENT_IOTLB_ENTRIES) {
    r.fail('parentIotlbLimit', `${parentIotlbLimit} is fewer than ${MIN_PARENT_IOTLB_ENTRIES}: the parent makes no device then (vdpasim_create, _mlx5_vdpa_create_mr; the identity map takes two entries)`);
  }
  // The parent's own shape unless the line says: VDUSE (API version 0) has one group and one
  // address space (vduse_dev_init_vdpa: vdpa_alloc_device(..., 1, 1, ...)), and so has a
  // platform-IOMMU parent, which vhost_vdpa_probe refuses with more (EOPNOTSUPP, no
  // /dev/vhost-vdpa-N at all), since one IOMMU domain serves the whole device (drivers/vhost/vdpa.c in
  // 6.1.192, 6.12.117 and 7.2.13); vp_vdpa allocates 1 and 1 (vp_vdpa_dev_add). The others two.
  const single = parent === 'platform-iommu';
  const shape = single || parent === 'vduse' ? 1 : 2;
  const nas = r.int('nas', 1, 64, shape);
  const ngroups = r.int('ngroups', 1, 64, shape);
  if (single && (nas > 1 || ngroups > 1)) r.fail(nas > 1 ? 'nas' : 'ngroups', 'vhost_vdpa_probe refuses a platform-IOMMU parent with more than one address space or group (no /dev/vhost-vdpa-N is made)');
  const nvqs = r.has('nvqs') ? r.int('nvqs', 1, 65535) : undefined;
  const iotlbLimit = r.has('iotlbLimit') ? r.int('iotlbLimit', 0, 2 ** 31 - 1) : undefined;
  return {
    name,
    parent,
    kernel,
    k,
    useVa,
    useVaGiven,
    ...(variant ? { variant } : {}),
    nas,
    ngroups,
    ...(nvqs === undefined ? {} : { nvqs }),
    iovaRange: { first, last },
    ...(iotlbLimit === undefined ? {} : { iotlbLimit }),
    ...(parentIotlbLimit === undefined ? {} : { parentIotlbLimit }),
  };
}

/** One mmap line: a region of guest memory at `uaddr`. */
export interface MmapLine {
  uaddr: bigint;
  size: bigint;
  backing: Backing;
  seed: number;
  shared: boolean;
  meanRun?: number;
  /** As the probe (native/): populated unless the line says not, so a first pin faults only then. */
  populate: boolean;
}

export function readMmap(r: FieldReader): MmapLine {
  const { uaddr, size } = pageRange(r);
  const backing = r.oneOf<Backing>('backing', BACKINGS, '4k');
  // Before the tables are allocated: a 32 TiB 4k region used to pass the 64 TiB check and die in the allocation.
  const tooBig = mmapProblem(uaddr, size, backing);
  if (tooBig) r.fail('size', tooBig);
  const seed = r.int('seed', 0, 2 ** 32 - 1, 1);
  const shared = r.bool('shared', false);
  // 4k: runs inside a 2 MiB chunk; large folios: whole folios side by side, up to the region (host/backing.ts).
  const meanRun = r.has('meanRun') ? r.int('meanRun', 1, backing === '4k' ? 512 : Math.max(1, Number(size >> 12n))) : undefined;
  return { uaddr, size, backing, seed, shared, ...(meanRun === undefined ? {} : { meanRun }), populate: r.bool('populate', true) };
}

/** An mmap, munmap or layout line's [uaddr, uaddr + size): whole 4 KiB pages, or the line fails. */
export function pageRange(r: FieldReader): { uaddr: bigint; size: bigint; page: number; pages: number } {
  const uaddr = r.u64('uaddr');
  const size = r.u64('size');
  if (uaddr & 0xfffn) r.fail('uaddr', 'must be page-aligned (4 KiB), as mmap returns');
  if (size === 0n || size & 0xfffn) r.fail('size', 'must be a non-zero multiple of 4 KiB');
  return { uaddr, size, page: Number(uaddr >> 12n), pages: Number(size >> 12n) };
}
