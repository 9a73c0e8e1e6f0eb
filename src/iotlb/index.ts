/** The shared IOTLB core: a radix tree in SharedArrayBuffers (see radix-iotlb.ts). */
export { RadixIotlb, defaultInitialEntries } from './radix-iotlb.js';
export type { IotlbEntry, RadixIotlbOptions } from './radix-iotlb.js';
export { IotlbReader } from './reader.js';
export type { IotlbHandle } from './radix-view.js';
export { ReferenceIotlb } from './reference-iotlb.js';
export { U64_MAX, checkU64, parseU64, hex, split, join } from './address.js';
export type { PageAddr } from './address.js';
export { PAGE_SHIFT, PAGE_SIZE, PAGE_OFFSET_MASK, MAX_PAGE } from './layout.js';
