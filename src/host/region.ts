/**
 * A host virtual memory region (what mmap gives QEMU for guest RAM), with its
 * page frames: a pin count and a dirty flag per 4 KiB frame, in
 * SharedArrayBuffers so worker threads can shard pinning over one table.
 */
import { RegionLayout, type Backing } from './backing.js';

export interface RegionSpec {
  /** First page of the region in the process address space (uaddr >> 12). */
  startPage: number;
  pages: number;
  backing: Backing;
  seed: number;
  /** Shared file mapping (memfd/hugetlbfs): VA-mode parents can map it. */
  shared: boolean;
  /** 4k backing: mean physically contiguous run in pages. */
  meanRun?: number;
}

export class HostRegion {
  readonly layout: RegionLayout;
  /** pin_user_pages count per frame (FOLL_PIN: one per pin). */
  readonly pins: Int32Array;
  /** set_page_dirty_lock marks. */
  readonly dirty: Uint8Array;

  constructor(
    readonly spec: RegionSpec,
    /** Global PFN of the region's frame 0. */
    readonly pfnBase: number,
  ) {
    this.layout = new RegionLayout({ pages: spec.pages, backing: spec.backing, seed: spec.seed, meanRun: spec.meanRun });
    const frames = this.layout.framePages;
    // Zero-filled SABs are not committed until touched: a 1 TiB guest costs
    // RSS only for the frames it pins.
    this.pins = new Int32Array(new SharedArrayBuffer(frames * 4));
    this.dirty = new Uint8Array(new SharedArrayBuffer(frames));
  }

  get startPage(): number {
    return this.spec.startPage;
  }
  get pages(): number {
    return this.spec.pages;
  }
  /** One past the last page. */
  get endPage(): number {
    return this.spec.startPage + this.spec.pages;
  }
  get framePages(): number {
    return this.layout.framePages;
  }
}
