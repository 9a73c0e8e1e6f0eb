/**
 * Tree surgery of the radix IOTLB: putting an entry in every slot its pages
 * touch (pushing a stretch's only entry down a level to make room), taking
 * it out again (collapsing a node left with one entry back into its
 * parent's slot), clearing whole subtrees, and the sorted bucket chains of
 * byte-granular entries sharing a page. Callers hold the write section.
 */
import * as layout from './layout.js';
import { allocBucket, allocNode, freeBucket, freeEntry, freeNode, setXlat } from './pools.js';
import { lastOff, lastPage, slotOf, startOff, startPage, type Tree } from './tree.js';

// Module-local copies of the layout constants and control-block indexes (tree.ts on why).
const {
  CTL,
  LEVEL_SLOTS,
  LEVEL_SPAN,
  TOP_LEVEL,
} = layout;
const {
  COUNT: CTL_COUNT,
} = CTL;

/** Puts entry `e` in every slot of `node` its pages [ps, pl] touch. */
export function insertInto(t: Tree, node: number, level: number, base: number, ps: number, pl: number, e: number): void {
  const span = LEVEL_SPAN[level];
  const i1 = Math.floor((pl - base) / span);
  for (let i = Math.floor((ps - base) / span); i <= i1; i++) {
    const at = node + 1 + i;
    const v = t.slots[at];
    if (v === 0) {
      // Empty stretch: e becomes its only entry, whatever part of it e covers.
      if (level === 0) setXlat(t, node, at, e);
      t.slots[at] = e;
      t.slots[node]++;
      continue;
    }
    if (level === 0) {
      // Two byte-granular entries share this page.
      bucketAdd(t, at, v, e);
      continue;
    }
    const sb = base + i * span;
    const se = sb + span - 1;
    let child: number;
    if (v > 0) {
      // The stretch's only entry must move down a level to make room.
      child = allocNode(t, level - 1);
      insertInto(t, child, level - 1, sb, Math.max(startPage(t, v), sb), Math.min(lastPage(t, v), se), v);
      t.slots[node + 1 + i] = -child;
    } else {
      child = -v;
    }
    insertInto(t, child, level - 1, sb, ps > sb ? ps : sb, pl < se ? pl : se, e);
  }
}

/**
 * insertInto for an entry within one page: one iterative descent, from
 * `node` at `level` (the root unless the caller already descended).
 * Returns the level-0 node that took the entry, or -1 if it went higher.
 */
export function insertOnePage(t: Tree, page: number, e: number, node = 0, level: number = TOP_LEVEL): number {
  for (; ; level--) {
    const at = node + 1 + slotOf(page, level);
    const v = t.slots[at];
    if (v === 0) {
      if (level === 0) setXlat(t, node, at, e);
      t.slots[at] = e;
      t.slots[node]++;
      return level === 0 ? node : -1;
    }
    if (level === 0) {
      bucketAdd(t, at, v, e);
      return node;
    }
    if (v < 0) {
      node = -v;
      continue;
    }
    // Push the stretch's only entry down a level (allocNode may grow the pool).
    const span = LEVEL_SPAN[level];
    const sb = Math.floor(page / span) * span;
    const child = allocNode(t, level - 1);
    insertInto(t, child, level - 1, sb, Math.max(startPage(t, v), sb), Math.min(lastPage(t, v), sb + span - 1), v);
    t.slots[at] = -child;
    node = child;
  }
}

/** removeFrom for an entry within one page: descend, clear, collapse upward. */
export function removeOnePage(t: Tree, page: number, e: number): void {
  const pathNode = t.pathNode;
  const pathAt = t.pathAt;
  let node = 0;
  let level = TOP_LEVEL;
  for (; ; level--) {
    const at = node + 1 + slotOf(page, level);
    pathNode[level] = node;
    pathAt[level] = at;
    const v = t.slots[at];
    if (v === e) {
      t.slots[at] = 0;
      t.slots[node]--;
      break;
    }
    if (!(v < 0)) return; // not in the tree: nothing to do
    if (level === 0) {
      if (!bucketRemove(t, node, at, -v, e)) return;
      break;
    }
    node = -v;
  }
  // The node at `level` changed: collapse it into its parent while possible.
  for (; level < TOP_LEVEL; level++) {
    const child = pathNode[level];
    const only = soleEntry(t, child, level);
    if (only < 0) return;
    freeNode(t, child, level);
    const parentAt = pathAt[level + 1];
    t.slots[parentAt] = only;
    if (only === 0) t.slots[pathNode[level + 1]]--;
  }
}

/**
 * Removes entry `e` from the slots its pages [ps, pl] touch. Returns true when
 * this node's content changed in a way that may let its parent collapse it.
 */
export function removeFrom(t: Tree, node: number, level: number, base: number, ps: number, pl: number, e: number): boolean {
  const span = LEVEL_SPAN[level];
  const i1 = Math.floor((pl - base) / span);
  let changed = false;
  for (let i = Math.floor((ps - base) / span); i <= i1; i++) {
    const at = node + 1 + i;
    const v = t.slots[at];
    if (v === e) {
      t.slots[at] = 0;
      t.slots[node]--;
      changed = true;
    } else if (v < 0) {
      if (level === 0) {
        if (bucketRemove(t, node, at, -v, e)) changed = true;
        continue;
      }
      const sb = base + i * span;
      const se = sb + span - 1;
      const child = -v;
      if (!removeFrom(t, child, level - 1, sb, ps > sb ? ps : sb, pl < se ? pl : se, e)) continue;
      const only = soleEntry(t, child, level - 1);
      if (only === 0) {
        freeNode(t, child, level - 1);
        t.slots[at] = 0;
        t.slots[node]--;
        changed = true;
      } else if (only > 0) {
        // One entry left below: it becomes this stretch's only entry again.
        freeNode(t, child, level - 1);
        t.slots[at] = only;
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
export function soleEntry(t: Tree, node: number, level: number): number {
  if (t.slots[node] === 0) return 0;
  let only = 0;
  let lo = node + 1;
  let hi = node + LEVEL_SLOTS[level];
  while (lo <= hi) {
    const a = t.slots[lo++];
    if (a !== 0) {
      if (a < 0 || (only !== 0 && a !== only)) return -1;
      only = a;
    }
    if (lo > hi) break;
    const b = t.slots[hi--];
    if (b !== 0) {
      if (b < 0 || (only !== 0 && b !== only)) return -1;
      only = b;
    }
  }
  return only;
}

// ---- buckets: entries sharing one page, sorted by start ----

export function startsBefore(t: Tree, a: number, b: number): boolean {
  const pa = startPage(t, a);
  const pb = startPage(t, b);
  return pa < pb || (pa === pb && startOff(t, a) < startOff(t, b));
}

export function bucketAdd(t: Tree, at: number, v: number, e: number): void {
  if (v > 0) {
    const [a, b] = startsBefore(t, v, e) ? [v, e] : [e, v];
    const second = allocBucket(t, b, 0);
    const head = allocBucket(t, a, second);
    t.slots[at] = -head;
    return;
  }
  const head = -v;
  if (startsBefore(t, e, t.bEntry[head])) {
    t.slots[at] = -allocBucket(t, e, head);
    return;
  }
  let prev = head;
  while (t.bNext[prev] && startsBefore(t, t.bEntry[t.bNext[prev]], e)) prev = t.bNext[prev];
  t.bNext[prev] = allocBucket(t, e, t.bNext[prev]);
}

/** Unlinks `e`; with one entry left the slot holds it directly. Returns true if the slot changed kind. */
export function bucketRemove(t: Tree, node: number, at: number, head: number, e: number): boolean {
  let prev = 0;
  let b = head;
  while (b && t.bEntry[b] !== e) {
    prev = b;
    b = t.bNext[b];
  }
  if (!b) return false;
  const after = t.bNext[b];
  if (prev) t.bNext[prev] = after;
  else head = after;
  freeBucket(t, b);
  if (t.bNext[head] === 0) {
    setXlat(t, node, at, t.bEntry[head]);
    t.slots[at] = t.bEntry[head];
    freeBucket(t, head);
    return true;
  }
  t.slots[at] = -head;
  return false;
}

/**
 * Empties every slot of `node` over pages [ps, pl], freeing the entries
 * and nodes found there (every entry touching them lies within them), and
 * collapses a partly cleared child left with one entry, as removeFrom does.
 */
export function clearIn(t: Tree, node: number, level: number, base: number, ps: number, pl: number): void {
  const span = LEVEL_SPAN[level];
  const i1 = Math.floor((pl - base) / span);
  for (let i = Math.floor((ps - base) / span); i <= i1; i++) {
    const at = node + 1 + i;
    const v = t.slots[at];
    if (v === 0) continue;
    if (v > 0) {
      // Above level 0 the slot's stretch may reach past [ps, pl], and its
      // only entry (a compressed path) may lie outside the pages: it stays.
      // (An entry already dropped here has a freed record: check it first.)
      if (v !== t.lastDropped) {
        if (level > 0 && (startPage(t, v) > pl || lastPage(t, v) < ps)) continue;
        dropEntry(t, v);
      }
    } else if (level === 0) {
      for (let b = -v; b > 0; ) {
        const next = t.bNext[b];
        dropEntry(t, t.bEntry[b]);
        freeBucket(t, b);
        b = next;
      }
    } else {
      const sb = base + i * span;
      const se = sb + span - 1;
      const child = -v;
      clearIn(t, child, level - 1, sb, ps > sb ? ps : sb, pl < se ? pl : se);
      const only = soleEntry(t, child, level - 1);
      if (only < 0) continue;
      freeNode(t, child, level - 1);
      if (only > 0) {
        t.slots[at] = only;
        continue;
      }
    }
    t.slots[at] = 0;
    t.slots[node]--;
  }
}

/** Frees entry e once (a multi-slot entry's slots come one after another in a clear). */
export function dropEntry(t: Tree, e: number): void {
  if (e === t.lastDropped) return;
  t.lastDropped = e;
  freeEntry(t, e);
  t.ctl[CTL_COUNT]--;
}

/** True when [(sp,so), (lp,lo)] reaches from the lowest entry's start to the highest entry's end. */
export function coversAll(t: Tree, sp: number, so: number, lp: number, lo: number): boolean {
  const lowest = edgeEntry(t, true);
  if (!lowest) return false;
  const highest = edgeEntry(t, false);
  const a = startPage(t, lowest);
  const z = lastPage(t, highest);
  return (sp < a || (sp === a && so <= startOff(t, lowest))) && (lp > z || (lp === z && lo >= lastOff(t, highest)));
}

/**
 * The entry with the lowest start (or the highest end): the first (last)
 * non-empty slot at each level leads to it, since a slot holding an id means
 * that entry is the only one touching its stretch. 0 for an empty tree.
 */
export function edgeEntry(t: Tree, lowest: boolean): number {
  let node = 0;
  for (let level = TOP_LEVEL; ; level--) {
    const n = LEVEL_SLOTS[level];
    let v = 0;
    for (let k = 0; k < n && v === 0; k++) v = t.slots[node + 1 + (lowest ? k : n - 1 - k)];
    if (v >= 0) return v;
    if (level > 0) {
      node = -v;
      continue;
    }
    // A bucket: entries sharing one page, sorted by start (and so by end).
    let b = -v;
    if (!lowest) while (t.bNext[b]) b = t.bNext[b];
    return t.bEntry[b];
  }
}
