/**
 * What /proc/PID/pagemap shows of a range of the model's address space:
 * how many physically contiguous runs back its present pages, and how many
 * pages are present. The same reading as the probe's `layout` op
 * (native/guest-memory.c guest_physical_runs): an absent page, or a page
 * whose frame does not follow the last one, starts a new run; a page backed
 * by the shared zero page is present but never continues a run.
 */
import type { HostMm } from './mm.js';

export interface PhysicalRuns {
  runs: number;
  present: number;
}

export function physicalRuns(mm: HostMm, startPage: number, pages: number): PhysicalRuns {
  const end = startPage + pages;
  let runs = 0;
  let present = 0;
  let lastPage = -2;
  let lastPfn = -2;
  const regions = [...mm.allRegions].filter((r) => r.startPage < end && r.endPage > startPage).sort((a, b) => a.startPage - b.startPage);
  for (const r of regions) {
    const from = Math.max(startPage, r.startPage) - r.startPage;
    const to = Math.min(end, r.endPage) - r.startPage;
    for (const [s, e, state] of r.frames.presentSegments(from, to)) {
      present += e - s;
      if (state === 'zero') {
        // Every zero-page mapping reads the one zero frame: each page its own run.
        runs += e - s;
        lastPage = -2;
        continue;
      }
      for (let idx = s; idx < e; ) {
        const frame = r.layout.frameOf(idx);
        const len = Math.min(r.layout.runLeft, e - idx);
        const pfn = r.pfnBase + frame;
        if (!(r.startPage + idx === lastPage + 1 && pfn === lastPfn + 1)) runs++;
        lastPage = r.startPage + idx + len - 1;
        lastPfn = pfn + len - 1;
        idx += len;
      }
    }
  }
  return { runs, present };
}
