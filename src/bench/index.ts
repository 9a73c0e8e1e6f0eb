/** Benchmarks of the lab's own machinery (all figures measured, never modeled). */
export { runIotlbBench, defaultIotlbSizes, defaultIotlbTimeMs, defaultIotlbBatch } from './iotlb-bench.js';
export type { IotlbBenchRow, IotlbBenchOptions, IotlbLayout } from './iotlb-bench.js';
export { renderIotlbTable } from './iotlb-table.js';
export { checkIotlbTargets } from './iotlb-targets.js';
