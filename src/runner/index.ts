/** Runner layer: one cell in a thread, the piscina pool, streamed results, the summary. */
export { runCell } from './run-cell.js';
export type { RunCellOptions } from './run-cell.js';
export { runPool, defaultThreads } from './pool.js';
export { runWorkload } from './run-workload.js';
export type { RunOptions } from './run-workload.js';
export { readResults, RESULTS_SCHEMA } from './results-file.js';
export { ResultsStream } from './cell-journal.js';
export { acquireRunLock, RUN_LOCK_FILE } from './run-lock.js';
export type { ResultsFile } from './results-file.js';
export type { Provenance, PartProvenance } from './provenance.js';
export { parseShard, cellsOfShard, assignShards, shardName, SHARD_SCHEME, SHARD_COUNT_ENV, K8S_INDEX_ENV } from './shard.js';
export type { ShardSpec, ShardRecord } from './shard.js';
export { summaryRows, summaryText, summaryMarkdown, summaryCells, SUMMARY_HEADER } from './summary.js';
export type { SummaryRow } from './summary.js';
export type { CellResult, CellStatus, Modeled, Measured, WallStats, EventCost } from './cell-result.js';
export type { CellTask } from './cell-worker.js';
export { calibrate } from './calibrate.js';
export type { CalibrationOutcome } from './calibrate.js';
