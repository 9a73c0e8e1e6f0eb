/**
 * What a script needs from a real kernel (in a VM: vdpa_sim, VDUSE where the
 * kernel has it (real/vduse.ts), or vp_vdpa for the platform-IOMMU parent
 * (real/platform-iommu.ts)): the parent and module parameters its open lines
 * ask for, how many devices it opens and how much guest memory it maps. The
 * vm backend loads the parent once per script, so every open line of one
 * script must agree on them.
 *
 * Scripts are validated by the model first (runOnModel), so the op
 * table's readers (kernel/ops/session-lines.ts) take every line here.
 */
import { InputError } from '../errors.js';
import { parseJson } from '../json-file.js';
import { U64_MAX } from '../iotlb/index.js';
import { FieldReader, readMmap, readOpen, type Line, type OpenLine, type ParentKind, type SessionOverrides } from '../kernel/index.js';
import { checkPlatformIommuOpen } from './platform-iommu.js';
import { vduseParamsOf } from './vduse.js';

/** The parents a VM makes besides vdpa_sim: VDUSE devices of the companion (vduse.ts), vp_vdpa on virtio-net-pci behind intel-iommu (platform-iommu.ts). */
export type VmParent = 'vduse' | 'platform-iommu';

export interface DeviceParams {
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
  /** The parent when not vdpa_sim (absent: vdpa_sim_net devices). */
  parent?: VmParent;
  /** VDUSE only: each device's virtqueues (VDUSE_CREATE_DEV vq_num). */
  vqs?: number;
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

/** The parents a VM can load, and why it lacks the others (backends' capabilities). */
export interface VmParents {
  parents: readonly ParentKind[];
  missingParents?: Partial<Record<ParentKind, string>>;
}

const SIM_ONLY: VmParents = { parents: ['vdpa_sim'] };

/**
 * Reads a script's open and mmap lines, under the overrides the model read
 * them with. `vaDefault` is the real kernel's own use_va default (true where
 * vdpa_sim has use_va, false on 6.1).
 */
export function planScript(text: string, overrides: SessionOverrides, vaDefault: boolean, inVm: boolean, vm: VmParents = SIM_ONLY): ScriptPlan {
  const devices: string[] = [];
  let params: DeviceParams | undefined;
  let paramsLine = 0;
  let vqs: number | undefined;
  let firstParent: ParentKind | undefined;
  const mmapBytes = linesOf(text, 'mmap').reduce((sum, r) => sum + readMmap(r).size, 0n);
  for (const r of linesOf(text, 'open')) {
    const o = readOpen(r, overrides);
    const where = (field: string) => `line ${r.lineNo}: ${field}`;
    if (!devices.includes(o.name)) devices.push(o.name);
    // A device on the host is used as it is; only a VM loads vdpa_sim for the script.
    if (!inVm) continue;
    if (!vm.parents.includes(o.parent)) {
      throw new InputError(where('parent'), vm.missingParents?.[o.parent] ?? `a real kernel in a VM has only ${vm.parents.join(', ')}, not ${o.parent} (pass --parent ${vm.parents.join(' or ')} to run this script there)`);
    }
    if (firstParent !== undefined && o.parent !== firstParent) {
      throw new InputError(where('parent'), `${o.parent} beside ${firstParent} devices: one script's devices come from one parent`);
    }
    firstParent = o.parent;
    let next: DeviceParams;
    if (o.parent === 'vduse') {
      const v = vduseParamsOf(o, where);
      if (vqs !== undefined && v.vqs !== vqs) throw new InputError(where('nvqs'), `asks for ${v.vqs} virtqueues but an earlier open asked for ${vqs}: every VDUSE device of one script has the same`);
      vqs = v.vqs;
      // VDUSE always maps VAs (the model refuses useVa:false for it).
      next = simParams(o, true);
    } else if (o.parent === 'platform-iommu') {
      checkPlatformIommuOpen(o, where);
      // vp_vdpa has no parameters of its own: only vhost_vdpa's entry limit.
      next = { useVa: false, variant: 'set_map', ...(o.iotlbLimit === undefined ? {} : { iotlbLimit: o.iotlbLimit }) };
    } else {
      checkSimNet(o, where);
      next = simParams(o, o.useVaGiven ? o.useVa : vaDefault);
    }
    if (params && JSON.stringify(params) !== JSON.stringify(next)) {
      throw new InputError(where('open'), `asks for ${describe(o.parent, next)} but line ${paramsLine} asked for ${describe(o.parent, params)}: one script loads its parent once`);
    }
    if (!params) {
      params = next;
      paramsLine = r.lineNo;
    }
  }
  const plan: ScriptPlan = { devices, params: params ?? { useVa: vaDefault, variant: 'set_map' }, paramsLine, mmapBytes };
  if (firstParent === 'vduse') return { ...plan, parent: 'vduse', vqs };
  return firstParent === 'platform-iommu' ? { ...plan, parent: 'platform-iommu' } : plan;
}

/** vdpa_sim_net's fixed shape: a script asking for another cannot run on it. */
function checkSimNet(o: OpenLine, where: (field: string) => string): void {
  if (o.nas !== SIM_NET_AS) throw new InputError(where('nas'), `vdpa_sim_net has ${SIM_NET_AS} address spaces, the script asks for ${o.nas}`);
  if ((o.nvqs ?? SIM_NET_VQS) !== SIM_NET_VQS) throw new InputError(where('nvqs'), `vdpa_sim_net has ${SIM_NET_VQS} virtqueues, the script asks for ${String(o.nvqs)}`);
  if (o.ngroups !== SIM_NET_GROUPS) throw new InputError(where('ngroups'), `vdpa_sim_net has ${SIM_NET_GROUPS} virtqueue groups, the script asks for ${o.ngroups}`);
  if (o.iovaRange.first !== 0n || o.iovaRange.last !== U64_MAX) {
    throw new InputError(where('iovaRange'), 'vdpa_sim always offers [0, 2^64-1]; a real kernel cannot narrow it');
  }
}

/** The module parameters a vdpa_sim or VDUSE line asks for. */
function simParams(o: OpenLine, useVa: boolean): DeviceParams {
  return {
    useVa,
    variant: o.variant ?? 'set_map',
    ...(o.iotlbLimit === undefined ? {} : { iotlbLimit: o.iotlbLimit }),
    ...(o.parentIotlbLimit === undefined ? {} : { parentIotlbLimit: o.parentIotlbLimit }),
  };
}

function describe(parent: ParentKind, p: DeviceParams): string {
  if (parent === 'platform-iommu') return `vp_vdpa${p.iotlbLimit === undefined ? '' : ` with vhost_vdpa max_iotlb_entries=${p.iotlbLimit}`}`;
  return `${parent} use_va=${p.useVa ? 1 : 0} batch_mapping=${p.variant === 'set_map' ? 1 : 0}${p.iotlbLimit === undefined ? '' : ` max_iotlb_entries=${p.iotlbLimit}`}${p.parentIotlbLimit === undefined ? '' : ` vdpa_sim.max_iotlb_entries=${p.parentIotlbLimit}`}`;
}
