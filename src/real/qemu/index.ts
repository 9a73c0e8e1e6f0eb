/** Real QEMU in the loop: prepare Debian's QEMU releases, record what one sends inside the kernel VM. */
export { QEMU_RELEASES, resolveQemuRelease, qemuReleaseList } from './releases.js';
export type { QemuRelease } from './releases.js';
export { prepareQemu, removeStaleQemuTemps } from './prepare-qemu.js';
export { prepareInnerGuest, readInnerGuest, INNER_KERNEL } from './inner-guest.js';
export { preparedQemus, readPreparedQemu, qemuCacheRoot, QemuNotPreparedError } from './qemu-manifest.js';
export type { PreparedQemu, QemuManifest } from './qemu-manifest.js';
export { recordQemu, payloadArchive, vmMemMiB, innerDeadlineS, vhostFallback } from './record.js';
export type { Recording, RecordOptions } from './record.js';
export { RECORD_BACKINGS } from './record-script.js';
export type { RecordBacking } from './record-script.js';
export { parseGuestLog, readGuestLogText, guestLogText, downtimes, lastStep } from './guest-timeline.js';
export type { GuestStamp, ResetDowntime, ResetSteps } from './guest-timeline.js';
export { traceResets } from './trace-timing.js';
export type { TraceReset } from './trace-timing.js';
