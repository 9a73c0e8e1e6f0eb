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
  sendOp,
  writeCall,
  type DeviceConfig,
  type OpResult,
} from '../kernel/index.js';
import type { HostMm } from '../host/index.js';

/** What a mapping is in QEMU: a RAM section (the listener's), a shadow vring area or a shadow CVQ buffer. */
export type MapKind = 'ram' | 'svq-ring' | 'cvq-ring' | 'cvq-buffer';

/** One mapping QEMU makes: a RAM section, a shadow vring area or a CVQ buffer. */
export interface MapItem {
  name: string;
  kind: MapKind;
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
  /**
   * QEMU's own munmap and mmap of its shadow memory (8.1+, "vdpa: map shadow
   * vrings with MAP_SHARED"): vhost_svq_stop munmaps each shadow vring area
   * (driver, device), vhost_svq_start mmaps it fresh. Syscalls of the VMM,
   * not of vhost-vdpa, but on the reset path all the same.
   */
  vmmMunmaps: number;
  vmmMmaps: number;
}

export function newVmmCounters(): VmmCounters {
  return { vqConfigures: 0, deviceStarts: 0, svqSwitches: 0, vmmMunmaps: 0, vmmMmaps: 0 };
}

/** What vhost_vdpa_init adds (and vhost_vdpa_reset_status adds back after every reset). */
export const STATUS_ACK_DRIVER = STATUS.ACKNOWLEDGE | STATUS.DRIVER;

export class VdpaBackend {
  readonly dev: VhostVdpa;
  /** What is mapped now, in map order. */
  mapped: MapItem[] = [];
  running = false;
  /** The memory listener is registered (its RAM sections are mapped). */
  listenerRegistered = false;
  /** VHOST_BACKEND_F_SUSPEND was acked: vhost_vdpa_suspend sends VHOST_VDPA_SUSPEND instead of a reset. */
  suspendAcked = false;
  /** VHOST_VDPA_SUSPEND succeeded since the last start or reset (QEMU's v->suspended). */
  suspended = false;
  /** Inside the CVQ isolation probe (cvq-probe.ts): raw ioctls QEMU does not trace. */
  probing = false;

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

  /** VHOST_SET_OWNER (vhost_vdpa_set_owner). */
  setOwner(): void {
    this.check(sendOp(this.dev, { op: 'set_owner' }), 'SET_OWNER');
  }

  /**
   * vhost_vdpa_set_backend_cap: MSG_V2 and BATCH always, ASID and SUSPEND
   * where the QEMU release acks them (8.0+) and the kernel offers them,
   * PERSIST only when the flow asks (the unmerged series).
   */
  setBackendCap(o: { ackPersist: boolean; ackAsid: boolean; ackSuspend: boolean }): void {
    const offered = this.dev.getBackendFeatures();
    let want = featureBit('IOTLB_MSG_V2') | featureBit('IOTLB_BATCH');
    if (o.ackAsid) want |= featureBit('IOTLB_ASID');
    if (o.ackSuspend) want |= featureBit('SUSPEND');
    want &= offered;
    // PERSIST is asked even when not offered: the kernel's refusal is the cell's n/a.
    if (o.ackPersist) want |= featureBit('IOTLB_PERSIST');
    this.check(sendOp(this.dev, { op: 'set_backend_features', bits: want }), 'SET_BACKEND_FEATURES');
    this.suspendAcked = (want & featureBit('SUSPEND')) !== 0n;
  }

  /** Listener register (memory_listener_register): region_add for every RAM section, one batch per ASID (vhost_vdpa_listener_commit). */
  register(items: MapItem[]): void {
    this.map(items);
    this.listenerRegistered = true;
  }

  /** Listener unregister: region_del for every RAM section mapped, in one batch. */
  unregister(): void {
    if (!this.listenerRegistered) return;
    this.unmap(this.mapped.filter((it) => it.kind === 'ram'));
    this.listenerRegistered = false;
  }

  /** Batched UPDATEs, one batch per ASID (the listener's transaction). */
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

  /**
   * One UPDATE outside any batch: vhost_vdpa_dma_map called directly, as
   * vhost_vdpa_svq_map_ring and vhost_vdpa_cvq_map_buf do (on a set_map
   * parent each is a whole-table set_map).
   */
  mapOne(it: MapItem): void {
    this.write(VHOST_IOTLB_UPDATE, it, `UPDATE of ${it.name}`);
    this.mapped.push(it);
  }

  /** One INVALIDATE outside any batch (vhost_vdpa_svq_unmap_ring, vhost_vdpa_cvq_unmap_buf). */
  unmapOne(it: MapItem): void {
    this.write(VHOST_IOTLB_INVALIDATE, it, `INVALIDATE of ${it.name}`);
    this.mapped = this.mapped.filter((x) => x !== it);
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
    this.check(sendOp(this.dev, { op: 'set_group_asid', group, asid }), `SET_GROUP_ASID ${group} -> ${asid}`);
  }

  /** vhost_vdpa_add_status: GET_STATUS, then SET_STATUS with `bits` OR-ed in. */
  addStatus(bits: number): void {
    const s = this.dev.status | bits;
    this.check(sendOp(this.dev, { op: 'set_status', status: s }), `SET_STATUS 0x${s.toString(16)}`);
  }

  /** The last device's DRIVER_OK; the parent configures each VQ. */
  driverOk(): void {
    this.addStatus(STATUS.DRIVER_OK);
    this.vmm.deviceStarts++;
    this.vmm.vqConfigures += this.vqs;
    this.running = true;
    this.suspended = false;
  }

  /**
   * VHOST_VDPA_SUSPEND (hw/virtio/vhost-vdpa.c vhost_vdpa_suspend, 8.0+):
   * the device stops processing, its maps stay. False when the kernel
   * refused: QEMU reports "Cannot suspend" and resets the device instead
   * (the caller's fallback), it does not fail the stop.
   */
  suspend(): boolean {
    const r = sendOp(this.dev, { op: 'suspend' });
    this.suspended = r.ret === 0;
    return this.suspended;
  }

  /** SET_STATUS 0: the device reset (vhost_vdpa_reset_device, which also clears v->suspended). */
  reset(): void {
    this.check(sendOp(this.dev, { op: 'set_status', status: 0 }), 'SET_STATUS 0');
    this.running = false;
    this.suspended = false;
  }

  close(): void {
    this.check(sendOp(this.dev, { op: 'close' }), 'close');
    this.mapped = [];
    this.running = false;
    this.listenerRegistered = false;
  }

  private batch(asid: number, type: number): void {
    this.check(sendOp(this.dev, writeCall({ msgType: VHOST_IOTLB_MSG_V2, type, asid, iova: 0n, size: 0n, uaddr: 0n, perm: 0 })), type === VHOST_IOTLB_BATCH_BEGIN ? 'BATCH_BEGIN' : 'BATCH_END');
  }

  private write(type: number, it: MapItem, what: string): void {
    const r = sendOp(this.dev, writeCall({ msgType: VHOST_IOTLB_MSG_V2, type, asid: it.asid, iova: BigInt(it.iova), size: BigInt(it.bytes), uaddr: BigInt(it.hva), perm: it.perm }));
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
