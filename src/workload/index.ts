/** Workload layer: the file format, matrix expansion into cells, loading. */
export { MAX_SAMPLES, WORKLOAD_SCHEMA_VERSION, workloadSchema, workloadManySchema, schemaFor } from './schema.js';
export type { RawWorkload, RawMatrix } from './schema.js';
export { parseSize, formatBytes } from './sizes.js';
export { makeCell, setupLabel, toVmSpec } from './cell.js';
export type { CellParams, CellSpec } from './cell.js';
export { countCombinations, DEFAULT_MAX_CELLS, expandWorkload, MAX_GUEST_BYTES } from './expand.js';
export type { ExpandOptions } from './expand.js';
export { entryLimitWarnings, estimatedEntries } from './entry-limit.js';
export { loadWorkload, parseWorkload, resolveProfilePath, problemsError, PACKAGE_ROOT, PROFILES_DIR } from './load.js';
export type { LoadedWorkload } from './load.js';
export { MAX_TREE_ENTRIES } from './memory-need.js';
