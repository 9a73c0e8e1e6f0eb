/** QEMU's vhost-vdpa trace log: line grammar, per-release formats, and the per-fd message streams it implies. */
export { splitTraceLine } from './trace-line.js';
export type { TraceLine } from './trace-line.js';
export { GRAMMAR, USED_EVENTS, EXPECTED_SHAPE, parseEventArgs } from './event-grammar.js';
export type { TraceEvent, EventKind } from './event-grammar.js';
export { QEMU_RELEASES, VARIANT_RELEASES, describeRange, rangeToken, variantRanges } from './qemu-formats.js';
export type { QemuRelease, ReleaseRange } from './qemu-formats.js';
export { parseTrace } from './parse-trace.js';
export type { ParsedTrace } from './parse-trace.js';
export { rebuildStreams } from './rebuild-streams.js';
export type { DeviceStream, InferredRegion, RebuiltTrace, StreamOp } from './rebuild-streams.js';
export { queuePairsOf, tracedReleasesProbe, withCvqProbe } from './cvq-probe-ops.js';
export { traceVm } from './model-trace.js';
export { tracedGuest } from './traced-guest.js';
export type { TracedGuest } from './traced-guest.js';
export { checkStream } from './stream-check.js';
export type { StreamCheck, StreamCheckOptions, StreamRow, Verdict, ExpectedDifference, UnexplainedDifference } from './stream-check.js';
export { formatStreamCheck } from './stream-check-text.js';
