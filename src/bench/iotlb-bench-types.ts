/**
 * Types shared by `bench iotlb`'s hot rows (iotlb-bench.ts), its cold rows
 * (iotlb-cold.ts) and the native C reference (iotlb-native.ts). They live
 * apart so that none of the three imports another for a type: the three
 * modules form a line (bench -> cold -> native), not a circle.
 */

/** How mapped pages are spread over the IOVA space. */
export type IotlbLayout = 'dense' | 'sparse';

export type ColdOp = 'insert-iova-order' | 'insert-random-order' | 'insert-iova-order-fresh' | 'insert-random-order-fresh' | 'translate-hit' | 'translate-miss' | 'delete';

export interface ColdInputs {
  layout: IotlbLayout;
  /** Mapped pages, in IOVA order. */
  mapped: Float64Array;
  /** The same pages in a random order (random inserts; deletes). */
  order: Float64Array;
  /** n random mapped pages. */
  hits: Float64Array;
  /** n random unmapped pages. */
  misses: Float64Array;
}

export interface ColdMeasured {
  op: ColdOp;
  opsPerSec: number;
  /** Operations timed in the median round (a build reaching fewer than n entries stopped at the budget). */
  ops: number;
}
