/** One cell of a workload matrix: flat parameters, a stable id and a label. */
import { createHash } from 'node:crypto';
import type { Backing } from '../host/index.js';
import type { ParentKind, VdpaSimVariant } from '../kernel/index.js';
import { DEFAULT_QEMU, type EventName, type FlowName, type VmSpec } from '../vmm/index.js';
import { formatBytes } from './sizes.js';

export interface CellParams {
  flow: FlowName;
  parent: ParentKind;
  /** vdpa_sim's batch_mapping choice; null for other parents. */
  variant: VdpaSimVariant | null;
  /** A kernel version (`6.12.117`) or an old alias (`legacy`, `reset-map`), as the workload named it. */
  kernel: string;
  /** The QEMU release the VMM plays (`10.0`, `10.1+`...). Left out of the id when it is DEFAULT_QEMU, so cells from before the axis keep theirs. */
  qemu: string;
  useVa: boolean;
  devices: number;
  queuePairs: number;
  nas: number;
  guestBytes: number;
  backing: Backing;
  meanRun: number;
  dimms: number[];
  seed: number;
  /** Events in order, always starting with boot and ending with close. */
  events: EventName[];
  memlockBytes: number | null;
  /** vhost_vdpa.max_iotlb_entries, the version's default filled in; null: no limit. */
  iotlbLimit: number | null;
  /** Cost profile name or path, as the workload gave it. */
  profile: string;
  /** DMA reader threads during the measured pass; absent when 0 (so older cell ids stay). */
  dmaReaders?: number;
  /** Helper threads pinning large maps ahead; absent when 1. Modeled figures do not depend on it. */
  pinShards?: number;
  /** Guest RAM preallocated (QEMU prealloc=on); absent when false, QEMU's default (so older cell ids stay). */
  prealloc?: true;
}

export interface CellSpec {
  id: string;
  label: string;
  params: CellParams;
}

/** Parameters in a fixed key order, so equal cells hash equally. */
function canonical(p: CellParams): string {
  const keys = Object.keys(p).filter((k) => !(k === 'qemu' && p.qemu === DEFAULT_QEMU));
  return JSON.stringify(Object.fromEntries(keys.sort().map((k) => [k, p[k as keyof CellParams]])));
}

/** The device setup a cell runs, as tables name it: "mlx5", "vdpa_sim/dma_map", "vduse (va)", "mlx5 x2". */
export function setupLabel(p: CellParams): string {
  const variant = p.variant && p.variant !== 'set_map' ? `/${p.variant}` : '';
  return `${p.parent}${variant}${p.useVa ? ' (va)' : ''}${p.devices > 1 ? ` x${p.devices}` : ''}`;
}

export function makeCell(params: CellParams): CellSpec {
  const id = createHash('sha256').update(canonical(params)).digest('hex').slice(0, 12);
  const variant = params.variant && params.variant !== 'set_map' ? `/${params.variant}` : '';
  const dimms = params.dimms.length ? `+${params.dimms.length}dimm` : '';
  const label = `${params.parent}${variant} ${params.kernel} qemu-${params.qemu} ${params.flow} ${formatBytes(params.guestBytes)}${dimms} ${params.backing}${params.prealloc ? ' prealloc' : ''}${params.devices > 1 ? ` x${params.devices}` : ''}`;
  return { id, label, params };
}

export function toVmSpec(p: CellParams): VmSpec {
  return {
    guest: { ramBytes: p.guestBytes, backing: p.backing, meanRun: p.meanRun, seed: p.seed, dimms: p.dimms, shared: p.useVa, prealloc: p.prealloc ?? false },
    devices: { parent: p.parent, variant: p.variant ?? undefined, useVa: p.useVa, count: p.devices, queuePairs: p.queuePairs, nas: p.nas },
    kernel: p.kernel,
    qemu: p.qemu,
    flow: p.flow,
    memlockBytes: p.memlockBytes,
    iotlbLimit: p.iotlbLimit,
    pinShards: p.pinShards,
  };
}
