/** Kernel model: the vhost-vdpa device, kernel generations, parents, invariants, scripted sessions. */
export { VhostVdpa, PIN_BATCH_PAGES } from './vhost-vdpa.js';
export type { DeviceConfig, IotlbMsg, OpResult } from './vhost-vdpa.js';
export { createParent, PARENT_KINDS, KERNEL_GENERATIONS } from './parents/index.js';
export type { Parent, ParentKind, KernelGeneration, DeviceView, MapPath, VdpaSimVariant } from './parents/index.js';
export { checkInvariants, viewState, sameEntries } from './invariants.js';
export type { InvariantReport, ViewState } from './invariants.js';
export { dumpDevice } from './dump.js';
export { COUNTER_NAMES, countersOf, snapshotCounters } from './counters.js';
export type { KernelCounters } from './counters.js';
export { MrBuilder, MAX_KLM_PAGES } from './mlx5-mr.js';
export type { MrShape } from './mlx5-mr.js';
export { Session, SCRIPT_OPS } from './session.js';
export { resolveKernel, isKernelName, kernelLabel, ARRIVALS, NAMED_KERNELS, KERNEL_ALIASES, DEFAULT_MAX_IOTLB_ENTRIES } from './versions.js';
export type { KernelBehaviour, BehaviourName } from './versions.js';
export type { Answer, SessionOverrides } from './session.js';
export * from './uapi.js';
export { DEFAULT_NVQS, VIRTIO_F, virtioBit } from './vring-group.js';
