/**
 * Physical layout of host memory regions: which PFN backs each page, and so
 * how pages coalesce into physically contiguous runs (what vhost_vdpa_pa_map
 * turns into one IOTLB entry each).
 *
 * A region is cut into chunks (4k, thp and hugetlb-2m: 2 MiB; hugetlb-1g: 1 GiB),
 * and the chunks into groups of k side by side (k = 1 but for large folios
 * laid out in longer runs, below). Group g lives in PFN blocks
 * ((g * stride + offset) mod nGroups) * k onwards of the region's PFN range,
 * with stride != 1, so neighbouring groups are never physically adjacent.
 * Inside a chunk:
 *  - thp / hugetlb-2m / hugetlb-1g: one folio; with `meanRun` above a folio,
 *    k = meanRun / folio pages consecutive folios are physically contiguous
 *    and vhost_vdpa_pa_map makes one run of them (a real THP guest came out
 *    in 6 runs for 1 GiB, a 2 MiB hugetlbfs one in 264: what the buddy
 *    allocator and the pool hand out is often contiguous);
 *  - 4k: runs of seeded geometric length (mean `meanRun` pages), laid out in
 *    the block in REVERSE order, so consecutive runs are never adjacent.
 * Deterministic for a seed, O(1) memory per region, no per-page tables.
 */

export type Backing = '4k' | 'thp' | 'hugetlb-2m' | 'hugetlb-1g';
export const BACKINGS: readonly Backing[] = ['4k', 'thp', 'hugetlb-2m', 'hugetlb-1g'];

/** Pages per chunk (and folio) for each backing. */
export const CHUNK_PAGES: Record<Backing, number> = { '4k': 512, thp: 512, 'hugetlb-2m': 512, 'hugetlb-1g': 262_144 };

/** log2 of the pages in one folio: what a pin count and a dirty flag cover. */
export const FOLIO_SHIFT: Record<Backing, number> = { '4k': 0, thp: 9, 'hugetlb-2m': 9, 'hugetlb-1g': 18 };

/** hugetlbfs-backed (MAP_HUGETLB or a hugetlbfs file): huge pages from the reserved pool, never split. */
export function isHugetlb(b: Backing): boolean {
  return b === 'hugetlb-2m' || b === 'hugetlb-1g';
}

/** Bytes of one huge page of a hugetlb backing (what the host or VM must have reserved). */
export const HUGETLB_PAGE_BYTES: Partial<Record<Backing, number>> = { 'hugetlb-2m': 2 ** 21, 'hugetlb-1g': 2 ** 30 };

/** Default mean run of a fragmented 4k region, in pages. */
export const defaultMeanRunPages = 1;

export interface LayoutSpec {
  pages: number;
  backing: Backing;
  seed: number;
  /**
   * Mean physically contiguous run, pages: 4k, >= 1 and <= 512 (inside a
   * chunk); large folios, a whole number of folios side by side (1 folio:
   * no two folios adjacent, the default).
   */
  meanRun?: number;
}

function mix32(a: number, b: number): number {
  // A small integer hash (from MurmurHash3's finaliser) to seed per-chunk streams.
  let h = (a ^ Math.imul(b, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export class RegionLayout {
  readonly chunkPages: number;
  readonly nChunks: number;
  /** Chunks per group, physically side by side (large folios in runs of several; 1 otherwise). */
  private readonly k: number;
  private readonly nGroups: number;
  private readonly stride: number;
  private readonly offset: number;
  private readonly meanRun: number;
  private readonly descending: boolean = false;
  // Cache of the last 4k chunk's runs: start offsets in HVA order (+ sentinel).
  private cachedChunk = -1;
  private runStarts = new Int32Array(CHUNK_PAGES['4k'] + 1);
  private runCount = 0;

  constructor(readonly spec: LayoutSpec) {
    this.chunkPages = CHUNK_PAGES[spec.backing];
    this.nChunks = Math.max(1, Math.ceil(spec.pages / this.chunkPages));
    this.meanRun = Math.min(this.chunkPages, Math.max(1, spec.meanRun ?? defaultMeanRunPages));
    this.k = spec.backing === '4k' ? 1 : Math.min(this.nChunks, Math.max(1, Math.round((spec.meanRun ?? 1) / this.chunkPages)));
    this.nGroups = Math.ceil(this.nChunks / this.k);
    const n = this.nGroups;
    if (n <= 2) {
      // Descending: chunk 0 above chunk 1, never physically ascending-adjacent.
      this.stride = 1;
      this.offset = n - 1;
      this.descending = true;
    } else {
      // Any stride in [2, n-1] coprime with n is a permutation; n-1 always is,
      // so the search ends. Stride 1 would make neighbours contiguous.
      let stride = 2 + (mix32(spec.seed, 1) % (n - 2));
      while (gcd(stride, n) !== 1) stride = stride + 1 >= n ? n - 1 : stride + 1;
      this.stride = stride;
      this.offset = mix32(spec.seed, 2) % n;
    }
  }

  /** Every page its own run, frames descending through each chunk (4k, mean run 1). */
  get singlePageRuns(): boolean {
    return this.spec.backing === '4k' && this.meanRun === 1;
  }

  /** PFN-space size of the region (whole groups of chunks). */
  get framePages(): number {
    return this.nGroups * this.k * this.chunkPages;
  }

  /** Block (in chunk units) that chunk c occupies in the region's PFN range. */
  private block(c: number): number {
    // frameOf runs per run of pages: one chunk per group (every 4k region, and the default) takes no division.
    if (this.k === 1) return this.descending ? this.offset - c : (c * this.stride + this.offset) % this.nGroups;
    const g = Math.floor(c / this.k);
    const at = c - g * this.k;
    if (this.descending) return (this.offset - g) * this.k + at;
    // (g * stride + offset) mod n, exact for n < 2^26 (1 TiB at 2 MiB chunks is 2^19).
    return ((g * this.stride + this.offset) % this.nGroups) * this.k + at;
  }

  /**
   * The frame (region-relative PFN) of page `idx`, and how many pages from
   * idx on stay physically contiguous (to the end of its run).
   * Returns frame; `runLeft` is set on the object to avoid allocation.
   */
  runLeft = 0;
  frameOf(idx: number): number {
    const cp = this.chunkPages;
    const c = Math.floor(idx / cp);
    const o = idx - c * cp;
    const base = this.block(c) * cp;
    if (this.spec.backing !== '4k' || this.meanRun >= cp) {
      this.runLeft = cp - o;
      return base + o;
    }
    if (this.meanRun === 1) {
      // Every page is its own run, laid out in reverse (what computeRuns gives for mean 1).
      this.runLeft = 1;
      return base + cp - 1 - o;
    }
    if (c !== this.cachedChunk) this.computeRuns(c);
    const starts = this.runStarts;
    // Sequential walks (pinning) ask for the next run: O(1) without a search.
    const r = this.lastRun;
    if (r + 1 < this.runCount + 1 && starts[r] <= o && o < starts[r + 1]) return this.place(base, r, o);
    if (r + 2 <= this.runCount && starts[r + 1] <= o && o < starts[r + 2]) return this.place(base, r + 1, o);
    // Binary search the run containing o.
    let lo = 0;
    let hi = this.runCount - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return this.place(base, lo, o);
  }

  private lastRun = 0;

  private place(base: number, run: number, o: number): number {
    this.lastRun = run;
    const h = this.runStarts[run];
    const end = this.runStarts[run + 1];
    this.runLeft = end - o;
    // Reverse placement: the run [h, end) sits at block offset chunkPages - end.
    return base + (this.chunkPages - end) + (o - h);
  }

  private computeRuns(c: number): void {
    const cp = this.chunkPages;
    let x = mix32(this.spec.seed, c + 3) || 1;
    // Geometric run lengths with mean m: P(stop after each page) = 1/m.
    const pStop = 1 / this.meanRun;
    let n = 0;
    let at = 0;
    while (at < cp) {
      this.runStarts[n++] = at;
      let len = 1;
      for (;;) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        if ((x >>> 0) / 2 ** 32 < pStop || at + len >= cp) break;
        len++;
      }
      at += len;
    }
    this.runStarts[n] = cp;
    this.runCount = n;
    this.cachedChunk = c;
    this.lastRun = 0;
  }
}
