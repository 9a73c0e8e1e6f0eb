/** Host side: guest RAM backing, page frames, pins, memlock. */
export { BACKINGS, CHUNK_PAGES, FOLIO_SHIFT, HUGETLB_PAGE_BYTES, isHugetlb, RegionLayout, defaultMeanRunPages } from './backing.js';
export type { Backing, LayoutSpec } from './backing.js';
export { HostRegion } from './region.js';
export type { RegionSpec } from './region.js';
export { PageStates } from './page-states.js';
export type { Faulted, PageState, RegionKind, ZeroPageRules } from './page-states.js';
export { HostMm } from './mm.js';
export { physicalRuns } from './physical-runs.js';
export type { PhysicalRuns } from './physical-runs.js';
export { pinFrames, unpinFrames, pinPages, unpinPages, newPinCounters } from './pin.js';
export type { PinCounters } from './pin.js';
export { PinShards } from './pin-shards.js';
export type { RegionShare } from './region.js';
export { gib, HOST_MEMORY_SHARE, hostMemoryLimitBytes, MAX_FOLIOS_PER_REGION, MAX_REGION_BYTES, mmapProblem, regionProblem, regionTableBytes } from './memory-limit.js';
