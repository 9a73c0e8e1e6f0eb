/** Benchmarks of the lab's own machinery (all figures measured, never modeled). */
export { runIotlbBench, defaultIotlbSizes, defaultIotlbColdSizes, defaultIotlbBuildMs, defaultIotlbTimeMs, defaultIotlbBatch, defaultIotlbRounds } from './iotlb-bench.js';
export type { IotlbBenchRow, IotlbBenchOptions, IotlbLayout } from './iotlb-bench.js';
export { renderIotlbTable } from './iotlb-table.js';
export { checkIotlbTargets } from './iotlb-targets.js';
export { runPinBench, defaultPinRegionBytes } from './pin-bench.js';
export type { PinBenchRow, PinBenchOptions } from './pin-bench.js';
export { renderPinTable } from './pin-table.js';
export { runRunBench, RUN_SCENARIOS, defaultScalingRounds } from './run-bench.js';
export type { RunBenchRow, RunScenario } from './run-bench.js';
