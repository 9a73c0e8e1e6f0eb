/**
 * Records what a model device is asked as `exec` script lines: a wrapper on
 * the device object's ops that reach the kernel (the model's own hot paths
 * stay as they are), so a real kernel can be sent exactly the same stream.
 * Used for a cell's events (`run --backend`) and a trace's replay
 * (`replay --backend`).
 */
import { hex } from '../../iotlb/index.js';
import type { BackendAnswer } from '../../real/model-run.js';
import { differingFields } from '../../real/compare.js';
import { VHOST_IOTLB_BATCH_BEGIN, VHOST_IOTLB_BATCH_END, VHOST_IOTLB_INVALIDATE, VHOST_IOTLB_UPDATE, featureNames, type IotlbMsg, type OpResult, type VhostVdpa } from '../../kernel/index.js';

/** What the model answered a recorded line: what a real kernel's answer must match. */
export interface ModelAnswer {
  ret: number;
  errno: string | null;
  pinnedVm: number;
  /** Folios the op faulted in (first pins of memory not preallocated). */
  faults: number;
}

/** Why a real answer is not the model's (ret, errno, VmPin, and page faults where the probe counts them), or null; `where` names the line. */
export function answerDifference(where: string, m: ModelAnswer, a: BackendAnswer | undefined): string | null {
  if (!a) return `${where}: the real kernel gave no answer (the script stopped)`;
  // The rule of exec --compare: a field is compared where both sides report it (the probe counts faults on writes only).
  if (differingFields(m, a).length === 0) return null;
  const faults = (n: unknown) => (typeof a.faults === 'number' ? ` faults ${String(n)}` : '');
  return `${where}: model ${m.ret} ${m.errno ?? 'ok'} pinned ${m.pinnedVm}${faults(m.faults)}, real ${a.ret} ${a.errno ?? 'ok'} pinned ${a.pinnedVm}${faults(a.faults)}`;
}

/** What a real kernel's time in one line is booked as. Pin is inside map on a real kernel: one write() does both. */
export type RealPhase = 'map' | 'unmap' | 'reset' | 'other';

function writeLine(msg: IotlbMsg): Record<string, unknown> {
  const op =
    msg.type === VHOST_IOTLB_UPDATE ? 'update' : msg.type === VHOST_IOTLB_INVALIDATE ? 'invalidate' : msg.type === VHOST_IOTLB_BATCH_BEGIN ? 'batch_begin' : msg.type === VHOST_IOTLB_BATCH_END ? 'batch_end' : 'iotlb';
  const line: Record<string, unknown> = { op, asid: msg.asid, iova: hex(msg.iova), size: hex(msg.size), uaddr: hex(msg.uaddr), perm: msg.perm, msgType: msg.msgType };
  if (op === 'iotlb') line.type = msg.type;
  return line;
}

/** Receives each recorded line, its answer and the folios it faulted in. */
export type OpSink = (line: Record<string, unknown>, res: OpResult, faults: number) => void;

/** Wraps the device's ops that reach the kernel so each also lands in the script. */
export function recordOps(dev: VhostVdpa, device: string, sink: OpSink): void {
  const d = dev as unknown as Record<string, (...args: never[]) => OpResult>;
  const wrap = (name: string, toLine: (...args: never[]) => Record<string, unknown>) => {
    const orig = d[name].bind(dev);
    d[name] = (...args: never[]) => {
      const before = dev.counters.faults;
      const res = orig(...args);
      sink({ ...toLine(...args), device }, res, dev.counters.faults - before);
      return res;
    };
  };
  wrap('setOwner', () => ({ op: 'set_owner' }));
  wrap('setBackendFeatures', (bits: bigint) => ({ op: 'set_backend_features', features: featureNames(bits) }));
  wrap('setGroupAsid', (group: number, asid: number) => ({ op: 'set_group_asid', group, asid }));
  wrap('setStatus', (status: number) => ({ op: 'set_status', status }));
  wrap('suspend', () => ({ op: 'suspend' }));
  wrap('resume', () => ({ op: 'resume' }));
  wrap('setFeatures', (features: bigint) => ({ op: 'set_features', features: hex(features) }));
  wrap('getVringGroup', (index: number) => ({ op: 'get_vring_group', index }));
  wrap('write', (msg: IotlbMsg) => writeLine(msg));
  wrap('close', () => ({ op: 'close' }));
}


/** Books each line: messages by type, batch markers by the message they enclose, SET_STATUS 0 as the reset. */
export function phaseOf(ops: Record<string, unknown>[], i: number): RealPhase {
  const op = ops[i].op;
  if (op === 'update') return 'map';
  if (op === 'invalidate') return 'unmap';
  if (op === 'set_status') return ops[i].status === 0 ? 'reset' : 'other';
  // QEMU's stop: SUSPEND stands where the first reset stood before 8.0 (the model books it as the reset step).
  if (op === 'suspend') return 'reset';
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

