/**
 * The device ops of the op table: for each, the fields its script line
 * reads, the request the probe sends (native/ops.c, checked by
 * test/op-table.test.ts), how a line becomes a call and a call a line, the
 * kernel method it runs on the model, and the line QEMU traces for it (none
 * where QEMU traces nothing). Adding an op is one entry here, its kernel
 * method, and the probe's case.
 */
import { hex } from '../../iotlb/index.js';
import type { FieldReader, Line } from '../script-fields.js';
import { BACKEND_FEATURES, featureBit, featureNames, STATUS, VHOST_IOTLB_BATCH_BEGIN, VHOST_IOTLB_BATCH_END, VHOST_IOTLB_INVALIDATE, VHOST_IOTLB_MSG_V2, VHOST_IOTLB_UPDATE, type BackendFeature } from '../uapi.js';
import type { IotlbMsg } from '../device-config.js';
import type { VhostVdpa } from '../vhost-vdpa.js';
import type { CallArgs, DeviceOpName, OpCall, Reply } from './op-call.js';

/** What a QEMU trace line of one device needs: its pointers, its release's format, and the status it has. */
export interface TraceContext {
  /** `%p` of the struct vhost_dev. */
  dev: string;
  /** `%p` of the struct vhost_vdpa. */
  vdpa: string;
  /** An IOTLB message event as the release prints it (the vdpa or vdpa_shared object, fd, msg_type, then `body`). */
  message(event: string, msgType: number, body: string): string;
  /** `asid: N ` where the release prints it (8.0+), else ''. */
  asid(asid: number): string;
  /** Up to 8.0 vhost_vdpa_reset_device prints the status it set. */
  resetStatus: boolean;
  /** The device status QEMU believes the device has (vhost_vdpa_add_status traces only the bits it adds). */
  status: { bits: number };
}

export interface DeviceOpSpec<K extends DeviceOpName> {
  /** The fields its line may carry besides `op`; any other is refused. */
  fields: readonly string[];
  /** The request the probe sends for it: an ioctl, or the IOTLB message type it writes. */
  probe: string;
  /** Fields read before the device is looked up (the model's and the probe's order of errors). */
  argsFirst?: boolean;
  /** Its answer says how many folios its pins faulted in (an IOTLB write, as the probe counts). */
  answersFaults?: boolean;
  /** Fields of its answer that userspace sees on any kernel, so a comparison checks them (real/compare.ts). */
  answers?: readonly string[];
  read(r: FieldReader): OpCall<K>;
  /** The call as a script line (without `device`). */
  line(c: OpCall<K>): Line;
  /** The kernel method it runs on the model. */
  run(dev: VhostVdpa, c: OpCall<K>): Reply;
  /** The line QEMU traces for it; absent or null where QEMU traces nothing. */
  trace?(c: OpCall<K>, t: TraceContext): string | null;
}

const MSG_FIELDS = ['device', 'msgType', 'asid', 'iova', 'size', 'uaddr', 'perm'] as const;
const FEATURE_NAMES = Object.keys(BACKEND_FEATURES) as BackendFeature[];
const STATUS_NAMES = Object.keys(STATUS) as (keyof typeof STATUS)[];
const U32_MAX = 2 ** 32 - 1;

function readMsg(r: FieldReader, type: number, withMap: boolean): IotlbMsg {
  return {
    msgType: r.int('msgType', 0, 255, VHOST_IOTLB_MSG_V2),
    type,
    asid: r.int('asid', 0, U32_MAX, 0),
    iova: r.u64('iova', 0n),
    size: r.u64('size', 0n),
    uaddr: withMap ? r.u64('uaddr') : r.u64('uaddr', 0n),
    perm: withMap ? r.perm() : r.has('perm') ? r.perm() : 0,
  };
}

function msgLine(op: string, msg: IotlbMsg): Line {
  return { op, asid: msg.asid, iova: hex(msg.iova), size: hex(msg.size), uaddr: hex(msg.uaddr), perm: msg.perm, msgType: msg.msgType };
}

const hx = (v: bigint | number) => `0x${v.toString(16)}`;

/** An IOTLB message op of a fixed type: update, invalidate, batch_begin, batch_end. */
function message<K extends 'update' | 'invalidate' | 'batch_begin' | 'batch_end'>(op: K, type: number, withMap: boolean, probe: string, trace: (msg: IotlbMsg, t: TraceContext) => string): DeviceOpSpec<K> {
  return {
    fields: MSG_FIELDS,
    probe,
    answersFaults: true,
    read: (r) => ({ op, msg: readMsg(r, type, withMap) }) as OpCall<K>,
    line: (c) => msgLine(op, c.msg),
    run: (dev, c) => dev.write(c.msg),
    trace: (c, t) => trace(c.msg, t),
  };
}

/** An ioctl with no argument and no answer beyond ret/errno. */
function plain<K extends 'set_owner' | 'suspend' | 'resume' | 'close'>(op: K, probe: string, run: (dev: VhostVdpa) => Reply, trace?: (t: TraceContext) => string): DeviceOpSpec<K> {
  return { fields: ['device'], probe, read: () => ({ op }) as OpCall<K>, line: () => ({ op }), run, ...(trace ? { trace: (_c, t) => trace(t) } : {}) };
}

export const DEVICE_OPS: { [K in DeviceOpName]: DeviceOpSpec<K> } = {
  set_owner: plain('set_owner', 'VHOST_SET_OWNER', (dev) => dev.setOwner(), (t) => `vhost_vdpa_set_owner dev: ${t.dev}`),
  get_backend_features: {
    fields: ['device'],
    probe: 'VHOST_GET_BACKEND_FEATURES',
    answers: ['features'],
    read: () => ({ op: 'get_backend_features' }),
    line: () => ({ op: 'get_backend_features' }),
    run: (dev) => {
      const bits = dev.getBackendFeatures();
      return { ret: 0, errno: null, cause: null, extra: { features: featureNames(bits), bits: hex(bits) } };
    },
  },
  set_backend_features: {
    fields: ['device', 'features'],
    probe: 'VHOST_SET_BACKEND_FEATURES',
    argsFirst: true,
    read: (r) => ({ op: 'set_backend_features', bits: r.stringList<BackendFeature>('features', FEATURE_NAMES).reduce((b, n) => b | featureBit(n), 0n) }),
    line: (c) => ({ op: 'set_backend_features', features: featureNames(c.bits) }),
    run: (dev, c) => dev.setBackendFeatures(c.bits),
  },
  update: message('update', VHOST_IOTLB_UPDATE, true, 'PROBE_IOTLB_UPDATE', (m, t) =>
    t.message('vhost_vdpa_dma_map', m.msgType, `${t.asid(m.asid)}iova: ${hx(m.iova)} size: ${hx(m.size)} uaddr: ${hx(m.uaddr)} perm: ${hx(m.perm)} type: 2`),
  ),
  invalidate: message('invalidate', VHOST_IOTLB_INVALIDATE, false, 'PROBE_IOTLB_INVALIDATE', (m, t) => t.message('vhost_vdpa_dma_unmap', m.msgType, `${t.asid(m.asid)}iova: ${hx(m.iova)} size: ${hx(m.size)} type: 3`)),
  batch_begin: message('batch_begin', VHOST_IOTLB_BATCH_BEGIN, false, 'PROBE_IOTLB_BATCH_BEGIN', (m, t) => t.message('vhost_vdpa_listener_begin_batch', m.msgType, 'type: 5')),
  batch_end: message('batch_end', VHOST_IOTLB_BATCH_END, false, 'PROBE_IOTLB_BATCH_END', (m, t) => t.message('vhost_vdpa_listener_commit', m.msgType, 'type: 6')),
  iotlb: {
    fields: [...MSG_FIELDS, 'type'],
    probe: 'op_iotlb_message',
    answersFaults: true,
    // Any type number; a uaddr makes perm required, as for an UPDATE.
    read: (r) => ({ op: 'iotlb', msg: readMsg(r, r.int('type', 0, 255), r.has('uaddr')) }),
    line: (c) => ({ ...msgLine('iotlb', c.msg), type: c.msg.type }),
    run: (dev, c) => dev.write(c.msg),
  },
  set_status: {
    fields: ['device', 'status'],
    probe: 'VHOST_VDPA_SET_STATUS',
    argsFirst: true,
    read: (r) => {
      const v = r.obj.status;
      return { op: 'set_status', status: Array.isArray(v) ? r.stringList('status', STATUS_NAMES).reduce((s, n) => s | STATUS[n], 0) : r.int('status', 0, 255) };
    },
    line: (c) => ({ op: 'set_status', status: c.status }),
    run: (dev, c) => dev.setStatus(c.status),
    trace: (c, t) => {
      if (c.status === 0) {
        t.status.bits = 0;
        return `vhost_vdpa_reset_device dev: ${t.dev}${t.resetStatus ? ' status: 0x0' : ''}`;
      }
      // vhost_vdpa_add_status traces the bits it adds to what the device has.
      const added = c.status & ~t.status.bits;
      t.status.bits = c.status;
      return `vhost_vdpa_add_status dev: ${t.dev} status: ${hx(added)}`;
    },
  },
  set_group_asid: {
    fields: ['device', 'group', 'asid'],
    probe: 'VHOST_VDPA_SET_GROUP_ASID',
    read: (r) => ({ op: 'set_group_asid', group: r.int('group', 0, U32_MAX), asid: r.int('asid', 0, U32_MAX) }),
    line: (c) => ({ op: 'set_group_asid', group: c.group, asid: c.asid }),
    run: (dev, c) => dev.setGroupAsid(c.group, c.asid),
    // net/vhost-vdpa.c vhost_vdpa_set_address_space_id traces the device's struct vhost_vdpa.
    trace: (c, t) => `vhost_vdpa_set_address_space_id vhost_vdpa: ${t.vdpa} vq_group: ${c.group} asid: ${c.asid}`,
  },
  get_iova_range: {
    fields: ['device'],
    probe: 'VHOST_VDPA_GET_IOVA_RANGE',
    answers: ['first', 'last'],
    read: () => ({ op: 'get_iova_range' }),
    line: () => ({ op: 'get_iova_range' }),
    run: (dev) => {
      const range = dev.getIovaRange();
      return { ret: 0, errno: null, cause: null, extra: { first: hex(range.first), last: hex(range.last) } };
    },
  },
  get_vqs_count: {
    fields: ['device'],
    probe: 'VHOST_VDPA_GET_VQS_COUNT',
    answers: ['count'],
    read: () => ({ op: 'get_vqs_count' }),
    line: () => ({ op: 'get_vqs_count' }),
    run: (dev) => ({ ret: 0, errno: null, cause: null, extra: { count: dev.getVqsCount() } }),
  },
  // hw/virtio/trace-events: vhost_vdpa_suspend(void *dev) "dev: %p", logged right before the ioctl.
  suspend: plain('suspend', 'VHOST_VDPA_SUSPEND', (dev) => dev.suspend(), (t) => `vhost_vdpa_suspend dev: ${t.dev}`),
  resume: plain('resume', 'VHOST_VDPA_RESUME', (dev) => dev.resume()),
  set_features: {
    fields: ['device', 'features'],
    probe: 'VHOST_SET_FEATURES',
    // Virtio device features as one 64-bit value ("0x300020020"): VHOST_SET_FEATURES takes a __u64.
    read: (r) => ({ op: 'set_features', features: r.u64('features') }),
    line: (c) => ({ op: 'set_features', features: hex(c.features) }),
    run: (dev, c) => dev.setFeatures(c.features),
  },
  get_vring_group: {
    fields: ['device', 'index'],
    probe: 'VHOST_VDPA_GET_VRING_GROUP',
    answers: ['group'],
    read: (r) => ({ op: 'get_vring_group', index: r.int('index', 0, U32_MAX) }),
    line: (c) => ({ op: 'get_vring_group', index: c.index }),
    run: (dev, c) => {
      const res = dev.getVringGroup(c.index);
      return res.group === undefined ? res : { ...res, extra: { group: res.group } };
    },
  },
  close: plain('close', 'close', (dev) => {
    const res = dev.close();
    return { ...res, extra: { pinnedVm: dev.mm.pinnedVm } };
  }),
};

/** The spec of one device op, typed by its name. */
export function deviceOp<K extends DeviceOpName>(op: K): DeviceOpSpec<K> {
  return DEVICE_OPS[op];
}

/** Every answer field some device op reports that a real kernel reports too. */
export function answerFields(): string[] {
  return [...new Set(Object.values(DEVICE_OPS).flatMap((spec: { answers?: readonly string[] }) => spec.answers ?? []))];
}

export function isDeviceOp(op: string): op is DeviceOpName {
  return Object.hasOwn(DEVICE_OPS, op);
}

export type { CallArgs };
