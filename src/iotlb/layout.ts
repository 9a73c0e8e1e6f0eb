/**
 * Geometry and shared-memory layout of the radix IOTLB.
 *
 * The tree indexes 4 KiB page numbers (a 64-bit IOVA has a 52-bit page
 * number, exact in a JS number). Levels count up from 0 (one slot = one page)
 * to TOP_LEVEL (the root). Fan-outs are chosen so that the 2 MiB, 1 GiB and
 * 512 GiB stretches of the x86 page tables are slot boundaries (levels 2, 3, 4),
 * while the two lowest levels are split 4 + 5 bits: sparse guests then pay for
 * 16- and 32-slot nodes instead of 512-slot ones.
 */

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;
export const PAGE_OFFSET_MASK = PAGE_SIZE - 1;
/** Largest page number of a 64-bit address space: (2^64 - 1) >> 12. */
export const MAX_PAGE = 2 ** 52 - 1;

/** Shift (in pages) of the stretch one slot covers, per level. */
export const LEVEL_SHIFT = [0, 5, 9, 18, 27, 36, 45] as const;
/** Index bits per level; they add up to 52. */
export const LEVEL_BITS = [5, 4, 9, 9, 9, 9, 7] as const;
export const TOP_LEVEL = 6;
/** Pages one slot covers, per level. */
export const LEVEL_SPAN = LEVEL_SHIFT.map((s) => 2 ** s);
/** Slots per node, per level. */
export const LEVEL_SLOTS = LEVEL_BITS.map((b) => 2 ** b);
/**
 * A node is one header word (its count of non-empty slots) plus its slots;
 * a level-0 node (a leaf) also carries LEAF_XLAT_WORDS of translations after
 * its slots (see LEAF_XLAT below).
 */
export const LEAF_XLAT_WORDS = LEVEL_SLOTS[0];
export const NODE_WORDS = LEVEL_SLOTS.map((n, level) => n + 1 + (level === 0 ? LEAF_XLAT_WORDS : 0));
/**
 * A leaf's translation of slot i: one Int32 word at node + LEAF_XLAT + i,
 * 1 + target page * 4 + perm, or 0. Non-zero only while the slot holds a
 * one-page entry of the whole page to a page-aligned target page of at
 * most XLAT_MAX_PAGE (2 TiB) with perm <= 3 (vhost's RO=1 WO=2 RW=3: every
 * entry of a 4 KiB-fragmented guest): then a lookup answers from the leaf
 * and never reads the entry's record. Written before the slot's id; zeroed
 * whenever any other id is put in the slot. (One word, not two holding any
 * 52-bit page and 8-bit perm: two cost 8 more bytes per entry, 0.5 GiB of
 * RSS on the 128 GiB 4k guest's two tables, measured.)
 *
 * Why: on a 1 M-entry table probed at random (cold), the record read was the
 * third far load of a lookup in a chain (level-1 node, leaf, record) and
 * most of its time: a lookup touching only the nodes took about a quarter of
 * one that also read the record (measured, /tmp A/B runs, Node 20). The
 * translation sits in the leaf the lookup has just read, two lines on.
 */
export const LEAF_XLAT = 1 + LEVEL_SLOTS[0];
/** Largest target page a leaf translation holds: (2^31 - 1 - 1 - 3) / 4, rounded down. */
export const XLAT_MAX_PAGE = 2 ** 29 - 2;
/** Offset of the root node in the slot pool; it is never freed. */
export const ROOT = 0;

/**
 * Control block fields (an Int32Array on a fixed SharedArrayBuffer).
 * SEQ is the seqlock: odd while the writer is changing the tree.
 */
export const CTL = {
  SEQ: 0,
  COUNT: 1,
  SLOTS_TOP: 2,
  ENTRIES_TOP: 3,
  BUCKETS_TOP: 4,
  FREE_ENTRY: 5,
  FREE_BUCKET: 6,
  /** Free-list heads: level-1 nodes (17 words), leaves (97), and 513-word nodes. */
  FREE_NODE_17: 7,
  FREE_LEAF: 8,
  FREE_NODE_513: 9,
  /** Bumped whenever a buffer grows: readers rebuild their views. */
  GROW_EPOCH: 10,
  /** Entry limit, or -1 when unenforced (mainline). */
  LIMIT: 11,
  LENGTH: 16,
} as const;

/**
 * An entry is one record of four Float64 (32 bytes, half a cache line), so a
 * lookup touches one line for it: [start page, last page, addr page, meta].
 * meta = startOff | lastOff << 12 | perm << 24  (low 32 bits)
 *        + addrOff * 2^32                          (bits 32..43; exact in a double)
 */
export const REC_WORDS = 4;
export const REC_START = 0;
export const REC_LAST = 1;
export const REC_ADDR = 2;
export const REC_META = 3;
export const META_LAST_SHIFT = 12;
export const META_PERM_SHIFT = 24;
export const META_ADDR_OFF_SCALE = 2 ** 32;

/** Bytes of shared memory one entry record takes. */
export const ENTRY_BYTES = REC_WORDS * 8;
/** Bytes of one bucket node (entry id, next). */
export const BUCKET_BYTES = 8;

/** The little of a shared WebAssembly.Memory the tree uses: its buffer (seqlock.ts). */
export interface SharedWasmMemory {
  readonly buffer: ArrayBufferLike;
}

/** The shared buffers of one tree: pass this to another worker and `attach` it. */
export interface IotlbHandle {
  /** The control block (CTL above). */
  ctl: SharedArrayBuffer;
  /** The shared WebAssembly.Memory whose buffer `ctl` is, when it is one: readers read SEQ through it (seqlock.ts). */
  seq?: SharedWasmMemory;
  /** Node slots (Int32), NODE_WORDS per node. */
  slots: SharedArrayBuffer;
  /** Entry records, REC_WORDS doubles each. */
  rec: SharedArrayBuffer;
  /** Bucket links: the entry of each bucket, and the next bucket. */
  bEntry: SharedArrayBuffer;
  bNext: SharedArrayBuffer;
}

/** Largest a growable SharedArrayBuffer may be on Node 20 (V8 refuses more). */
export const MAX_GROWABLE_BYTES = 2 ** 32;
/** Bucket chains never exceed one entry per byte of a page; readers give up past it. */
export const MAX_BUCKET_CHAIN = PAGE_SIZE + 1;
