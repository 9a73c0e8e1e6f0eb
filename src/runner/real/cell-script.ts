/**
 * A cell's vhost-vdpa operations as an `exec` script, so a real kernel can
 * be sent exactly what the model was: the cell's VM runs on the model once
 * more with every device's ops recorded (a recording wrapper on the device
 * object, so the model's own hot paths stay as they are). Each line keeps
 * its event, its phase and the model's answer (ret, errno, pinned_vm after
 * it), which the real kernel's answers are compared with.
 */
import { hex } from '../../iotlb/index.js';
import { VHOST_IOTLB_BATCH_BEGIN, VHOST_IOTLB_BATCH_END, VHOST_IOTLB_INVALIDATE, VHOST_IOTLB_UPDATE, type IotlbMsg, type OpResult, type VhostVdpa } from '../../kernel/index.js';
import { VirtualMachine, type EventName } from '../../vmm/index.js';
import { toVmSpec, type CellSpec } from '../../workload/index.js';

/** What a real kernel's time in one line is booked as. Pin is inside map on a real kernel: one write() does both. */
export type RealPhase = 'map' | 'unmap' | 'reset' | 'other';

export interface ScriptLineInfo {
  /** Index of the event in the cell (samples: one past the events, per cycle). */
  event: number;
  eventName: string;
  phase: RealPhase;
  model: { ret: number; errno: string | null; pinnedVm: number };
}

export interface CellScript {
  text: string;
  /** By script line number. */
  lines: Map<number, ScriptLineInfo>;
  devices: string[];
  mmapBytes: bigint;
  useVa: boolean;
  variant: 'set_map' | 'dma_map';
  iotlbLimit?: number;
}

/** The name the reset cycles repeated for a distribution go by. */
export const SAMPLE_EVENT = 'reset-cycle';

function writeLine(msg: IotlbMsg): Record<string, unknown> {
  const op =
    msg.type === VHOST_IOTLB_UPDATE ? 'update' : msg.type === VHOST_IOTLB_INVALIDATE ? 'invalidate' : msg.type === VHOST_IOTLB_BATCH_BEGIN ? 'batch_begin' : msg.type === VHOST_IOTLB_BATCH_END ? 'batch_end' : 'iotlb';
  const line: Record<string, unknown> = { op, asid: msg.asid, iova: hex(msg.iova), size: hex(msg.size), uaddr: hex(msg.uaddr), perm: msg.perm, msgType: msg.msgType };
  if (op === 'iotlb') line.type = msg.type;
  return line;
}

type Sink = (line: Record<string, unknown>, res: OpResult) => void;

/** Wraps the device's ops that reach the kernel so each also lands in the script. */
function record(dev: VhostVdpa, device: string, sink: Sink): void {
  const d = dev as unknown as Record<string, (...args: never[]) => OpResult>;
  const wrap = (name: string, toLine: (...args: never[]) => Record<string, unknown>) => {
    const orig = d[name].bind(dev);
    d[name] = (...args: never[]) => {
      const res = orig(...args);
      sink({ ...toLine(...args), device }, res);
      return res;
    };
  };
  wrap('setOwner', () => ({ op: 'set_owner' }));
  wrap('setBackendFeatures', (bits: bigint) => ({ op: 'set_backend_features', features: featureList(bits) }));
  wrap('setGroupAsid', (group: number, asid: number) => ({ op: 'set_group_asid', group, asid }));
  wrap('setStatus', (status: number) => ({ op: 'set_status', status }));
  wrap('write', (msg: IotlbMsg) => writeLine(msg));
  wrap('close', () => ({ op: 'close' }));
}

const FEATURE_BITS: Record<string, number> = { IOTLB_MSG_V2: 1, IOTLB_BATCH: 2, IOTLB_ASID: 3, SUSPEND: 4, RESUME: 5, ENABLE_AFTER_DRIVER_OK: 6, DESC_ASID: 7, IOTLB_PERSIST: 8 };
function featureList(bits: bigint): string[] {
  return Object.keys(FEATURE_BITS).filter((n) => (bits >> BigInt(FEATURE_BITS[n])) & 1n);
}

/** Books each line: messages by type, batch markers by the message they enclose, SET_STATUS 0 as the reset. */
function phaseOf(ops: Record<string, unknown>[], i: number): RealPhase {
  const op = ops[i].op;
  if (op === 'update') return 'map';
  if (op === 'invalidate') return 'unmap';
  if (op === 'set_status') return ops[i].status === 0 ? 'reset' : 'other';
  if (op === 'batch_begin' || op === 'batch_end') {
    const step = op === 'batch_begin' ? 1 : -1;
    for (let j = i + step; j >= 0 && j < ops.length && ops[j].device === ops[i].device; j += step) {
      if (ops[j].op === 'update') return 'map';
      if (ops[j].op === 'invalidate') return 'unmap';
      if (ops[j].op === 'batch_begin' || ops[j].op === 'batch_end') break;
    }
  }
  return 'other';
}

/**
 * The cell's events (close last), with `cycles` reset cycles of device 0
 * before the close for a distribution. Deterministic: the model runs the
 * same VM as the cell's modeled pass.
 */
export function recordCellScript(cell: CellSpec, cycles: number): CellScript {
  const spec = toVmSpec(cell.params);
  const vm = new VirtualMachine(spec);
  try {
    const ops: Record<string, unknown>[] = [];
    const info: Omit<ScriptLineInfo, 'phase'>[] = [];
    let event = 0;
    let eventName = 'setup';
    const devices = vm.backends.map((_, i) => `vdpa${i}`);
    const header: Record<string, unknown>[] = [
      ...devices.map((device) => ({
        op: 'open',
        device,
        parent: spec.devices.parent,
        kernel: spec.kernel,
        useVa: spec.devices.useVa,
        ...(spec.devices.variant ? { variant: spec.devices.variant } : {}),
        ...(spec.iotlbLimit === null ? {} : { iotlbLimit: spec.iotlbLimit }),
      })),
      { op: 'setrlimit', memlock: spec.memlockBytes === null ? 'unlimited' : hex(BigInt(spec.memlockBytes)) },
      ...vm.mm.allRegions.map((r) => ({ op: 'mmap', uaddr: hex(BigInt(r.startPage) << 12n), size: hex(BigInt(r.pages) << 12n), backing: r.spec.backing, shared: r.spec.shared })),
    ];
    vm.backends.forEach((b, i) =>
      record(b.dev, devices[i], (line, res) => {
        ops.push(line);
        info.push({ event, eventName, model: { ret: res.ret, errno: res.errno, pinnedVm: vm.mm.pinnedVm } });
      }),
    );
    const events = cell.params.events as EventName[];
    const body = events[events.length - 1] === 'close' ? events.slice(0, -1) : events;
    body.forEach((name, k) => {
      event = k;
      eventName = name;
      vm.runEvent(name);
    });
    for (let c = 0; c < cycles; c++) {
      event = body.length + c;
      eventName = SAMPLE_EVENT;
      vm.resetCycle();
    }
    event = body.length + cycles;
    eventName = 'close';
    vm.runEvent('close');
    const lines = new Map<number, ScriptLineInfo>();
    ops.forEach((_, i) => lines.set(header.length + i + 1, { ...info[i], phase: phaseOf(ops, i) }));
    const text = [...header, ...ops].map((l) => JSON.stringify(l)).join('\n') + '\n';
    return {
      text,
      lines,
      devices,
      mmapBytes: vm.mm.allRegions.reduce((s, r) => s + (BigInt(r.pages) << 12n), 0n),
      useVa: spec.devices.useVa,
      variant: spec.devices.variant ?? 'set_map',
      ...(spec.iotlbLimit === null ? {} : { iotlbLimit: spec.iotlbLimit }),
    };
  } finally {
    vm.dispose();
  }
}
