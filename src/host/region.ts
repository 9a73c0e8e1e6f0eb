/**
 * A host virtual memory region (what mmap gives QEMU for guest RAM), with its
 * page frames. Pin counts and dirty flags live per FOLIO, as in the kernel:
 * a 4k region has one-page folios (a count per frame); a THP region 2 MiB
 * folios (as a hugetlb-2m region) and a hugetlb-1g region 1 GiB folios, whose count is the sum of the
 * pins of their pages (folio refcount in pin units) and whose dirty flag is
 * the folio's. Per-page semantics hold: every pinned or unpinned page still
 * costs a step (pin.ts). Tables are SharedArrayBuffers so other workers can
 * read them.
 */
import { FOLIO_SHIFT, isHugetlb, RegionLayout, type Backing } from './backing.js';
import { PageStates } from './page-states.js';

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
  /**
   * Every page has a frame from the start (QEMU's prealloc=on, or a script's
   * populate). Absent: true, as the probe's mmap populates by default; the
   * VMM passes its guest's prealloc (false unless asked, as in QEMU).
   */
  populated?: boolean;
}

export interface RegionShare {
  spec: RegionSpec;
  pfnBase: number;
  pins: SharedArrayBuffer;
  dirty: SharedArrayBuffer;
}

export class HostRegion {
  readonly layout: RegionLayout;
  /** log2(pages per folio): 0 (4k), 9 (thp, hugetlb-2m), 18 (hugetlb-1g). */
  readonly folioShift: number;
  /** Pins per folio, counted in pages (FOLL_PIN: one per page per pin). */
  readonly pins: Int32Array;
  /** Folio dirty flags (set_page_dirty_lock dirties the whole folio). */
  readonly dirty: Uint8Array;
  /** What is behind each page (nothing, the zero page, a page of its own): what a pin faults. Main thread only. */
  readonly frames: PageStates;

  constructor(
    readonly spec: RegionSpec,
    /** Global PFN of the region's frame 0. */
    readonly pfnBase: number,
    /** Another thread's view of an existing region: its tables, shared. */
    tables?: { pins: SharedArrayBuffer; dirty: SharedArrayBuffer },
    /** The page states of the same memory seen through another mm (one QEMU, several replayed fds). */
    frames?: PageStates,
  ) {
    this.layout = new RegionLayout({ pages: spec.pages, backing: spec.backing, seed: spec.seed, meanRun: spec.meanRun });
    this.folioShift = FOLIO_SHIFT[spec.backing];
    const folios = this.layout.framePages / 2 ** this.folioShift;
    // Zero-filled SABs are not committed until touched: a 4k guest costs RSS
    // only for the frames it pins; a 1 TiB THP guest needs 2 MiB of table.
    this.pins = new Int32Array(tables?.pins ?? new SharedArrayBuffer(folios * 4));
    this.dirty = new Uint8Array(tables?.dirty ?? new SharedArrayBuffer(folios));
    const kind = { pages: spec.pages, folioShift: this.folioShift, hugetlb: isHugetlb(spec.backing), shared: spec.shared, startPage: spec.startPage };
    this.frames = frames ?? new PageStates(kind, spec.populated ?? true);
  }

  /** What another thread needs to rebuild this region over the same tables. */
  describe(): RegionShare {
    return { spec: this.spec, pfnBase: this.pfnBase, pins: this.pins.buffer as SharedArrayBuffer, dirty: this.dirty.buffer as SharedArrayBuffer };
  }

  static fromShare(d: RegionShare): HostRegion {
    return new HostRegion(d.spec, d.pfnBase, { pins: d.pins, dirty: d.dirty });
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
  get folios(): number {
    return this.pins.length;
  }
  /** Pins held on frame `f`'s folio (in pages). */
  folioPins(frame: number): number {
    return this.pins[frame >>> this.folioShift];
  }
}
