/**
 * The implementations `bench iotlb` times, each over its own loops (a call
 * site shared by two receivers is slower for whichever runs second):
 * - radix: the lab's RadixIotlb;
 * - flatten-js: @flatten-js/interval-tree, the JS interval tree users reach for;
 * - sorted-btree: a B+ tree ordered map (sorted-btree 2.1, qwertie, kept up
 *   since 2018, no dependencies, typed). Chosen as the second peer because an
 *   ordered map keyed by start page with a "greatest key <= page" lookup is
 *   what a user would build an IOTLB on when an interval tree is not needed
 *   (entries never overlap), and a B+ tree is the cache-friendliest such map
 *   in JS. Every bench entry is one page, so its key is also its last page and
 *   the map stores only the target page: the peer is spared a field.
 *
 * Hot rows use Impl (fixed batches); cold rows use ColdImpl (slices of
 * arrays spanning the whole table, and builds from empty).
 */
import { RadixIotlb } from '../iotlb/index.js';
import { lazyRequire } from '../lazy-require.js';

// The peers load when a benchmark builds one, not when the package is imported (their CommonJS builds).
const flattenJs = lazyRequire<{ IntervalTree: new () => FlattenTree }>('@flatten-js/interval-tree');
// sorted-btree is CommonJS: `exports.default = BTree`.
const sortedBtree = lazyRequire<{ default: new () => OrderedMap }>('sorted-btree');
const newIntervalTree = (): FlattenTree => new (flattenJs().IntervalTree)();
const newBTree = (): OrderedMap => new (sortedBtree().default)();

export interface FlattenTree {
  insert(key: [number, number], value: number): unknown;
  remove(key: [number, number], value: number): unknown;
  search(key: [number, number]): number[];
}

/** The slice of sorted-btree's API the bench uses. */
export interface OrderedMap {
  set(key: number, value: number): boolean;
  delete(key: number): boolean;
  has(key: number): boolean;
  getPairOrNextLower(key: number, reuse?: [number, number]): [number, number] | undefined;
  nextHigherPair(key: number, reuse?: [number, number]): [number, number] | undefined;
}

export type IotlbImpl = 'radix' | 'flatten-js' | 'sorted-btree' | 'native-c';
/** The JavaScript implementations (native-c runs as a child process: iotlb-native.ts). */
export const JS_IMPLS = ['radix', 'flatten-js', 'sorted-btree'] as const;
export type JsImpl = (typeof JS_IMPLS)[number];

/** Pages per overlap query window. */
export const QUERY_PAGES = 8;
/** Every bench entry maps page p to page p + TARGET_DELTA. */
const TARGET_DELTA = 7;

/** The four hot operations over a batch of page numbers. Lookups return their hits. */
export interface Impl {
  readonly name: IotlbImpl;
  insertAll(pages: Float64Array): void;
  removeAll(pages: Float64Array): void;
  translateAll(pages: Float64Array): number;
  queryAll(pages: Float64Array): number;
  /** Puts back whichever of `pages` is missing (the delete task's set-up). */
  restoreAll(pages: Float64Array): void;
  /** Ends the table: radix gives its buffers to the pool (RadixIotlb.free); the JS peers leave theirs to V8's collector. */
  free(): void;
}

/** A JS implementation able to make empty tables of its kind. */
export interface Maker {
  readonly name: JsImpl;
  /** An empty table, wrapped. */
  empty(): Impl;
}

// Each implementation's loops are module-level functions taking the table:
// the bench makes a fresh table (and so fresh wrapper closures) for every
// cold build, and V8 keeps type feedback per closure once a function literal
// has made more than one, so a loop written inside the wrapper would start
// every build in the interpreter. (The wrappers below only forward.)

function radixInsert(tree: RadixIotlb, ps: Float64Array): void {
  for (let i = 0; i < ps.length; i++) tree.addPages(ps[i], 1, ps[i] + TARGET_DELTA, 3);
}
function radixRemove(tree: RadixIotlb, ps: Float64Array): void {
  for (let i = 0; i < ps.length; i++) tree.deleteParts(ps[i], 0, ps[i], 4095);
}
function radixTranslate(tree: RadixIotlb, ps: Float64Array): number {
  let hits = 0;
  for (let i = 0; i < ps.length; i++) if (tree.translatePage(ps[i], 0x123) !== 0) hits++;
  return hits;
}
function radixQuery(tree: RadixIotlb, ps: Float64Array): number {
  let hits = 0;
  for (let i = 0; i < ps.length; i++) if (tree.firstId(ps[i], 0, ps[i] + QUERY_PAGES - 1, 4095) !== 0) hits++;
  return hits;
}
function radixRestore(tree: RadixIotlb, ps: Float64Array): void {
  for (let i = 0; i < ps.length; i++) if (tree.translatePage(ps[i], 0) === 0) tree.addPages(ps[i], 1, ps[i] + TARGET_DELTA, 3);
}

function radixImpl(tree: RadixIotlb): Impl {
  return {
    name: 'radix',
    insertAll: (ps) => radixInsert(tree, ps),
    removeAll: (ps) => radixRemove(tree, ps),
    translateAll: (ps) => radixTranslate(tree, ps),
    queryAll: (ps) => radixQuery(tree, ps),
    restoreAll: (ps) => radixRestore(tree, ps),
    free: () => tree.free(),
  };
}

function flattenInsert(tree: FlattenTree, ps: Float64Array): void {
  for (let i = 0; i < ps.length; i++) tree.insert([ps[i], ps[i]], ps[i] + TARGET_DELTA);
}
function flattenRemove(tree: FlattenTree, ps: Float64Array): void {
  for (let i = 0; i < ps.length; i++) tree.remove([ps[i], ps[i]], ps[i] + TARGET_DELTA);
}
function flattenTranslate(tree: FlattenTree, ps: Float64Array): number {
  let hits = 0;
  for (let i = 0; i < ps.length; i++) {
    const hit = tree.search([ps[i], ps[i]]);
    if (hit.length > 0 && hit[0] * 4096 + 0x123 > 0) hits++;
  }
  return hits;
}
function flattenQuery(tree: FlattenTree, ps: Float64Array): number {
  let hits = 0;
  for (let i = 0; i < ps.length; i++) if (tree.search([ps[i], ps[i] + QUERY_PAGES - 1]).length > 0) hits++;
  return hits;
}
function flattenRestore(tree: FlattenTree, ps: Float64Array): void {
  for (let i = 0; i < ps.length; i++) if (tree.search([ps[i], ps[i]]).length === 0) tree.insert([ps[i], ps[i]], ps[i] + TARGET_DELTA);
}

function flattenImpl(tree: FlattenTree): Impl {
  return {
    name: 'flatten-js',
    insertAll: (ps) => flattenInsert(tree, ps),
    removeAll: (ps) => flattenRemove(tree, ps),
    translateAll: (ps) => flattenTranslate(tree, ps),
    queryAll: (ps) => flattenQuery(tree, ps),
    restoreAll: (ps) => flattenRestore(tree, ps),
    free: () => {},
  };
}

// One reused pair per lookup: sorted-btree fills it instead of allocating.
const pair: [number, number] = [0, 0];

function btreeInsert(map: OrderedMap, ps: Float64Array): void {
  for (let i = 0; i < ps.length; i++) map.set(ps[i], ps[i] + TARGET_DELTA);
}
function btreeRemove(map: OrderedMap, ps: Float64Array): void {
  for (let i = 0; i < ps.length; i++) map.delete(ps[i]);
}
function btreeTranslate(map: OrderedMap, ps: Float64Array): number {
  let hits = 0;
  for (let i = 0; i < ps.length; i++) {
    // The entry starting at or below the page; it holds the page if it ends at or after it (here: starts there).
    const hit = map.getPairOrNextLower(ps[i], pair);
    if (hit !== undefined && hit[0] === ps[i] && hit[1] * 4096 + 0x123 > 0) hits++;
  }
  return hits;
}
function btreeQuery(map: OrderedMap, ps: Float64Array): number {
  let hits = 0;
  for (let i = 0; i < ps.length; i++) {
    const hit = map.nextHigherPair(ps[i] - 1, pair);
    if (hit !== undefined && hit[0] <= ps[i] + QUERY_PAGES - 1) hits++;
  }
  return hits;
}
function btreeRestore(map: OrderedMap, ps: Float64Array): void {
  for (let i = 0; i < ps.length; i++) if (!map.has(ps[i])) map.set(ps[i], ps[i] + TARGET_DELTA);
}

function btreeImpl(map: OrderedMap): Impl {
  return {
    name: 'sorted-btree',
    insertAll: (ps) => btreeInsert(map, ps),
    removeAll: (ps) => btreeRemove(map, ps),
    translateAll: (ps) => btreeTranslate(map, ps),
    queryAll: (ps) => btreeQuery(map, ps),
    restoreAll: (ps) => btreeRestore(map, ps),
    free: () => {},
  };
}

export const MAKERS: Record<JsImpl, Maker> = {
  radix: { name: 'radix', empty: () => radixImpl(new RadixIotlb()) },
  'flatten-js': { name: 'flatten-js', empty: () => flattenImpl(newIntervalTree()) },
  'sorted-btree': { name: 'sorted-btree', empty: () => btreeImpl(newBTree()) },
};

/** A radix Impl over an existing tree (its memory is read from the tree). */
export function radixOver(tree: RadixIotlb): Impl {
  return radixImpl(tree);
}

/** A flatten-js tree of `count` ranges of `span` pages each, back to back (the footprint row). */
export function flattenOfRanges(count: number, span: number): unknown {
  const t = newIntervalTree();
  for (let i = 0; i < count; i++) t.insert([i * span, (i + 1) * span - 1], i);
  return t;
}
