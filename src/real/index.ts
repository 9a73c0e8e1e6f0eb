/** Real kernels: prepare Debian kernels with vdpa_sim, and run jobs (probe + script) in one QEMU boot. */
export { cacheRoot, kernelCacheDir } from './cache.js';
export { REAL_KERNELS, resolveKernel, JOB_MODULES } from './kernels.js';
export type { RealKernel, PinnedDeb } from './kernels.js';
export { prepareKernel } from './prepare/prepare-kernel.js';
export type { PrepareOptions, PrepareResult } from './prepare/prepare-kernel.js';
export type { KernelManifest, ManifestModule } from './prepare/manifest.js';
export { kernelStatuses } from './kernel-status.js';
export type { KernelStatus } from './kernel-status.js';
export { MissingToolError, TOOL_PACKAGES, requireTools } from './host-tools.js';
export { CommandFailedError } from './run-command.js';
export { runJobsInVm, readPreparedKernel, KernelNotPreparedError, VmFailedError, defaultMemMiB, defaultTimeoutMs } from './vm/index.js';
export type { VmJob, VmJobResult, VmRun, VmRunOptions, PreparedKernel, AccelChoice } from './vm/index.js';
