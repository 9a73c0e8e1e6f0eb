/**
 * Sending a device op (op-call.ts) through the op table: the one way a VMM,
 * a replay or a script reaches the model's device, so the device's observer
 * sees every op as data (`run --backend`, `run --emit-trace` and
 * `replay --backend` record that way).
 */
import type { IotlbMsg } from '../device-config.js';
import type { Line } from '../script-fields.js';
import { VHOST_IOTLB_BATCH_BEGIN, VHOST_IOTLB_BATCH_END, VHOST_IOTLB_INVALIDATE, VHOST_IOTLB_UPDATE } from '../uapi.js';
import type { VhostVdpa } from '../vhost-vdpa.js';
import { deviceOp, type TraceContext } from './device-ops.js';
import type { DeviceOpName, OpCall, Reply } from './op-call.js';

/** What a sent op answered, and the folios its pins faulted in (first pins of memory not preallocated). */
export type Sent = Reply & { faults: number };

/** Runs the call's kernel method and tells the device's observer. */
export function sendOp<K extends DeviceOpName>(dev: VhostVdpa, call: OpCall<K>): Sent {
  const before = dev.counters.faults;
  const reply = deviceOp<K>(call.op).run(dev, call);
  const faults = dev.counters.faults - before;
  // OpCall<K> is one member of OpCall; TypeScript does not see through the mapped type.
  dev.observer?.(call as OpCall, reply, faults);
  return { ...reply, faults };
}

/** An IOTLB message as the op its type names (any other type: a raw `iotlb` message). */
export function writeCall(msg: IotlbMsg): OpCall<'update' | 'invalidate' | 'batch_begin' | 'batch_end' | 'iotlb'> {
  switch (msg.type) {
    case VHOST_IOTLB_UPDATE:
      return { op: 'update', msg };
    case VHOST_IOTLB_INVALIDATE:
      return { op: 'invalidate', msg };
    case VHOST_IOTLB_BATCH_BEGIN:
      return { op: 'batch_begin', msg };
    case VHOST_IOTLB_BATCH_END:
      return { op: 'batch_end', msg };
    default:
      return { op: 'iotlb', msg };
  }
}

/** The call as the exec script line a real kernel is sent. */
export function lineOf<K extends DeviceOpName>(call: OpCall<K>): Line {
  return deviceOp<K>(call.op).line(call);
}

/** The line QEMU traces for the call, or null where it traces none. */
export function traceOf<K extends DeviceOpName>(call: OpCall<K>, t: TraceContext): string | null {
  return deviceOp<K>(call.op).trace?.(call, t) ?? null;
}
