/**
 * What a script needs from a real kernel (in a VM, booted with vdpa_sim, or
 * vp_vdpa for the platform-IOMMU parent): the parent and module parameters
 * its open lines ask for, how many devices it opens and how much guest
 * memory it maps. The vm backend loads the parent once per script, so every
 * open line of one script must agree on them.
 *
 * Scripts are validated by the model first (runOnModel), so the op
 * table's readers (kernel/ops/session-lines.ts) take every line here.
 */
import { InputError } from '../errors.js';
import { parseJson } from '../json-file.js';
import { U64_MAX } from '../iotlb/index.js';
import { FieldReader, readMmap, readOpen, type Line, type OpenLine, type SessionOverrides } from '../kernel/index.js';
import { checkPlatformIommuOpen } from './platform-iommu.js';

/** Parents a VM can make: vdpa_sim_net devices, or vp_vdpa on virtio-net-pci behind intel-iommu (platform-iommu.ts). */
export type VmParent = 'vdpa_sim' | 'platform-iommu';

export interface DeviceParams {
  /** The VM's parent; absent: vdpa_sim. */
  parent?: VmParent;
  /** vdpa_sim use_va (6.7+ only; absent on 6.1, which maps PAs only). */
  useVa: boolean;
  /** vdpa_sim batch_mapping: set_map (1, default) or dma_map (0). */
  variant: 'set_map' | 'dma_map';
  /** max_iotlb_entries for vhost_vdpa and vdpa_sim, when the script sets one. */
  iotlbLimit?: number;
  /** vdpa_sim's own max_iotlb_entries, when the script sets it apart from vhost_vdpa's. */
  parentIotlbLimit?: number;
}

export interface ScriptPlan {
  devices: string[];
  params: DeviceParams;
  /** The line whose open decided `params`, for errors. */
  paramsLine: number;
  mmapBytes: bigint;
}

/** vdpa_sim_net's fixed shape (drivers/vdpa/vdpa_sim/vdpa_sim_net.c: VDPASIM_NET_AS_NUM, VDPASIM_NET_GROUP_NUM, VDPASIM_NET_VQ_NUM). */
const SIM_NET_AS = 2;
const SIM_NET_GROUPS = 2;
const SIM_NET_VQS = 3;

/** The script's lines of one op, each with a reader (the op table's readers parse them as the model did). */
function linesOf(text: string, op: string): FieldReader[] {
  const out: FieldReader[] = [];
  text.split('\n').forEach((raw, i) => {
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) return;
    const obj = parseJson(t) as Line;
    if (obj.op === op) out.push(new FieldReader(i + 1, obj));
  });
  return out;
}

/**
 * Reads a script's open and mmap lines, under the overrides the model read
 * them with. `vaDefault` is the real kernel's own use_va default (true where
 * vdpa_sim has use_va, false on 6.1).
 */
export function planScript(text: string, overrides: SessionOverrides, vaDefault: boolean, inVm: boolean): ScriptPlan {
  const devices: string[] = [];
  let params: DeviceParams | undefined;
  let paramsLine = 0;
  const mmapBytes = linesOf(text, 'mmap').reduce((sum, r) => sum + readMmap(r).size, 0n);
  for (const r of linesOf(text, 'open')) {
    const o = readOpen(r, overrides);
    const where = (field: string) => `line ${r.lineNo}: ${field}`;
    if (!devices.includes(o.name)) devices.push(o.name);
    // A device on the host is used as it is; only a VM loads vdpa_sim for the script.
    if (!inVm) continue;
    let next: DeviceParams;
    if (o.parent === 'platform-iommu') {
      checkPlatformIommuOpen(o, where);
      next = { parent: 'platform-iommu', useVa: false, variant: 'set_map', ...(o.iotlbLimit === undefined ? {} : { iotlbLimit: o.iotlbLimit }) };
    } else if (o.parent !== 'vdpa_sim') {
      throw new InputError(where('parent'), `a real kernel in a VM has vdpa_sim and platform-iommu (vp_vdpa), not ${o.parent} (pass --parent vdpa_sim or platform-iommu to run this script there)`);
    } else next = simParams(o, vaDefault, where);
    if (params && JSON.stringify(params) !== JSON.stringify(next)) {
      throw new InputError(where('open'), `asks for ${describe(next)} but line ${paramsLine} asked for ${describe(params)}: one script loads its parent once`);
    }
    if (!params) {
      params = next;
      paramsLine = r.lineNo;
    }
  }
  return { devices, params: params ?? { useVa: vaDefault, variant: 'set_map' }, paramsLine, mmapBytes };
}

/** vdpa_sim_net's fixed shape, and the module parameters the line asks for. */
function simParams(o: OpenLine, vaDefault: boolean, where: (field: string) => string): DeviceParams {
  if (o.nas !== SIM_NET_AS) throw new InputError(where('nas'), `vdpa_sim_net has ${SIM_NET_AS} address spaces, the script asks for ${o.nas}`);
  if ((o.nvqs ?? SIM_NET_VQS) !== SIM_NET_VQS) throw new InputError(where('nvqs'), `vdpa_sim_net has ${SIM_NET_VQS} virtqueues, the script asks for ${String(o.nvqs)}`);
  if (o.ngroups !== SIM_NET_GROUPS) throw new InputError(where('ngroups'), `vdpa_sim_net has ${SIM_NET_GROUPS} virtqueue groups, the script asks for ${o.ngroups}`);
  if (o.iovaRange.first !== 0n || o.iovaRange.last !== U64_MAX) {
    throw new InputError(where('iovaRange'), 'vdpa_sim always offers [0, 2^64-1]; a real kernel cannot narrow it');
  }
  return {
    useVa: o.useVaGiven ? o.useVa : vaDefault,
    variant: o.variant ?? 'set_map',
    ...(o.iotlbLimit === undefined ? {} : { iotlbLimit: o.iotlbLimit }),
    ...(o.parentIotlbLimit === undefined ? {} : { parentIotlbLimit: o.parentIotlbLimit }),
  };
}

function describe(p: DeviceParams): string {
  if (p.parent === 'platform-iommu') return `vp_vdpa${p.iotlbLimit === undefined ? '' : ` with vhost_vdpa max_iotlb_entries=${p.iotlbLimit}`}`;
  return `vdpa_sim use_va=${p.useVa ? 1 : 0} batch_mapping=${p.variant === 'set_map' ? 1 : 0}${p.iotlbLimit === undefined ? '' : ` max_iotlb_entries=${p.iotlbLimit}`}${p.parentIotlbLimit === undefined ? '' : ` vdpa_sim.max_iotlb_entries=${p.parentIotlbLimit}`}`;
}
