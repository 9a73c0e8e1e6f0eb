/**
 * What a script needs from a real kernel (in a VM, booted with vdpa_sim): the module
 * parameters its open lines ask for, how many devices it opens and how much
 * guest memory it maps. The vm backend loads vdpa_sim once per script, so
 * every open line of one script must agree on them.
 *
 * Scripts are validated by the model first (runOnModel), so this reads
 * fields that are known to be well-formed.
 */
import { InputError } from '../errors.js';
import { parseJson } from '../json-file.js';
import { parseU64, U64_MAX } from '../iotlb/index.js';
import type { ParentKind, SessionOverrides } from '../kernel/index.js';

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
  /** The line whose open decided `params`, for errors. */
  paramsLine: number;
  mmapBytes: bigint;
}

/** vdpa_sim_net's fixed shape (drivers/vdpa/vdpa_sim/vdpa_sim_net.c: VDPASIM_NET_AS_NUM, VDPASIM_NET_GROUP_NUM, VDPASIM_NET_VQ_NUM). */
const SIM_NET_AS = 2;
const SIM_NET_GROUPS = 2;
const SIM_NET_VQS = 3;

function lineObjects(text: string): { lineNo: number; obj: Record<string, unknown> }[] {
  const out: { lineNo: number; obj: Record<string, unknown> }[] = [];
  text.split('\n').forEach((raw, i) => {
    const t = raw.trim();
    if (t !== '' && !t.startsWith('#')) out.push({ lineNo: i + 1, obj: parseJson(t) as Record<string, unknown> });
  });
  return out;
}

/**
 * Reads a script's open and mmap lines. `vaDefault` is the kernel's own
 * use_va default (true where vdpa_sim has use_va, false on 6.1).
 */
export function planScript(text: string, overrides: SessionOverrides, vaDefault: boolean, inVm: boolean): ScriptPlan {
  const devices: string[] = [];
  let params: DeviceParams | undefined;
  let paramsLine = 0;
  let mmapBytes = 0n;
  for (const { lineNo, obj } of lineObjects(text)) {
    if (obj.op === 'mmap') mmapBytes += parseU64(String(obj.size)) ?? 0n;
    if (obj.op !== 'open') continue;
    const where = (field: string) => `line ${lineNo}: ${field}`;
    const name = typeof obj.device === 'string' ? obj.device : 'vdpa0';
    if (!devices.includes(name)) devices.push(name);
    // A device on the host is used as it is; only a VM loads vdpa_sim for the script.
    if (!inVm) continue;
    const parent = (overrides.parent ?? obj.parent) as ParentKind;
    if (parent !== 'vdpa_sim') {
      throw new InputError(where('parent'), `a real kernel in a VM has only vdpa_sim, not ${parent} (pass --parent vdpa_sim to run this script there)`);
    }
    if ((obj.nas ?? SIM_NET_AS) !== SIM_NET_AS) throw new InputError(where('nas'), `vdpa_sim_net has ${SIM_NET_AS} address spaces, the script asks for ${String(obj.nas)}`);
    if ((obj.nvqs ?? SIM_NET_VQS) !== SIM_NET_VQS) throw new InputError(where('nvqs'), `vdpa_sim_net has ${SIM_NET_VQS} virtqueues, the script asks for ${String(obj.nvqs)}`);
    if ((obj.ngroups ?? SIM_NET_GROUPS) !== SIM_NET_GROUPS) throw new InputError(where('ngroups'), `vdpa_sim_net has ${SIM_NET_GROUPS} virtqueue groups, the script asks for ${String(obj.ngroups)}`);
    const range = obj.iovaRange as { first?: string; last?: string } | undefined;
    if (range && ((parseU64(range.first ?? '0') ?? 0n) !== 0n || (parseU64(range.last ?? hexMax) ?? U64_MAX) !== U64_MAX)) {
      throw new InputError(where('iovaRange'), 'vdpa_sim always offers [0, 2^64-1]; a real kernel cannot narrow it');
    }
    const next: DeviceParams = {
      useVa: typeof obj.useVa === 'boolean' ? obj.useVa : vaDefault,
      variant: obj.variant === 'dma_map' ? 'dma_map' : 'set_map',
      ...(typeof obj.iotlbLimit === 'number' ? { iotlbLimit: obj.iotlbLimit } : {}),
      ...(typeof obj.parentIotlbLimit === 'number' ? { parentIotlbLimit: obj.parentIotlbLimit } : {}),
    };
    if (params && JSON.stringify(params) !== JSON.stringify(next)) {
      throw new InputError(where('open'), `asks for vdpa_sim ${describe(next)} but line ${paramsLine} asked for ${describe(params)}: one script loads vdpa_sim once`);
    }
    if (!params) {
      params = next;
      paramsLine = lineNo;
    }
  }
  return { devices, params: params ?? { useVa: vaDefault, variant: 'set_map' }, paramsLine, mmapBytes };
}

const hexMax = '0xffffffffffffffff';

function describe(p: DeviceParams): string {
  return `use_va=${p.useVa ? 1 : 0} batch_mapping=${p.variant === 'set_map' ? 1 : 0}${p.iotlbLimit === undefined ? '' : ` max_iotlb_entries=${p.iotlbLimit}`}${p.parentIotlbLimit === undefined ? '' : ` vdpa_sim.max_iotlb_entries=${p.parentIotlbLimit}`}`;
}
