/**
 * The process's memory as vhost-vdpa sees it (struct mm_struct, in brief):
 * VMAs, mm->pinned_vm and RLIMIT_MEMLOCK. Addresses are page numbers.
 */
import { InputError } from '../errors.js';
import { newPinCounters, type PinCounters } from './pin.js';
import type { PinShards } from './pin-shards.js';
import type { PageStates } from './page-states.js';
import { HostRegion, type RegionSpec } from './region.js';

/** First PFN handed out: frames start above 4 GiB of physical space, never at PFN 0. */
const FIRST_PFN = 2 ** 20;
/** Regions start on 1 GiB physical boundaries, so 1 GiB folios are aligned. */
const PFN_ALIGN = 2 ** 18;

export class HostMm {
  /** VMAs sorted by start page. */
  private regions: HostRegion[] = [];
  private nextPfn = FIRST_PFN;
  /** mm->pinned_vm, in pages. */
  pinnedVm = 0;
  /** RLIMIT_MEMLOCK in pages (PFN_DOWN of the byte limit); Infinity = unlimited. */
  memlockPages = Infinity;
  /** Pin counters; the kernel layer swaps in its larger counter object (which has these fields) when a device opens. */
  pinCounters: PinCounters = newPinCounters();
  /** Helper threads that pin large ranges ahead (sharded pinning); none by default. */
  pinShards: PinShards | undefined;

  /**
   * Adds a region; overlapping an existing one is a script error. `frames`
   * shares another region's page states (the same RAM as another mm of the
   * lab sees it), so only the first pin of a page faults.
   */
  mmap(spec: RegionSpec, where = 'mmap', frames?: PageStates): HostRegion {
    if (!(spec.pages >= 1)) throw new InputError(`${where}.size`, 'must be at least one page');
    for (const r of this.regions) {
      if (spec.startPage < r.endPage && r.startPage < spec.startPage + spec.pages) {
        throw new InputError(`${where}.uaddr`, `overlaps the region at page 0x${r.startPage.toString(16)}`);
      }
    }
    const region = new HostRegion(spec, this.nextPfn, undefined, frames);
    this.nextPfn += Math.ceil(region.framePages / PFN_ALIGN) * PFN_ALIGN;
    this.regions.push(region);
    this.regions.sort((a, b) => a.startPage - b.startPage);
    return region;
  }

  /**
   * munmap of [startPage, startPage + pages) and a fresh shared anonymous
   * mmap in its place (QEMU 8.1+'s shadow vrings at each stop and start):
   * nothing is behind those pages any more. Pins must be gone (the IOTLB
   * unmap came first).
   */
  dropPages(startPage: number, pages: number): void {
    for (const { region, idx, n } of this.vmaPieces(startPage, pages)) region.frames.drop(idx, n);
  }

  /**
   * munmap of whole regions covering exactly [startPage, startPage + pages)
   * (QEMU 8.1+'s vhost_svq_stop: each shadow vring area is an mmap of its
   * own). Their pages go with them. Returns why not, or null: the model
   * splits no region and keeps no pins on memory it no longer maps, so a
   * range cutting a region or holding pinned pages is refused.
   */
  munmap(startPage: number, pages: number): string | null {
    const end = startPage + pages;
    const hit = this.regions.filter((r) => r.startPage < end && startPage < r.endPage);
    if (hit.some((r) => r.startPage < startPage || r.endPage > end)) return 'the model unmaps whole regions only (this range cuts one)';
    if (hit.some((r) => r.pins.some((p) => p !== 0))) return 'the range still has pinned pages (the model unmaps only unpinned regions)';
    const gone = new Set(hit);
    this.regions = this.regions.filter((r) => !gone.has(r));
    return null;
  }

  /** find_vma(): the first region ending above `page` (it may start above it). */
  findVma(page: number): HostRegion | undefined {
    for (const r of this.regions) if (r.endPage > page) return r;
    return undefined;
  }

  /**
   * The pieces of [startPage, startPage + pages) that VMAs cover contiguously
   * from startPage, stopping at the first hole (as pin_user_pages does).
   */
  vmaPieces(startPage: number, pages: number): { region: HostRegion; idx: number; n: number }[] {
    const out: { region: HostRegion; idx: number; n: number }[] = [];
    let done = 0;
    while (done < pages) {
      const vma = this.findVma(startPage + done);
      if (!vma || vma.startPage > startPage + done) break;
      const idx = startPage + done - vma.startPage;
      const n = Math.min(vma.pages - idx, pages - done);
      out.push({ region: vma, idx, n });
      done += n;
    }
    return out;
  }

  /** The region that owns global PFN `pfn`. */
  regionOfPfn(pfn: number): HostRegion | undefined {
    for (const r of this.regions) if (pfn >= r.pfnBase && pfn < r.pfnBase + r.framePages) return r;
    return undefined;
  }

  get allRegions(): readonly HostRegion[] {
    return this.regions;
  }

  /** Sum of every folio's pin count in pages (an invariant check: must equal pinnedVm). */
  totalPins(): number {
    let sum = 0;
    for (const r of this.regions) {
      const p = r.pins;
      for (let i = 0; i < p.length; i++) sum += p[i];
    }
    return sum;
  }
}
