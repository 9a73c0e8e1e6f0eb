/**
 * QEMU's vhost-vdpa backend for one device (hw/virtio/vhost-vdpa.c,
 * net/vhost-vdpa.c), reduced to what moves mappings: open and feature
 * negotiation, the memory listener's batched UPDATE / INVALIDATE streams,
 * SET_STATUS, SET_GROUP_ASID and close. A failed message is a failed VMM
 * operation: it throws a KernelError naming the message and the section.
 */
import { KernelError } from '../errors.js';
import {
  featureBit,
  STATUS,
  VHOST_ACCESS_RO,
  VHOST_ACCESS_RW,
  VHOST_IOTLB_BATCH_BEGIN,
  VHOST_IOTLB_BATCH_END,
  VHOST_IOTLB_INVALIDATE,
  VHOST_IOTLB_MSG_V2,
  VHOST_IOTLB_UPDATE,
  VhostVdpa,
  type DeviceConfig,
  type OpResult,
} from '../kernel/index.js';
import type { HostMm } from '../host/index.js';

/** One listener mapping: a RAM section or a shadow-virtqueue buffer. */
export interface MapItem {
  name: string;
  asid: number;
  iova: number;
  bytes: number;
  hva: number;
  perm: number;
}

export { VHOST_ACCESS_RO, VHOST_ACCESS_RW };

/** Counters the VMM adds to the kernel's: work outside the kernel model. */
export interface VmmCounters {
  /** Virtqueues configured at DRIVER_OK (mlx5: create_virtqueue per VQ). */
  vqConfigures: number;
  deviceStarts: number;
  svqSwitches: number;
}

export function newVmmCounters(): VmmCounters {
  return { vqConfigures: 0, deviceStarts: 0, svqSwitches: 0 };
}

const START_SEQUENCE = [
  STATUS.ACKNOWLEDGE,
  STATUS.ACKNOWLEDGE | STATUS.DRIVER,
  STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK,
  STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK | STATUS.DRIVER_OK,
];

export class VdpaBackend {
  readonly dev: VhostVdpa;
  /** What the listener has mapped now, in map order. */
  mapped: MapItem[] = [];
  running = false;

  constructor(
    readonly name: string,
    mm: HostMm,
    config: DeviceConfig,
    private readonly vmm: VmmCounters,
    /** Virtqueues of the device: 2 per queue pair plus the CVQ. */
    readonly vqs: number,
  ) {
    this.dev = new VhostVdpa(config, mm);
  }

  /** SET_OWNER and backend-feature negotiation; PERSIST only when asked (and offered). */
  open(ackPersist: boolean): void {
    this.check(this.dev.setOwner(), 'SET_OWNER');
    const offered = this.dev.getBackendFeatures();
    let want = featureBit('IOTLB_MSG_V2') | featureBit('IOTLB_BATCH') | featureBit('IOTLB_ASID');
    if (ackPersist) want |= featureBit('IOTLB_PERSIST');
    this.check(this.dev.setBackendFeatures(want & (offered | featureBit('IOTLB_PERSIST'))), 'SET_BACKEND_FEATURES');
  }

  /** Listener region_add for every item, one batch per ASID (vhost_vdpa_listener_commit). */
  map(items: MapItem[]): void {
    for (const [asid, group] of byAsid(items)) {
      this.batch(asid, VHOST_IOTLB_BATCH_BEGIN);
      for (const it of group) {
        this.write(VHOST_IOTLB_UPDATE, it, `UPDATE of ${it.name}`);
        this.mapped.push(it);
      }
      this.batch(asid, VHOST_IOTLB_BATCH_END);
    }
  }

  /** Listener region_del for the given items (default: everything mapped). */
  unmap(items: MapItem[] = this.mapped): void {
    const gone = new Set(items);
    for (const [asid, group] of byAsid(items)) {
      this.batch(asid, VHOST_IOTLB_BATCH_BEGIN);
      for (const it of group) this.write(VHOST_IOTLB_INVALIDATE, it, `INVALIDATE of ${it.name}`);
      this.batch(asid, VHOST_IOTLB_BATCH_END);
    }
    this.mapped = this.mapped.filter((it) => !gone.has(it));
  }

  setGroupAsid(group: number, asid: number): void {
    this.check(this.dev.setGroupAsid(group, asid), `SET_GROUP_ASID ${group} -> ${asid}`);
  }

  /** vhost_vdpa_dev_start(true): the status dance up to DRIVER_OK; the parent configures each VQ. */
  start(): void {
    for (const s of START_SEQUENCE) this.check(this.dev.setStatus(s), `SET_STATUS 0x${s.toString(16)}`);
    this.vmm.deviceStarts++;
    this.vmm.vqConfigures += this.vqs;
    this.running = true;
  }

  /** SET_STATUS 0: the device reset. */
  reset(): void {
    this.check(this.dev.setStatus(0), 'SET_STATUS 0');
    this.running = false;
  }

  close(): void {
    this.check(this.dev.close(), 'close');
    this.mapped = [];
    this.running = false;
  }

  private batch(asid: number, type: number): void {
    this.check(this.dev.write({ msgType: VHOST_IOTLB_MSG_V2, type, asid, iova: 0n, size: 0n, uaddr: 0n, perm: 0 }), type === VHOST_IOTLB_BATCH_BEGIN ? 'BATCH_BEGIN' : 'BATCH_END');
  }

  private write(type: number, it: MapItem, what: string): void {
    const r = this.dev.write({ msgType: VHOST_IOTLB_MSG_V2, type, asid: it.asid, iova: BigInt(it.iova), size: BigInt(it.bytes), uaddr: BigInt(it.hva), perm: it.perm });
    this.check(r, `${what} (asid ${it.asid}, iova 0x${it.iova.toString(16)}, size 0x${it.bytes.toString(16)})`);
  }

  private check(r: OpResult, what: string): void {
    if (r.ret === 0) return;
    throw new KernelError(r.errno!, r.cause!, `${this.name}: ${what} failed: ${r.errno}${r.cause !== r.errno ? ` (handler: ${r.cause})` : ''}`);
  }
}

function byAsid(items: MapItem[]): Map<number, MapItem[]> {
  const m = new Map<number, MapItem[]>();
  for (const it of items) {
    const g = m.get(it.asid);
    if (g) g.push(it);
    else m.set(it.asid, [it]);
  }
  return m;
}
