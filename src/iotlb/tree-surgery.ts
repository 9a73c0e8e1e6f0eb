/**
 * Tree surgery of the radix IOTLB: putting an entry in every slot its pages
 * touch (pushing a stretch's only entry down a level to make room), taking
 * it out again (collapsing a node left with one entry back into its
 * parent's slot), clearing whole subtrees, and the sorted bucket chains of
 * byte-granular entries sharing a page. Callers hold the write section.
 */
import * as layout from './layout.js';
import { RadixPools } from './pools.js';
import { slotOf } from './radix-view.js';

// Module-local copies of the layout constants and control-block indexes:
// in optimized code V8 (Node 20) reloads an imported binding, or a property
// of an imported object, on every use, but folds a module-local const to its
// value. On the hot paths that was a fifth of a whole-page insert (measured).
const {
  CTL,
  LEVEL_SLOTS,
  LEVEL_SPAN,
  TOP_LEVEL,
} = layout;
const {
  COUNT: CTL_COUNT,
} = CTL;

export class RadixSurgery extends RadixPools {
  /** Puts entry `e` in every slot of `node` its pages [ps, pl] touch. */
  protected insertInto(node: number, level: number, base: number, ps: number, pl: number, e: number): void {
    const span = LEVEL_SPAN[level];
    const i1 = Math.floor((pl - base) / span);
    for (let i = Math.floor((ps - base) / span); i <= i1; i++) {
      const at = node + 1 + i;
      const v = this.slots[at];
      if (v === 0) {
        // Empty stretch: e becomes its only entry, whatever part of it e covers.
        if (level === 0) this.setXlat(node, at, e);
        this.slots[at] = e;
        this.slots[node]++;
        continue;
      }
      if (level === 0) {
        // Two byte-granular entries share this page.
        this.bucketAdd(at, v, e);
        continue;
      }
      const sb = base + i * span;
      const se = sb + span - 1;
      let child: number;
      if (v > 0) {
        // The stretch's only entry must move down a level to make room.
        child = this.allocNode(level - 1);
        this.insertInto(child, level - 1, sb, Math.max(this.startPage(v), sb), Math.min(this.lastPage(v), se), v);
        this.slots[node + 1 + i] = -child;
      } else {
        child = -v;
      }
      this.insertInto(child, level - 1, sb, ps > sb ? ps : sb, pl < se ? pl : se, e);
    }
  }

  /**
   * insertInto for an entry within one page: one iterative descent, from
   * `node` at `level` (the root unless the caller already descended).
   * Returns the level-0 node that took the entry, or -1 if it went higher.
   */
  protected insertOnePage(page: number, e: number, node = 0, level: number = TOP_LEVEL): number {
    for (; ; level--) {
      const at = node + 1 + slotOf(page, level);
      const v = this.slots[at];
      if (v === 0) {
        if (level === 0) this.setXlat(node, at, e);
        this.slots[at] = e;
        this.slots[node]++;
        return level === 0 ? node : -1;
      }
      if (level === 0) {
        this.bucketAdd(at, v, e);
        return node;
      }
      if (v < 0) {
        node = -v;
        continue;
      }
      // Push the stretch's only entry down a level (allocNode may grow the pool).
      const span = LEVEL_SPAN[level];
      const sb = Math.floor(page / span) * span;
      const child = this.allocNode(level - 1);
      this.insertInto(child, level - 1, sb, Math.max(this.startPage(v), sb), Math.min(this.lastPage(v), sb + span - 1), v);
      this.slots[at] = -child;
      node = child;
    }
  }

  /** removeFrom for an entry within one page: descend, clear, collapse upward. */
  protected removeOnePage(page: number, e: number): void {
    const pathNode = this.pathNode;
    const pathAt = this.pathAt;
    let node = 0;
    let level = TOP_LEVEL;
    for (; ; level--) {
      const at = node + 1 + slotOf(page, level);
      pathNode[level] = node;
      pathAt[level] = at;
      const v = this.slots[at];
      if (v === e) {
        this.slots[at] = 0;
        this.slots[node]--;
        break;
      }
      if (!(v < 0)) return; // not in the tree: nothing to do
      if (level === 0) {
        if (!this.bucketRemove(node, at, -v, e)) return;
        break;
      }
      node = -v;
    }
    // The node at `level` changed: collapse it into its parent while possible.
    for (; level < TOP_LEVEL; level++) {
      const child = pathNode[level];
      const only = this.soleEntry(child, level);
      if (only < 0) return;
      this.freeNode(child, level);
      const parentAt = pathAt[level + 1];
      this.slots[parentAt] = only;
      if (only === 0) this.slots[pathNode[level + 1]]--;
    }
  }

  /** Scratch path for removeOnePage: node offset and slot index per level. */
  protected readonly pathNode = new Int32Array(TOP_LEVEL + 1);
  protected readonly pathAt = new Int32Array(TOP_LEVEL + 1);

  /**
   * Removes entry `e` from the slots its pages [ps, pl] touch. Returns true when
   * this node's content changed in a way that may let its parent collapse it.
   */
  protected removeFrom(node: number, level: number, base: number, ps: number, pl: number, e: number): boolean {
    const span = LEVEL_SPAN[level];
    const i1 = Math.floor((pl - base) / span);
    let changed = false;
    for (let i = Math.floor((ps - base) / span); i <= i1; i++) {
      const at = node + 1 + i;
      const v = this.slots[at];
      if (v === e) {
        this.slots[at] = 0;
        this.slots[node]--;
        changed = true;
      } else if (v < 0) {
        if (level === 0) {
          if (this.bucketRemove(node, at, -v, e)) changed = true;
          continue;
        }
        const sb = base + i * span;
        const se = sb + span - 1;
        const child = -v;
        if (!this.removeFrom(child, level - 1, sb, ps > sb ? ps : sb, pl < se ? pl : se, e)) continue;
        const only = this.soleEntry(child, level - 1);
        if (only === 0) {
          this.freeNode(child, level - 1);
          this.slots[at] = 0;
          this.slots[node]--;
          changed = true;
        } else if (only > 0) {
          // One entry left below: it becomes this stretch's only entry again.
          this.freeNode(child, level - 1);
          this.slots[at] = only;
          changed = true;
        }
      }
    }
    return changed;
  }

  /**
   * 0 if the node is empty, the id if one entry (and no child) fills it, else
   * -1. Scans from both ends at once: deleting a mapping in address order
   * empties one end, and the other end answers "two entries left" at once,
   * which keeps an ordered unmap O(1) per entry instead of O(slots).
   */
  protected soleEntry(node: number, level: number): number {
    if (this.slots[node] === 0) return 0;
    let only = 0;
    let lo = node + 1;
    let hi = node + LEVEL_SLOTS[level];
    while (lo <= hi) {
      const a = this.slots[lo++];
      if (a !== 0) {
        if (a < 0 || (only !== 0 && a !== only)) return -1;
        only = a;
      }
      if (lo > hi) break;
      const b = this.slots[hi--];
      if (b !== 0) {
        if (b < 0 || (only !== 0 && b !== only)) return -1;
        only = b;
      }
    }
    return only;
  }

  // ---- buckets: entries sharing one page, sorted by start ----

  protected startsBefore(a: number, b: number): boolean {
    const pa = this.startPage(a);
    const pb = this.startPage(b);
    return pa < pb || (pa === pb && this.startOff(a) < this.startOff(b));
  }

  protected bucketAdd(at: number, v: number, e: number): void {
    if (v > 0) {
      const [a, b] = this.startsBefore(v, e) ? [v, e] : [e, v];
      const second = this.allocBucket(b, 0);
      const head = this.allocBucket(a, second);
      this.slots[at] = -head;
      return;
    }
    const head = -v;
    if (this.startsBefore(e, this.bEntry[head])) {
      this.slots[at] = -this.allocBucket(e, head);
      return;
    }
    let prev = head;
    while (this.bNext[prev] && this.startsBefore(this.bEntry[this.bNext[prev]], e)) prev = this.bNext[prev];
    this.bNext[prev] = this.allocBucket(e, this.bNext[prev]);
  }

  /** Unlinks `e`; with one entry left the slot holds it directly. Returns true if the slot changed kind. */
  protected bucketRemove(node: number, at: number, head: number, e: number): boolean {
    let prev = 0;
    let b = head;
    while (b && this.bEntry[b] !== e) {
      prev = b;
      b = this.bNext[b];
    }
    if (!b) return false;
    const after = this.bNext[b];
    if (prev) this.bNext[prev] = after;
    else head = after;
    this.freeBucket(b);
    if (this.bNext[head] === 0) {
      this.setXlat(node, at, this.bEntry[head]);
      this.slots[at] = this.bEntry[head];
      this.freeBucket(head);
      return true;
    }
    this.slots[at] = -head;
    return false;
  }

  /**
   * Empties every slot of `node` over pages [ps, pl], freeing the entries
   * and nodes found there (every entry touching them lies within them), and
   * collapses a partly cleared child left with one entry, as removeFrom does.
   */
  protected clearIn(node: number, level: number, base: number, ps: number, pl: number): void {
    const span = LEVEL_SPAN[level];
    const i1 = Math.floor((pl - base) / span);
    for (let i = Math.floor((ps - base) / span); i <= i1; i++) {
      const at = node + 1 + i;
      const v = this.slots[at];
      if (v === 0) continue;
      if (v > 0) {
        // Above level 0 the slot's stretch may reach past [ps, pl], and its
        // only entry (a compressed path) may lie outside the pages: it stays.
        // (An entry already dropped here has a freed record: check it first.)
        if (v !== this.lastDropped) {
          if (level > 0 && (this.startPage(v) > pl || this.lastPage(v) < ps)) continue;
          this.dropEntry(v);
        }
      } else if (level === 0) {
        for (let b = -v; b > 0; ) {
          const next = this.bNext[b];
          this.dropEntry(this.bEntry[b]);
          this.freeBucket(b);
          b = next;
        }
      } else {
        const sb = base + i * span;
        const se = sb + span - 1;
        const child = -v;
        this.clearIn(child, level - 1, sb, ps > sb ? ps : sb, pl < se ? pl : se);
        const only = this.soleEntry(child, level - 1);
        if (only < 0) continue;
        this.freeNode(child, level - 1);
        if (only > 0) {
          this.slots[at] = only;
          continue;
        }
      }
      this.slots[at] = 0;
      this.slots[node]--;
    }
  }

  /** Frees entry e once (a multi-slot entry's slots come one after another in a clear). */
  protected dropEntry(e: number): void {
    if (e === this.lastDropped) return;
    this.lastDropped = e;
    this.freeEntry(e);
    this.ctl[CTL_COUNT]--;
  }

  protected lastDropped = 0;

  /** True when [(sp,so), (lp,lo)] reaches from the lowest entry's start to the highest entry's end. */
  protected coversAll(sp: number, so: number, lp: number, lo: number): boolean {
    const lowest = this.edgeEntry(true);
    if (!lowest) return false;
    const highest = this.edgeEntry(false);
    const a = this.startPage(lowest);
    const z = this.lastPage(highest);
    return (sp < a || (sp === a && so <= this.startOff(lowest))) && (lp > z || (lp === z && lo >= this.lastOff(highest)));
  }

  /**
   * The entry with the lowest start (or the highest end): the first (last)
   * non-empty slot at each level leads to it, since a slot holding an id means
   * that entry is the only one touching its stretch. 0 for an empty tree.
   */
  protected edgeEntry(lowest: boolean): number {
    let node = 0;
    for (let level = TOP_LEVEL; ; level--) {
      const n = LEVEL_SLOTS[level];
      let v = 0;
      for (let k = 0; k < n && v === 0; k++) v = this.slots[node + 1 + (lowest ? k : n - 1 - k)];
      if (v >= 0) return v;
      if (level > 0) {
        node = -v;
        continue;
      }
      // A bucket: entries sharing one page, sorted by start (and so by end).
      let b = -v;
      if (!lowest) while (this.bNext[b]) b = this.bNext[b];
      return this.bEntry[b];
    }
  }
}
