/**
 * The vhost-vdpa character device (drivers/vhost/vdpa.c), one open fd.
 *
 * Every operation returns an OpResult rather than throwing: a failing ioctl
 * or write() is a normal outcome the lab reports. `errno` is what userspace
 * sees; `cause` is what the handler returned (vhost_chr_write_iter turns every
 * IOTLB handler error into EFAULT). A failing message leaves the tables as
 * the kernel leaves them (which, on some paths, is not "as before": see
 * paMap's error path).
 */
import type { ErrnoName } from '../errors.js';
import { RadixIotlb, U64_MAX } from '../iotlb/index.js';
import type { HostMm } from '../host/index.js';
import { countersOf, type KernelCounters } from './counters.js';
import { UserPagePins } from './pin-user-pages.js';
import { addError, PaMapper, type PaMapDevice } from './pa-map.js';
import { IotlbUnmapper } from './iotlb-unmap.js';
import { vaMap, type VaMapDevice } from './va-map.js';
import { createParent, type Parent } from './parents/index.js';
import type { DeviceConfig, IotlbMsg } from './device-config.js';
import { resolveKernel, type KernelBehaviour } from './versions.js';
import { parentIotlbLimit } from './parent-limits.js';
import { backendOps, type BackendOps } from './parents/backend-ops.js';
import { offeredFeatures, refuseFeatures } from './backend-features.js';
import { resumeDevice, suspendDevice } from './suspend-resume.js';
import { getVringGroup, nvqsOf, setFeatures } from './vring-group.js';
import type { OpObserver } from './ops/op-call.js';
import {
  featureBit,
  STATUS,
  VHOST_IOTLB_BATCH_BEGIN,
  VHOST_IOTLB_BATCH_END,
  VHOST_IOTLB_INVALIDATE,
  VHOST_IOTLB_MSG,
  VHOST_IOTLB_MSG_V2,
  VHOST_IOTLB_UPDATE,
} from './uapi.js';
import { fail, OK, type OpResult } from './op-result.js';

export type { OpResult } from './op-result.js';
export type { DeviceConfig, IotlbMsg } from './device-config.js';
export { PIN_BATCH_PAGES } from './pin-user-pages.js';

export class VhostVdpa implements PaMapDevice, VaMapDevice {
  readonly parent: Parent;
  /** The kernel version's behaviours (versions.ts). */
  readonly kernel: KernelBehaviour;
  readonly counters: KernelCounters;
  /** Per-ASID vhost iotlbs (vhost_vdpa_as), created lazily. */
  readonly spaces = new Map<number, RadixIotlb>();
  readonly groupAsid: number[];
  /** The parent module's own entry limit (parent-limits.ts); undefined: none. */
  readonly parentIotlbLimit: number | undefined;
  /** vhost_vdpa_pa_map's walk, with its scratch list of runs. */
  private readonly pa: PaMapper;
  /** vhost_vdpa_iotlb_unmap's per-entry half. */
  private readonly unmapper: IotlbUnmapper;
  /** The parent's optional ops behind the offered backend features. */
  readonly ops: BackendOps;
  owner = false;
  backendFeatures = 0n;
  status = 0;
  /** What VHOST_SET_FEATURES gave the parent (vring-group.ts); a reset clears it. */
  driverFeatures = 0n;
  inBatch = false;
  batchAsid = 0;
  closed = false;
  /** Sees every op sent through the op table (ops/send-op.ts): how a VM's ops are recorded. */
  observer: OpObserver | undefined = undefined;

  constructor(
    readonly config: DeviceConfig,
    readonly mm: HostMm,
  ) {
    this.counters = countersOf(mm);
    this.kernel = resolveKernel(config.kernel);
    const pins = new UserPagePins(mm, this.counters, { unshareZero: this.kernel.roPinUnshare, thpOnHugeZeroWp: this.kernel.thpOnHugeZeroWp }, this.kernel.thpPinBatch);
    this.parentIotlbLimit = parentIotlbLimit(config, this.kernel);
    this.parent = createParent(config.parent, this.kernel, this.counters, { variant: config.variant, deviceLimit: this.parentIotlbLimit });
    this.groupAsid = new Array(config.ngroups).fill(0);
    this.ops = backendOps(config.parent, this.kernel);
    this.pa = new PaMapper(this, mm, this.counters, pins);
    this.unmapper = new IotlbUnmapper(this.parent, config.useVa, mm, this.counters, pins);
    this.openReset();
  }

  /**
   * vhost_vdpa_open resets the device (vhost_vdpa_reset) before anything
   * else. On 6.1 that is vdpa_reset -> ops->reset, a full reset: vdpa_sim
   * empties its iommu[], mlx5 destroys its MRs and builds the DMA MR again.
   * From v6.7 _compat_vdpa_reset passes VDPA_RESET_F_CLEAN_MAP only when
   * v->vdev.vqs is set, and at open it is not yet (vhost_dev_init comes
   * after; release's vhost_vdpa_cleanup set it to NULL): flags 0, so
   * vdpa_reset calls ops->reset, which is compat_reset(0) in vdpa_sim and
   * mlx5: the maps stay (drivers/vhost/vdpa.c vhost_vdpa_open and
   * _compat_vdpa_reset in Debian's 6.1.192 and 6.12.117 trees).
   */
  private openReset(): void {
    this.inBatch = false;
    this.deviceReset(!this.kernel.resetMap);
  }

  // ---------------------------------------------------------------- ioctls

  /** VHOST_SET_OWNER (vhost_dev_set_owner): a second call is EBUSY. */
  setOwner(): OpResult {
    this.counters.ioctls++;
    if (this.owner) return fail('EBUSY');
    this.owner = true;
    return OK;
  }

  /** IOTLB_PERSIST is offered iff no on-chip IOMMU, or .reset_map, or the parent advertises it (v6.7+). */
  get persistOffered(): boolean {
    const p = this.parent;
    return this.kernel.resetMap && (p.mapPath === 'iommu' || p.hasResetMap || p.advertisesPersist);
  }

  /**
   * VHOST_GET_BACKEND_FEATURES: the base set, SUSPEND where the parent can
   * suspend, and from v6.7 on RESUME, DESC_ASID, IOTLB_PERSIST and the
   * parent's own features (backend-ops.ts).
   */
  getBackendFeatures(): bigint {
    this.counters.ioctls++;
    return this.offeredFeatures();
  }

  private offeredFeatures(): bigint {
    return offeredFeatures(this.kernel, this.ops, this.persistOffered);
  }

  /**
   * VHOST_SET_BACKEND_FEATURES, handled before the owner check, in the
   * kernel's order: bits outside what this vhost-vdpa knows, then each
   * optional feature the parent cannot back, are EOPNOTSUPP; DESC_ASID
   * without IOTLB_ASID is EINVAL. ENABLE_AFTER_DRIVER_OK is accepted from any
   * parent (v6.12 checks only that the bit is known).
   */
  setBackendFeatures(bits: bigint): OpResult {
    this.counters.ioctls++;
    const refused = refuseFeatures(bits, this.kernel, this.ops, this.persistOffered);
    if (refused) return fail(refused);
    this.backendFeatures = bits;
    return OK;
  }

  private acked(name: 'IOTLB_ASID' | 'IOTLB_PERSIST'): boolean {
    return (this.backendFeatures & featureBit(name)) !== 0n;
  }

  /** VHOST_VDPA_SUSPEND (suspend-resume.ts). */
  suspend(): OpResult {
    this.counters.ioctls++;
    return suspendDevice(this);
  }

  /** VHOST_VDPA_RESUME (suspend-resume.ts). */
  resume(): OpResult {
    this.counters.ioctls++;
    return resumeDevice(this);
  }

  /** VHOST_SET_FEATURES (vring-group.ts). */
  setFeatures(features: bigint): OpResult {
    this.counters.ioctls++;
    return setFeatures(this, features);
  }

  /** VHOST_VDPA_GET_VRING_GROUP (vring-group.ts): `group` on success. */
  getVringGroup(index: number): OpResult & { group?: number } {
    this.counters.ioctls++;
    return getVringGroup(this, index);
  }

  /** VHOST_VDPA_GET_IOVA_RANGE: v->range, set at probe from the parent (vhost_vdpa_set_iova_range); no owner check. */
  getIovaRange(): { first: bigint; last: bigint } {
    this.counters.ioctls++;
    return this.config.iovaRange;
  }

  /** VHOST_VDPA_GET_VQS_COUNT (vhost_vdpa_get_vqs_count): vdpa->nvqs, no owner check, the same in 6.1 and 6.12. */
  getVqsCount(): number {
    this.counters.ioctls++;
    return nvqsOf(this);
  }

  /**
   * VHOST_VDPA_SET_GROUP_ASID, a vring ioctl (vhost_vdpa_vring_ioctl): its
   * index is checked against the virtqueues first (ENOBUFS), then the group
   * and asid (EINVAL), then, from v7.0, a running device (EBUSY); no op
   * EOPNOTSUPP. The real kernels answered ENOBUFS for a group past
   * vdpa_sim_net's 3 queues, whatever the asid.
   */
  setGroupAsid(group: number, asid: number): OpResult {
    this.counters.ioctls++;
    if (group >= nvqsOf(this)) return fail('ENOBUFS');
    if (group >= this.config.ngroups || asid >= this.config.nas) return fail('EINVAL');
    if (this.kernel.groupAsidBusyWhileRunning && this.running) return fail('EBUSY');
    if (!this.parent.hasSetGroupAsid) return fail('EOPNOTSUPP');
    const err = this.parent.setGroupAsid(group, asid);
    if (err) return fail(err);
    this.groupAsid[group] = asid;
    return OK;
  }

  /**
   * VHOST_VDPA_SET_STATUS. 0 resets the device: with CLEAN_MAP unless PERSIST
   * was acked (v6.7+ compat_reset); legacy kernels always wipe. Clearing a
   * status bit other than by reset is EINVAL.
   */
  setStatus(status: number): OpResult {
    this.counters.ioctls++;
    if (status === 0) {
      // vhost_vdpa_set_status resets through (_compat_)vdpa_reset, not
      // vhost_vdpa_reset: an open batch stays open (only open and release end it).
      this.deviceReset();
      return OK;
    }
    if ((this.status & ~status) !== 0) return fail('EINVAL');
    this.status = status;
    this.parent.statusSet(status);
    return OK;
  }

  /** vhost_vdpa_reset (open, release): in_batch cleared, then (compat_)reset. */
  private reset(): void {
    this.inBatch = false;
    this.deviceReset();
  }

  /** (_compat_)vdpa_reset: the parent's reset, CLEAN_MAP unless PERSIST was acked (v6.7+; open: see openReset). */
  private deviceReset(cleanMap = this.kernel.resetMap ? !this.acked('IOTLB_PERSIST') : true): void {
    const wiped = this.parent.reset(cleanMap);
    this.counters.resets++;
    if (wiped) this.counters.resetsCleanMap++;
    else this.counters.resetsKeepMap++;
    this.status = 0;
    this.driverFeatures = 0n;
    // A reset ends a suspend: mlx5_vdpa_reset / _compat_reset clear mvdev->suspended, vdpasim_do_reset
    // stops running until DRIVER_OK, and v6.9+ _compat_vdpa_reset clears v->suspended.
    this.parent.suspended = false;
    // Every virtqueue group is back on ASID 0, flags or not: vdpasim_do_reset points
    // each vring at iommu[0], mlx5 calls init_group_to_asid_map.
    this.groupAsid.fill(0);
  }

  /**
   * close(): vhost_vdpa_release. Reset, then per AS unmap everything (per-entry
   * unmap, no set_map) and .reset_map.
   */
  close(): OpResult {
    this.reset();
    for (const [asid, iotlb] of [...this.spaces].sort((a, b) => a[0] - b[0])) {
      this.unmapper.iotlbUnmap(asid, iotlb, 0n, U64_MAX);
      if (this.parent.hasResetMap) this.parent.resetMap(asid);
      iotlb.free(); // vhost_vdpa_remove_as -> vhost_iotlb_free: the next open's tables reuse its memory
    }
    this.spaces.clear();
    this.owner = false;
    this.closed = true;
    return OK;
  }

  // ------------------------------------------------- write(): IOTLB messages

  /** vhost_chr_write_iter -> vhost_vdpa_process_iotlb_msg. */
  write(msg: IotlbMsg): OpResult {
    this.counters.messages++;
    if (msg.msgType !== VHOST_IOTLB_MSG && msg.msgType !== VHOST_IOTLB_MSG_V2) return fail('EINVAL');
    if (msg.type === VHOST_IOTLB_UPDATE && msg.size === 0n) return fail('EINVAL');
    // Before "vhost: Allow null msg.size on VHOST_IOTLB_INVALIDATE" (v6.6, and 6.1.y by 6.1.192)
    // an INVALIDATE of size 0 was refused here too, so "invalidate everything" was impossible.
    if (msg.type === VHOST_IOTLB_INVALIDATE && msg.size === 0n && !this.kernel.invalidateSize0) return fail('EINVAL');
    const asid = msg.msgType === VHOST_IOTLB_MSG_V2 && this.acked('IOTLB_ASID') ? msg.asid : 0;
    const cause = this.processIotlbMsg(asid, msg);
    return cause ? fail('EFAULT', cause) : OK;
  }

  private processIotlbMsg(asid: number, msg: IotlbMsg): ErrnoName | null {
    if (!this.owner) return 'EPERM';
    let iotlb: RadixIotlb | undefined;
    if (msg.type === VHOST_IOTLB_UPDATE || msg.type === VHOST_IOTLB_BATCH_BEGIN) {
      iotlb = this.findAllocAs(asid);
      if (!iotlb) return 'EINVAL';
    } else {
      iotlb = this.spaces.get(asid);
    }
    if ((this.inBatch && this.batchAsid !== asid) || !iotlb) return 'EINVAL';
    switch (msg.type) {
      case VHOST_IOTLB_UPDATE:
        this.counters.iotlbUpdates++;
        return this.processUpdate(asid, iotlb, msg);
      case VHOST_IOTLB_INVALIDATE:
        this.counters.iotlbInvalidates++;
        this.unmap(asid, iotlb, msg.iova, msg.size);
        return null;
      case VHOST_IOTLB_BATCH_BEGIN:
        this.batchAsid = asid;
        this.inBatch = true;
        this.counters.batches++;
        return null;
      case VHOST_IOTLB_BATCH_END:
        // The set_map error is ignored here: a device-side failure is silent.
        if (this.inBatch && this.parent.mapPath === 'set_map') this.parent.setMap(asid, iotlb, this.running);
        this.inBatch = false;
        return null;
      default:
        return 'EINVAL';
    }
  }

  /** vhost_vdpa_find_alloc_as / vhost_vdpa_alloc_as: no AS past nas, and none at all when max_iotlb_entries <= 0. */
  private findAllocAs(asid: number): RadixIotlb | undefined {
    if (asid >= this.config.nas) return undefined;
    const limit = this.config.iotlbLimit;
    if (limit !== undefined && limit <= 0 && !this.spaces.has(asid)) return undefined;
    let t = this.spaces.get(asid);
    if (!t) {
      t = new RadixIotlb({ limit: this.config.iotlbLimit, initialEntries: 256 });
      this.spaces.set(asid, t);
    }
    return t;
  }

  /** DRIVER_OK is set (the parents' idea of a running device). */
  get running(): boolean {
    return (this.status & STATUS.DRIVER_OK) !== 0;
  }

  /** vhost_vdpa_process_iotlb_update: range check, overlap check, then VA or PA map. */
  private processUpdate(asid: number, iotlb: RadixIotlb, msg: IotlbMsg): ErrnoName | null {
    const { iova, size } = msg;
    const r = this.config.iovaRange;
    if (iova < r.first || size === 0n || iova > U64_MAX - size + 1n || iova + size - 1n > r.last) return 'EINVAL';
    if (iotlb.first(iova, iova + size - 1n)) return 'EEXIST';
    return this.config.useVa ? vaMap(this, asid, iotlb, iova, size, msg.uaddr, msg.perm) : this.pa.paMap(asid, iotlb, iova, size, msg.uaddr, msg.perm);
  }

  /**
   * vhost_vdpa_map for a page-granular PA run: add the vhost entry, then the
   * device op; undo the entry if the device op fails; account pinned_vm.
   * (No closure per entry: on a fragmented 4k guest this runs per page.)
   */
  mapPages(asid: number, iotlb: RadixIotlb, iovaPage: number, pages: number, pfn: number, perm: number): ErrnoName | null {
    let id: number;
    try {
      id = iotlb.addPages(iovaPage, pages, pfn, perm);
    } catch (e) {
      return addError(e);
    }
    return this.attach(asid, iotlb, id, pages);
  }

  /** vhost_vdpa_map for a VA range (byte-granular; no pinning, no pinned_vm). */
  mapRange(asid: number, iotlb: RadixIotlb, first: bigint, last: bigint, uaddr: bigint, perm: number): ErrnoName | null {
    let id: number;
    try {
      id = iotlb.addRange(first, last, uaddr, perm);
    } catch (e) {
      return addError(e);
    }
    return this.attach(asid, iotlb, id, 0);
  }

  /** The device half of vhost_vdpa_map for entry `id`, and pinned_vm in PA mode. */
  attach(asid: number, iotlb: RadixIotlb, id: number, pages: number): ErrnoName | null {
    this.counters.iotlbInserts++;
    let r: ErrnoName | null = null;
    switch (this.parent.mapPath) {
      case 'dma_map':
        r = this.parent.dmaMap(asid, iotlb, id);
        break;
      case 'set_map':
        if (!this.inBatch) r = this.parent.setMap(asid, iotlb, this.running);
        break;
      case 'iommu':
        r = this.parent.iommuMap(asid, iotlb, id);
        break;
    }
    if (r) {
      iotlb.removeId(id);
      this.counters.iotlbRemoves++;
      return r;
    }
    if (!this.config.useVa) this.mm.pinnedVm += pages;
    return null;
  }

  /** vhost_vdpa_unmap: per-entry unmap, then one set_map (set_map parents, outside a batch). */
  unmap(asid: number, iotlb: RadixIotlb, iova: bigint, size: bigint): void {
    // last = iova + size - 1, computed mod 2^64 (size 0 at iova 0: everything).
    const last = (iova + size - 1n) & U64_MAX;
    this.unmapper.iotlbUnmap(asid, iotlb, iova, last);
    if (this.parent.mapPath === 'set_map' && !this.inBatch) this.parent.setMap(asid, iotlb, this.running);
  }
}
