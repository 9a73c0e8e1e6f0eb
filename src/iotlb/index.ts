/**
 * The shared IOTLB core: a radix tree in SharedArrayBuffers. RadixIotlb
 * carries the verbs of the kernel's drivers/vhost/iotlb.c (addRange =
 * vhost_iotlb_add_range, delRange = vhost_iotlb_del_range, first/next =
 * vhost_iotlb_itree_first/next, reset = vhost_iotlb_reset, free =
 * vhost_iotlb_free) plus translate; it is a thin class over one Tree
 * struct, and tree.ts lists the modules of verbs over it. IotlbReader
 * reads it from other workers.
 */
export { RadixIotlb, defaultInitialEntries } from './radix-iotlb.js';
export type { IotlbEntry, RadixIotlbOptions } from './radix-iotlb.js';
export { IotlbReader } from './reader.js';
export type { IotlbHandle } from './layout.js';
export { ReferenceIotlb } from './reference-iotlb.js';
export { U64_MAX, checkU64, parseU64, hex, split, join } from './address.js';
export type { PageAddr } from './address.js';
export { PAGE_SHIFT, PAGE_SIZE, PAGE_OFFSET_MASK, MAX_PAGE } from './layout.js';
export { xlatTarget, xlatPerm } from './query-walks.js';
export type { BatchSink, RunSink } from './delete-paths.js';
