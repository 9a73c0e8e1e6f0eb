/** The VM runner: boot a prepared kernel once and run jobs (probe + script) in it. */
export { runJobsInVm, defaultMemMiB, defaultTimeoutMs, defaultVmProbePath, unknownParamError } from './run-jobs.js';
export type { VmRun, VmRunOptions } from './run-jobs.js';
export type { VmJob } from './job-archive.js';
export type { VmJobResult } from './frames.js';
export { readPreparedKernel, KernelNotPreparedError } from './prepared.js';
export type { PreparedKernel } from './prepared.js';
export { VmFailedError } from './boot.js';
export { liveQemuCount } from './qemu.js';
export type { VmClock } from './qemu.js';
export type { AccelChoice } from './accel.js';
