/**
 * vhost_vdpa_iotlb_unmap (drivers/vhost/vdpa.c): the per-entry half of every
 * unmap (INVALIDATE, a map's error path, release). Each entry overlapping the
 * range goes: its pages unpinned (writable ones dirtied) in PA mode,
 * pinned_vm dropped, and one dma_unmap / iommu_unmap per entry; set_map
 * parents get their one set_map from the caller (vhost_vdpa_unmap).
 */
import type { RadixIotlb } from '../iotlb/index.js';
import type { HostMm, HostRegion } from '../host/index.js';
import type { KernelCounters } from './counters.js';
import type { UserPagePins } from './pin-user-pages.js';
import type { Parent } from './parents/index.js';
import { VHOST_ACCESS_WO } from './uapi.js';

/** VHOST_ACCESS_WO as a module-local const: V8 folds it, not an imported binding, in the per-entry unmap loop. */
const ACCESS_WO = VHOST_ACCESS_WO;

export class IotlbUnmapper {
  constructor(
    private readonly parent: Parent,
    /** VA mode (use_va): entries hold user addresses, nothing was pinned. */
    private readonly useVa: boolean,
    private readonly mm: HostMm,
    private readonly counters: KernelCounters,
    private readonly pins: UserPagePins,
  ) {}

  /**
   * vhost_vdpa_iotlb_unmap: remove every entry overlapping [first, last] as the
   * interval tree matches it (e.start <= last && first <= e.last, even when
   * last < first after wrap-around); unpin (dirtying writable pages) in PA
   * mode; one dma_unmap / iommu_unmap per entry.
   */
  iotlbUnmap(asid: number, iotlb: RadixIotlb, first: bigint, last: bigint): void {
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
    if (!this.useVa) {
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
