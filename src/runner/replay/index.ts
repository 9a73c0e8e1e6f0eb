/** `vdpa-lab replay`: a QEMU vhost-vdpa trace through the kernel model, as traced and with PERSIST. */
export { replayTrace, DEFAULT_BACKING, DEFAULT_BACKING_REASON } from './replay-trace.js';
export type { ReplayOptions, ReplayOutcome, DeviceResult, FlowReplay } from './replay-trace.js';
export { dropPersistedRemaps } from './persist-what-if.js';
export type { PersistStream } from './persist-what-if.js';
export type { SegmentReport, Refusal, DeviceReplay } from './replay-device.js';
export { summarizeReplay } from './replay-summary.js';
export type { ReplaySummary, FlowSummary, Totals } from './replay-summary.js';
export { replayText } from './replay-text.js';
export { replayResultsFile } from './replay-results.js';
export type { ReplayCellParams } from './replay-results.js';
