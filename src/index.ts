/**
 * vdpa-lab as a library: each layer's public API, lowest first. The CLI
 * (src/cli) is built from exactly these pieces.
 */
export * from './errors.js';
export * as iotlb from './iotlb/index.js';
export * as host from './host/index.js';
export * as kernel from './kernel/index.js';
export * as real from './real/index.js';
export * as vmm from './vmm/index.js';
export * as cost from './cost/index.js';
export * as workload from './workload/index.js';
export * as runner from './runner/index.js';
export * as report from './report/index.js';
export * as gate from './gate/index.js';
export * as bench from './bench/index.js';
export * as history from './history/index.js';
