/**
 * What each page of a region is backed by, as far as pinning can tell, and
 * the page faults a long-term pin takes on its way (mm/gup.c:
 * __get_user_pages -> faultin_page -> handle_mm_fault). Guest RAM that QEMU
 * did not preallocate (memory backends' prealloc=off, the default) starts
 * with nothing behind it.
 *
 * - `none`: no page. A write pin (vhost maps with VHOST_ACCESS_WO) faults a
 *   zeroed page in: one fault per 4 KiB page, or one per large folio where
 *   the VMA has a whole aligned one (a THP, 2 MiB; hugetlb always).
 * - `zero`: the shared zero page, mapped by a read fault (a read-only pin of
 *   private anonymous memory; a whole huge zero page in a THP-able folio).
 *   A later write pin breaks COW page by page (the huge zero PMD is split
 *   first): one fault and one zeroed page each.
 * - `ro`: a page of its own behind a read-only PTE. From v6.2 ("mm/gup:
 *   reliable R/O long-term pinning in COW mappings") a read-only long-term
 *   pin will not pin the shared zero page: it unshares it, one more fault
 *   and a fresh page per 4 KiB, and leaves the PTE read-only, so a later
 *   write pin still takes one fault a page (no zeroing: the page is reused).
 *   Private hugetlb read faults also land here (hugetlb_no_page maps private
 *   pages read-only), a folio at a time.
 * - `rw`: a writable page of its own: pins fault nothing.
 * Shared mappings (memfd) have no zero page: any first pin faults a page in
 * and a writable PTE with it. Unpinning changes nothing: frames stay.
 *
 * From v6.13 ("mm: allocate THP on hugezeropage wp-fault") a write or unshare
 * fault on a huge zero PMD maps a fresh THP instead of splitting the PMD: one
 * fault per 2 MiB folio, all of it zeroed and writable (map_anon_folio_pmd
 * makes the PMD writable for a writable VMA, even for an unshare), so a later
 * write pin faults nothing. Pages outside whole folios keep the 4 KiB rules.
 *
 * Confirmed fault for fault on Debian 6.1.192, 6.12.117 and 7.2.13
 * (workloads/sessions/first-touch-faults.jsonl, read-only-first-touch.jsonl).
 *
 * Kept as sorted disjoint page ranges with a state, not a table: QEMU pins
 * sections in address order, so a touch mostly extends the last range, and
 * a 1 TiB 4k guest would otherwise need a table of 268 M entries.
 */
export type PageState = 'zero' | 'ro' | 'rw';

/** The fault rules that changed between kernel versions (versions.ts: roPinUnshare, thpOnHugeZeroWp). */
export interface ZeroPageRules {
  /** v6.2+: a read-only long-term pin unshares the zero page instead of pinning it. */
  unshareZero: boolean;
  /** v6.13+: a write or unshare fault on a huge zero PMD maps a whole writable THP. */
  thpOnHugeZeroWp: boolean;
}

export interface Faulted {
  /** handle_mm_fault calls: per large folio or per 4 KiB page, as above. */
  folios: number;
  /** 4 KiB pages those faults allocated and zeroed. */
  pages: number;
}

export interface RegionKind {
  pages: number;
  /** log2(pages per folio): 0 (4k), 9 (thp, hugetlb-2m), 18 (hugetlb-1g). */
  folioShift: number;
  hugetlb: boolean;
  shared: boolean;
  /** The region's first page in the address space: where its folios can start. */
  startPage: number;
}

export class PageStates {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly states: PageState[] = [];
  private readonly per: number;
  /** [bodyStart, bodyEnd): the pages in whole, aligned large folios. */
  private readonly bodyStart: number;
  private readonly bodyEnd: number;

  constructor(
    private readonly kind: RegionKind,
    populated: boolean,
  ) {
    this.per = 2 ** kind.folioShift;
    const head = (this.per - (kind.startPage % this.per)) % this.per;
    const bodyEnd = Math.floor((kind.startPage + kind.pages) / this.per) * this.per - kind.startPage;
    [this.bodyStart, this.bodyEnd] = this.per > 1 && bodyEnd > head ? [head, bodyEnd] : [0, 0];
    if (populated) this.assign(0, kind.pages, 'rw');
  }

  /** Nothing is behind any page yet. */
  get empty(): boolean {
    return this.starts.length === 0;
  }

  /**
   * Pages [idx, idx + n) lose what was behind them: munmap of a shared
   * anonymous mapping (its shmem object goes with its last mapping) and a
   * fresh mmap at the same place, so the next pin faults them in again.
   */
  drop(idx: number, n: number): void {
    const end = Math.min(this.kind.pages, idx + n);
    if (end <= idx) return;
    // Cut [idx, end) out of every range: assign it one state, then remove that range.
    this.assign(idx, end, 'rw');
    const i = this.firstEndingAbove(idx);
    const [s, e] = [this.starts[i], this.ends[i]];
    this.starts.splice(i, 1);
    this.ends.splice(i, 1);
    this.states.splice(i, 1);
    // A neighbour that was 'rw' merged into it: give back its parts outside [idx, end).
    if (s < idx) this.assign(s, idx, 'rw');
    if (e > end) this.assign(end, e, 'rw');
  }

  /** Every page is writable and its own: no pin can fault. */
  private get allWritable(): boolean {
    return this.starts.length === 1 && this.starts[0] === 0 && this.ends[0] === this.kind.pages && this.states[0] === 'rw';
  }

  /**
   * A long-term pin of pages [idx, idx + n): FOLL_WRITE when `write`, under
   * the kernel's `rules`. Returns the faults it took.
   */
  pin(idx: number, n: number, write: boolean, rules: ZeroPageRules): Faulted {
    const unshareZero = rules.unshareZero;
    const out: Faulted = { folios: 0, pages: 0 };
    if (n <= 0 || this.allWritable) return out;
    const end = Math.min(this.kind.pages, idx + n);
    for (const [s, e, state] of this.segments(idx, end)) {
      if (state === 'rw') continue;
      if (state === 'ro') {
        // A hugetlb PTE maps the whole huge page: one write fault makes all of it writable.
        if (write) this.kind.hugetlb ? this.fault(out, ...this.roundToFolios(s, e), 0, 'rw', true) : this.fault(out, s, e, 0, 'rw', false);
        continue;
      }
      if (state === 'zero') {
        this.breakZero(out, s, e, write, rules);
        continue;
      }
      this.faultIn(out, s, e, write, rules);
    }
    return out;
  }

  /**
   * A write pin (COW) or, under v6.2's rule, a read-only pin (unshare) of
   * zero pages [s, e): a page of its own per 4 KiB, read-only for an
   * unshare; from v6.13, inside whole folios, a writable THP per folio.
   */
  private breakZero(out: Faulted, s: number, e: number, write: boolean, rules: ZeroPageRules): void {
    if (!write && !rules.unshareZero) return;
    const state: PageState = write ? 'rw' : 'ro';
    const lo = Math.max(s, this.bodyStart);
    const hi = Math.min(e, this.bodyEnd);
    if (!rules.thpOnHugeZeroWp || this.kind.hugetlb || this.kind.shared || lo >= hi) {
      this.fault(out, s, e, e - s, state, false);
      return;
    }
    if (s < lo) this.fault(out, s, lo, lo - s, state, false);
    const [a, b] = this.roundToFolios(lo, hi);
    this.fault(out, a, b, b - a, 'rw', true);
    if (hi < e) this.fault(out, hi, e, e - hi, state, false);
  }

  /** First touch of [s, e), which has nothing behind it. */
  private faultIn(out: Faulted, s: number, e: number, write: boolean, rules: ZeroPageRules): void {
    // Large folios come from hugetlb, or from THP in private anonymous memory (shmem THP is off by default).
    const large = this.kind.hugetlb || !this.kind.shared;
    const [a, b] = large ? this.roundToFolios(s, e) : [s, e];
    const zeroed = b - a;
    if (this.kind.shared || this.kind.hugetlb) {
      // No zero page: a page (or huge page) of its own, writable unless a private hugetlb read fault.
      this.fault(out, a, b, zeroed, this.kind.hugetlb && !this.kind.shared && !write ? 'ro' : 'rw', this.kind.hugetlb);
      return;
    }
    if (write) {
      this.fault(out, a, b, zeroed, 'rw', true);
      return;
    }
    // A read fault maps the (huge) zero page; v6.2+ then unshares the pinned pages.
    this.fault(out, a, b, 0, 'zero', true);
    if (rules.unshareZero) this.breakZero(out, s, e, false, rules);
  }

  /** Counts the faults over [a, b) (per folio where `byFolio` and inside the aligned body) and sets its state. */
  private fault(out: Faulted, a: number, b: number, zeroed: number, state: PageState, byFolio: boolean): void {
    const inBody = byFolio ? Math.max(0, Math.min(b, this.bodyEnd) - Math.max(a, this.bodyStart)) : 0;
    out.folios += Math.ceil(inBody / this.per) + (b - a - inBody);
    out.pages += zeroed;
    this.assign(a, b, state);
  }

  /** [s, e) widened to whole folios where it lies in the aligned body. */
  private roundToFolios(s: number, e: number): [number, number] {
    const { bodyStart: lo, bodyEnd: hi, per } = this;
    const a = s >= lo && s < hi ? lo + Math.floor((s - lo) / per) * per : s;
    const b = e > lo && e < hi ? lo + Math.ceil((e - lo) / per) * per : e;
    return [a, b];
  }

  /** Index of the first range ending above `page` (binary search: the ranges are sorted and disjoint). */
  private firstEndingAbove(page: number): number {
    const ends = this.ends;
    let lo = 0;
    let hi = ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ends[mid] <= page) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The pieces of [a, b) that have something behind them (what pagemap shows present), with their state. */
  presentSegments(a: number, b: number): [number, number, PageState][] {
    return this.segments(a, b).filter((x): x is [number, number, PageState] => x[2] !== null);
  }

  /** [s, e, state] pieces covering [a, b); null: nothing behind those pages. */
  private segments(a: number, b: number): [number, number, PageState | null][] {
    const out: [number, number, PageState | null][] = [];
    let at = a;
    for (let i = this.firstEndingAbove(a); i < this.starts.length && at < b; i++) {
      if (this.starts[i] >= b) break;
      if (this.starts[i] > at) out.push([at, this.starts[i], null]);
      const stop = Math.min(b, this.ends[i]);
      out.push([at > this.starts[i] ? at : this.starts[i], stop, this.states[i]]);
      at = stop;
    }
    if (at < b) out.push([at, b, null]);
    return out;
  }

  /**
   * Sets [a, b) to `state`: only the ranges it overlaps or touches are
   * replaced (by at most three: a head cut before a, [a, b) itself, a tail
   * past b, equal neighbours merged), so scattered pins that leave many
   * ranges cost a search and a splice each, not a rebuild of every range.
   */
  private assign(a: number, b: number, state: PageState): void {
    const { starts, ends, states } = this;
    let i = this.firstEndingAbove(a);
    if (i > 0 && ends[i - 1] === a) i--; // touches a: may merge
    let j = i;
    while (j < starts.length && starts[j] <= b) j++; // overlaps [a, b) or starts at b: may merge
    const s: number[] = [];
    const e: number[] = [];
    const st: PageState[] = [];
    const push = (x: number, y: number, v: PageState) => {
      if (x >= y) return;
      const last = s.length - 1;
      if (last >= 0 && e[last] === x && st[last] === v) e[last] = y;
      else s.push(x), e.push(y), st.push(v);
    };
    if (i < j) push(starts[i], Math.min(ends[i], a), states[i]);
    push(a, b, state);
    if (i < j) push(Math.max(starts[j - 1], b), ends[j - 1], states[j - 1]);
    starts.splice(i, j - i, ...s);
    ends.splice(i, j - i, ...e);
    states.splice(i, j - i, ...st);
  }
}
