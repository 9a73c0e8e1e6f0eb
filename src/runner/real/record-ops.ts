/**
 * Records what a model device is asked as `exec` script lines: the device's
 * observer sees every op sent through the op table (kernel/ops/), and the
 * table writes each as its line, so a real kernel can be sent exactly the
 * same stream.
 * Used for a cell's events (`run --backend`) and a trace's replay
 * (`replay --backend`).
 */
import type { BackendAnswer } from '../../real/model-run.js';
import { differingFields } from '../../real/compare.js';
import { lineOf, type OpResult, type VhostVdpa } from '../../kernel/index.js';

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

/** Receives each recorded line, its answer and the folios it faulted in. */
export type OpSink = (line: Record<string, unknown>, res: OpResult, faults: number) => void;

/** Records every op sent to the device (kernel/ops/send-op.ts) as its script line, naming `device`. */
export function recordOps(dev: VhostVdpa, device: string, sink: OpSink): void {
  dev.observer = (call, reply, faults) => sink({ ...lineOf(call), device }, reply, faults);
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

