/**
 * One device op as data: what a VMM (or a script line) asks of an open
 * vhost-vdpa fd. The op table (op-table.ts) says how each is read from a
 * script line, written back as one, run on the model and traced by QEMU;
 * `sendOp` runs a call and tells the device's observer, which is how a
 * recording sees every op without wrapping the device's methods.
 */
import type { IotlbMsg } from '../device-config.js';
import type { OpResult } from '../op-result.js';

/** The arguments of each device op, by its script name. */
export interface CallArgs {
  set_owner: object;
  get_backend_features: object;
  set_backend_features: { bits: bigint };
  update: { msg: IotlbMsg };
  invalidate: { msg: IotlbMsg };
  batch_begin: { msg: IotlbMsg };
  batch_end: { msg: IotlbMsg };
  /** A raw message of any type number, for the error paths. */
  iotlb: { msg: IotlbMsg };
  set_status: { status: number };
  set_group_asid: { group: number; asid: number };
  get_iova_range: object;
  get_vqs_count: object;
  suspend: object;
  resume: object;
  set_features: { features: bigint };
  get_vring_group: { index: number };
  close: object;
}

export type DeviceOpName = keyof CallArgs;

/** One call of a device op: `{ op: 'set_status', status: 0 }`. */
export type OpCall<K extends DeviceOpName = DeviceOpName> = { [P in K]: { op: P } & CallArgs[P] }[K];

/** What a device op answers: the errno pair, and the fields its answer line carries. */
export type Reply = OpResult & { extra?: Record<string, unknown> };

/** Sees each op sent to a device: the call, its reply, and the folios it faulted in. */
export type OpObserver = (call: OpCall, reply: Reply, faults: number) => void;
