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
import { IotlbError, type ErrnoName } from '../errors.js';
import { RadixIotlb, U64_MAX } from '../iotlb/index.js';
import type { HostMm, HostRegion } from '../host/index.js';
import { countersOf, type KernelCounters } from './counters.js';
import { PIN_BATCH_PAGES, UserPagePins } from './pin-user-pages.js';
import { createParent, type Parent, type ParentKind, type VdpaSimVariant } from './parents/index.js';
import { resolveKernel, type KernelBehaviour } from './versions.js';
import { backendOps, type BackendOps } from './parents/backend-ops.js';
import { offeredFeatures, refuseFeatures } from './backend-features.js';
import {
  featureBit,
  STATUS,
  VHOST_ACCESS_WO,
  VHOST_IOTLB_BATCH_BEGIN,
  VHOST_IOTLB_BATCH_END,
  VHOST_IOTLB_INVALIDATE,
  VHOST_IOTLB_MSG,
  VHOST_IOTLB_MSG_V2,
  VHOST_IOTLB_UPDATE,
} from './uapi.js';

export interface OpResult {
  ret: 0 | -1;
  errno: ErrnoName | null;
  cause: ErrnoName | null;
}

const OK: OpResult = Object.freeze({ ret: 0, errno: null, cause: null });
function fail(errno: ErrnoName, cause: ErrnoName = errno): OpResult {
  return { ret: -1, errno, cause };
}

export interface DeviceConfig {
  parent: ParentKind;
  /** vdpa_sim only: batch_mapping=1 (set_map, default) or 0 (dma_map). */
  variant?: VdpaSimVariant;
  /** A kernel version as uname -r names it (`6.12.117`), or an old alias (`legacy`, `reset-map`): versions.ts. */
  kernel: string;
  useVa: boolean;
  /** Virtqueues (vdpa->nvqs; vdpa_sim_net: 3, two data queues and the CVQ). Optional: the parent's default. */
  nvqs?: number;
  /** Address spaces (vdpa->nas) and virtqueue groups (vdpa->ngroups). */
  nas: number;
  ngroups: number;
  iovaRange: { first: bigint; last: bigint };
  /**
   * vhost_vdpa.max_iotlb_entries; undefined: a kernel without the 2026 fix (no limit).
   * Callers default it from the version (KernelBehaviour.defaultIotlbLimit).
   */
  iotlbLimit?: number;
}

/** One struct vhost_msg_v2 (or v1) as written to the fd. */
export interface IotlbMsg {
  msgType: number;
  type: number;
  asid: number;
  iova: bigint;
  size: bigint;
  uaddr: bigint;
  perm: number;
}

/** vhost_iotlb_add_range's error (EEXIST, ENOSPC, EINVAL) as the handler returns it; anything else is a bug. */
function addError(e: unknown): ErrnoName {
  if (e instanceof IotlbError) return e.code;
  throw e;
}

/** Maps of at least this many pages are pinned ahead by the shards, when the mm has them. */
const SHARD_MIN_PAGES = 2 ** 16;

/** VHOST_ACCESS_WO as a module-local const: V8 folds it, not an imported binding, in the per-entry unmap loop. */
const ACCESS_WO = VHOST_ACCESS_WO;

/**
 * Every process has its stack VMA at the top of the user address space, so
 * find_vma() finds a VMA for any address below it (x86-64: TASK_SIZE_MAX =
 * 2^47 - 4 KiB; the stack ends just under it). A VA map over a hole below
 * the stack succeeds and maps nothing, as 6.12 did for the probe.
 */
const STACK_END = (1n << 47n) - 4096n;

/**
 * Virtqueues each parent registers when a script does not say: vdpa_sim_net
 * VDPASIM_NET_VQ_NUM (3); mlx5 with 8 queue pairs and the CVQ (17), the lab's
 * default guest; VDUSE and a platform-IOMMU parent as a 1-pair net device.
 */
const DEFAULT_NVQS: Record<ParentKind, number> = { vdpa_sim: 3, mlx5: 17, vduse: 3, 'platform-iommu': 3 };

export { PIN_BATCH_PAGES } from './pin-user-pages.js';


export class VhostVdpa {
  readonly parent: Parent;
  /** The kernel version's behaviours (versions.ts). */
  readonly kernel: KernelBehaviour;
  readonly counters: KernelCounters;
  /** Per-ASID vhost iotlbs (vhost_vdpa_as), created lazily. */
  readonly spaces = new Map<number, RadixIotlb>();
  readonly groupAsid: number[];
  /** pin_user_pages and the unpins, with their scratch tables. */
  private readonly pins: UserPagePins;
  /** The parent's optional ops behind the offered backend features. */
  readonly ops: BackendOps;
  owner = false;
  backendFeatures = 0n;
  status = 0;
  inBatch = false;
  batchAsid = 0;
  closed = false;

  constructor(
    readonly config: DeviceConfig,
    readonly mm: HostMm,
  ) {
    this.counters = countersOf(mm);
    this.pins = new UserPagePins(mm, this.counters);
    this.kernel = resolveKernel(config.kernel);
    this.parent = createParent(config.parent, this.kernel.generation, this.counters, {
      variant: config.variant,
      deviceLimit: config.iotlbLimit,
    });
    this.groupAsid = new Array(config.ngroups).fill(0);
    this.ops = backendOps(config.parent, this.kernel);
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

  /** VHOST_VDPA_GET_IOVA_RANGE. */
  getIovaRange(): { first: bigint; last: bigint } {
    this.counters.ioctls++;
    return this.config.iovaRange;
  }

  /**
   * VHOST_VDPA_SET_GROUP_ASID, a vring ioctl (vhost_vdpa_vring_ioctl): its
   * index is checked against the virtqueues first (ENOBUFS), then the group
   * and asid (EINVAL); no op EOPNOTSUPP. Both real kernels answered ENOBUFS
   * for a group past vdpa_sim_net's 3 queues, whatever the asid.
   */
  setGroupAsid(group: number, asid: number): OpResult {
    this.counters.ioctls++;
    if (group >= (this.config.nvqs ?? DEFAULT_NVQS[this.config.parent])) return fail('ENOBUFS');
    if (group >= this.config.ngroups || asid >= this.config.nas) return fail('EINVAL');
    if (!this.parent.hasSetGroupAsid) return fail('EOPNOTSUPP');
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
    return OK;
  }

  /** vhost_vdpa_reset (open, release): in_batch cleared, then (compat_)reset. */
  private reset(): void {
    this.inBatch = false;
    this.deviceReset();
  }

  /** (_compat_)vdpa_reset: the parent's reset, CLEAN_MAP unless PERSIST was acked (v6.7+). */
  private deviceReset(): void {
    const cleanMap = this.kernel.resetMap ? !this.acked('IOTLB_PERSIST') : true;
    const wiped = this.parent.reset(cleanMap);
    this.counters.resets++;
    if (wiped) this.counters.resetsCleanMap++;
    else this.counters.resetsKeepMap++;
    this.status = 0;
  }

  /**
   * close(): vhost_vdpa_release. Reset, then per AS unmap everything (per-entry
   * unmap, no set_map) and .reset_map.
   */
  close(): OpResult {
    this.reset();
    for (const [asid, iotlb] of [...this.spaces].sort((a, b) => a[0] - b[0])) {
      this.iotlbUnmap(asid, iotlb, 0n, U64_MAX);
      if (this.parent.hasResetMap) this.parent.resetMap(asid);
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

  private get running(): boolean {
    return (this.status & STATUS.DRIVER_OK) !== 0;
  }

  /** vhost_vdpa_process_iotlb_update: range check, overlap check, then VA or PA map. */
  private processUpdate(asid: number, iotlb: RadixIotlb, msg: IotlbMsg): ErrnoName | null {
    const { iova, size } = msg;
    const r = this.config.iovaRange;
    if (iova < r.first || size === 0n || iova > U64_MAX - size + 1n || iova + size - 1n > r.last) return 'EINVAL';
    if (iotlb.first(iova, iova + size - 1n)) return 'EEXIST';
    return this.config.useVa ? this.vaMap(asid, iotlb, iova, size, msg.uaddr, msg.perm) : this.paMap(asid, iotlb, iova, size, msg.uaddr, msg.perm);
  }

  /**
   * vhost_vdpa_map for a page-granular PA run: add the vhost entry, then the
   * device op; undo the entry if the device op fails; account pinned_vm.
   * (No closure per entry: on a fragmented 4k guest this runs per page.)
   */
  private mapPages(asid: number, iotlb: RadixIotlb, iovaPage: number, pages: number, pfn: number, perm: number): ErrnoName | null {
    let id: number;
    try {
      id = iotlb.addPages(iovaPage, pages, pfn, perm);
    } catch (e) {
      return addError(e);
    }
    return this.attach(asid, iotlb, id, pages);
  }

  /** vhost_vdpa_map for a VA range (byte-granular; no pinning, no pinned_vm). */
  private mapRange(asid: number, iotlb: RadixIotlb, first: bigint, last: bigint, uaddr: bigint, perm: number): ErrnoName | null {
    let id: number;
    try {
      id = iotlb.addRange(first, last, uaddr, perm);
    } catch (e) {
      return addError(e);
    }
    return this.attach(asid, iotlb, id, 0);
  }

  /** The device half of vhost_vdpa_map for entry `id`, and pinned_vm in PA mode. */
  private attach(asid: number, iotlb: RadixIotlb, id: number, pages: number): ErrnoName | null {
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

  /**
   * vhost_vdpa_pa_map, with the kernel's own variables (nchunks, map_pfn,
   * last_pfn) so its error path behaves as the kernel's does. Pins in calls of
   * PIN_BATCH_PAGES; each physically contiguous run becomes one entry.
   */
  private paMap(asid: number, iotlb: RadixIotlb, iova: bigint, size: bigint, uaddr: bigint, perm: number): ErrnoName | null {
    const mm = this.mm;
    const c = this.counters;
    // PFN_UP(size + page_offset) in u64: a size reaching 2^64 with the offset wraps to 0 pages, which is EINVAL.
    let npages = Number(((size + (iova & 0xfffn) + 0xfffn) & U64_MAX) >> 12n);
    if (!npages) return 'EINVAL';
    if (npages + mm.pinnedVm > mm.memlockPages) return 'ENOMEM';
    let curPage = Number(uaddr >> 12n);
    let iovaPage = Number(iova >> 12n);
    let nchunks = 0;
    let mapPfn = 0;
    let lastPfn = 0;
    let ret: ErrnoName | null = null;
    const seg = this.pins.segments;
    // Sharded pinning: helpers pin the whole range ahead; the batches below
    // then only list runs. `reached` is how far the kernel's own walk got.
    const aheadEnd = mm.pinShards && npages >= SHARD_MIN_PAGES ? curPage + mm.pinShards.pinAhead(curPage, npages, c) : 0;
    let reached = curPage;
    out: {
      while (npages) {
        const sz2pin = Math.min(npages, PIN_BATCH_PAGES);
        c.pinCalls++;
        const n = this.pins.pin(curPage, sz2pin, aheadEnd);
        const pinned = seg.pages;
        reached = curPage + pinned;
        if (pinned !== sz2pin) {
          // pin_user_pages stopped at a hole: nothing pinned is -EFAULT,
          // a short pin is undone and reported as ENOMEM.
          this.pins.unpinSegments(0, n, false);
          ret = pinned === 0 ? 'EFAULT' : 'ENOMEM';
          break out;
        }
        nchunks++;
        if (!lastPfn) mapPfn = seg.pfn[0];
        // The kernel maps each run as the walk closes it; here the runs a
        // page_list closes are listed first, then mapped in one go (mapRuns).
        const listNchunks = nchunks;
        const listIovaPage = iovaPage;
        const runs = this.runs;
        let closed = 0;
        for (let i = 0; i < n; i++) {
          const thisPfn = seg.pfn[i];
          if (lastPfn && thisPfn !== lastPfn + 1) {
            const csize = lastPfn - mapPfn + 1;
            runs.pages[closed] = csize;
            runs.pfn[closed] = mapPfn;
            runs.seg[closed] = i;
            closed++;
            mapPfn = thisPfn;
            iovaPage += csize;
            nchunks = 0;
          }
          lastPfn = thisPfn + seg.len[i] - 1;
        }
        const mapped = closed ? this.mapRuns(asid, iotlb, listIovaPage, closed, perm) : 0;
        if (mapped < closed) {
          // Back to the kernel's state when run `mapped` failed: nchunks was
          // still set only if it was the page_list's first map.
          ret = this.runs.error;
          nchunks = mapped === 0 ? listNchunks : 0;
          mapPfn = runs.pfn[mapped];
          lastPfn = mapPfn + runs.pages[mapped] - 1;
          // Unpin what is left unmapped in this page_list.
          this.pins.unpinSegments(runs.seg[mapped], n, false);
          break out;
        }
        curPage += pinned;
        npages -= pinned;
      }
      const csize = lastPfn - mapPfn + 1;
      ret = this.mapPages(asid, iotlb, iovaPage, csize, mapPfn, perm);
    }
    if (ret) {
      // Pages pinned ahead that the walk never reached were never pinned for the kernel.
      if (aheadEnd > reached) mm.pinShards!.unpinAhead(reached, aheadEnd - reached, c);
      // Kernel: only `if (nchunks)` are the pinned-but-unmapped pages released.
      // After a successful map inside the same page_list nchunks is 0 and the
      // pages of the failed run stay pinned: the invariant checker reports it.
      if (nchunks) this.pins.unpinPfnRange(mapPfn, lastPfn - mapPfn + 1, false);
      this.unmap(asid, iotlb, iova, size);
    }
    return ret;
  }

  /**
   * Maps `count` runs listed in `this.runs`, IOVA-consecutive from iovaPage,
   * exactly as `count` vhost_vdpa_map calls in a row would: each entry, then
   * its device op. Returns how many succeeded; runs.error says why the next failed.
   */
  private mapRuns(asid: number, iotlb: RadixIotlb, iovaPage: number, count: number, perm: number): number {
    const runs = this.runs;
    const path = this.parent.mapPath;
    if (path === 'set_map' && !this.inBatch) {
      // Every map is a whole-table set_map that sees the entries before it: one by one.
      for (let k = 0; k < count; k++) {
        const r = this.mapPages(asid, iotlb, iovaPage, runs.pages[k], runs.pfn[k], perm);
        if (r) return (runs.error = r), k;
        iovaPage += runs.pages[k];
      }
      return count;
    }
    const added = iotlb.addPageRuns(iovaPage, count, runs.pages, runs.pfn, perm, runs.ids);
    if (path === 'set_map') {
      // Inside a batch the device op is deferred to BATCH_END: only the accounting is per entry.
      let pages = 0;
      for (let k = 0; k < added; k++) pages += runs.pages[k];
      this.counters.iotlbInserts += added;
      this.mm.pinnedVm += pages;
    } else {
      for (let k = 0; k < added; k++) {
        const r = this.attach(asid, iotlb, runs.ids[k], runs.pages[k]);
        if (r) {
          // attach took entry k back; the ones after it were added ahead of
          // the kernel, which never got to them: take them back unseen.
          for (let j = added - 1; j > k; j--) iotlb.removeId(runs.ids[j]);
          runs.error = r;
          return k;
        }
      }
    }
    if (added < count) runs.error = addError(iotlb.batchError);
    return added;
  }

  /** Scratch list of the runs one page_list closes (mapRuns' input). */
  private readonly runs = {
    pages: new Int32Array(PIN_BATCH_PAGES),
    pfn: new Float64Array(PIN_BATCH_PAGES),
    /** Index of the segment that closed the run (where the kernel's walk was). */
    seg: new Int32Array(PIN_BATCH_PAGES),
    ids: new Int32Array(PIN_BATCH_PAGES),
    error: 'EINVAL' as ErrnoName,
  };

  /**
   * vhost_vdpa_va_map: one entry per shared-file VMA piece; private or
   * anonymous pieces are skipped; no VMA at or above uaddr (past the stack)
   * is EINVAL. On failure the
   * pieces mapped so far are unmapped with size (map_iova - iova), which is 0
   * when nothing was mapped: at iova 0 that unmaps the whole address space.
   */
  private vaMap(asid: number, iotlb: RadixIotlb, iova: bigint, size: bigint, uaddr: bigint, perm: number): ErrnoName | null {
    let mapIova = iova;
    let ret: ErrnoName | null = null;
    while (size) {
      const vma = this.mm.findVma(Number(uaddr >> 12n));
      if (!vma && uaddr >= STACK_END) {
        ret = 'EINVAL';
        break;
      }
      // Past the last mapping find_vma still finds the process's stack (private: skipped).
      const vmEnd = vma ? BigInt(vma.endPage) << 12n : STACK_END;
      const mapSize = size < vmEnd - uaddr ? size : vmEnd - uaddr;
      if (vma?.spec.shared) {
        ret = this.mapRange(asid, iotlb, mapIova, mapIova + mapSize - 1n, uaddr, perm);
        if (ret) break;
      }
      size -= mapSize;
      uaddr += mapSize;
      mapIova += mapSize;
    }
    if (ret) this.unmap(asid, iotlb, iova, mapIova - iova);
    return ret;
  }

  /** vhost_vdpa_unmap: per-entry unmap, then one set_map (set_map parents, outside a batch). */
  private unmap(asid: number, iotlb: RadixIotlb, iova: bigint, size: bigint): void {
    // last = iova + size - 1, computed mod 2^64 (size 0 at iova 0: everything).
    const last = (iova + size - 1n) & U64_MAX;
    this.iotlbUnmap(asid, iotlb, iova, last);
    if (this.parent.mapPath === 'set_map' && !this.inBatch) this.parent.setMap(asid, iotlb, this.running);
  }

  /**
   * vhost_vdpa_iotlb_unmap: remove every entry overlapping [first, last] as the
   * interval tree matches it (e.start <= last && first <= e.last, even when
   * last < first after wrap-around); unpin (dirtying writable pages) in PA
   * mode; one dma_unmap / iommu_unmap per entry.
   */
  private iotlbUnmap(asid: number, iotlb: RadixIotlb, first: bigint, last: bigint): void {
    if (last >= first) {
      const f = { page: Number(first >> 12n), off: Number(first & 0xfffn) };
      const l = { page: Number(last >> 12n), off: Number(last & 0xfffn) };
      iotlb.deleteBatches(f.page, f.off, l.page, l.off, (ids, n, xlat) => this.unmapEntries(asid, iotlb, ids, n, xlat));
      return;
    }
    // Wrapped query: only an entry containing both `last` and `first` matches.
    const lp = Number(last >> 12n);
    const lo = Number(last & 0xfffn);
    const id = iotlb.firstId(lp, lo, lp, lo);
    if (!id) return;
    const end = (BigInt(iotlb.lastPage(id)) << 12n) | BigInt(iotlb.lastOff(id));
    if (end < first) return;
    this.ids1[0] = id;
    this.unmapEntries(asid, iotlb, this.ids1, 1, this.noXlat1);
    iotlb.removeId(id);
  }

  private readonly ids1 = new Int32Array(1);
  private readonly noXlat1 = new Int32Array(1);

  /**
   * The per-entry half of vhost_vdpa_iotlb_unmap for a batch of entries
   * about to go: unpin each entry's pages (dirtying writable ones), drop
   * pinned_vm, and one dma_unmap / iommu_unmap per entry. A loop per kind of
   * work over the batch, not a call chain per entry: a 128 GiB 4k guest
   * unmaps 32 M entries per reset. xlat[k] non-zero: entry k is one page
   * whose target and perm the tree's walk read from its leaf (xlatTarget,
   * xlatPerm), so its 32-byte record is not read (1 GiB a reset there).
   */
  private unmapEntries(asid: number, iotlb: RadixIotlb, ids: Int32Array, n: number, xlat: Int32Array): void {
    if (!this.config.useVa) {
      // A one-page entry in a region of one-page folios (4k: every entry of a
      // fragmented guest) is unpinned right here, as unpinFrames would:
      // dirty mark, then the pin. Anything else takes pins.unpinPfnRange.
      let pages = 0;
      let dirtied = 0;
      let single = 0;
      let region: HostRegion | undefined; // its frame range is learnt from the first general unpin
      let base = 0;
      let end = 0;
      let pins: Int32Array | undefined;
      let marks: Uint8Array | undefined;
      for (let k = 0; k < n; k++) {
        const x = xlat[k];
        const id = ids[k];
        // (x - 1) >>> 2 and & 3: xlatTarget and xlatPerm, written out for the hot loop.
        const np = x !== 0 ? 1 : iotlb.lastPage(id) - iotlb.startPage(id) + 1;
        const pfn = x !== 0 ? (x - 1) >>> 2 : iotlb.addrPage(id);
        const dirty = ((x !== 0 ? (x - 1) & 3 : iotlb.perm(id)) & ACCESS_WO) !== 0;
        pages += np;
        if (np === 1 && pfn >= base && pfn < end) {
          const f = pfn - base;
          if (dirty) {
            marks![f] = 1;
            dirtied++;
          }
          pins![f]--;
          single++;
          continue;
        }
        this.pins.unpinPfnRange(pfn, np, dirty);
        if (this.pins.lastUnpinRegion !== region) {
          region = this.pins.lastUnpinRegion!;
          const folios4k = region.folioShift === 0;
          base = folios4k ? region.pfnBase : 0;
          end = folios4k ? base + region.framePages : 0;
          pins = region.pins;
          marks = region.dirty;
        }
      }
      this.counters.pagesDirtied += dirtied;
      this.counters.pagesUnpinned += single;
      this.mm.pinnedVm -= pages;
    }
    const path = this.parent.mapPath;
    if (path === 'dma_map') for (let k = 0; k < n; k++) this.parent.dmaUnmap(asid, iotlb, ids[k]);
    else if (path === 'iommu') for (let k = 0; k < n; k++) this.parent.iommuUnmap(asid, iotlb, ids[k]);
    this.counters.iotlbRemoves += n;
  }
}
