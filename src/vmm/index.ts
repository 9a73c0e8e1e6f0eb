/** VMM layer: QEMU-like guest memory, listener, vhost-vdpa backend and reset flows. */
export { layoutGuest, PAGE, GiB } from './guest-memory.js';
export type { GuestSpec, GuestMemory, RamBlock, RamSection } from './guest-memory.js';
export { IovaTree } from './iova-tree.js';
export { FLOWS, FLOW_NAMES } from './flows.js';
export type { Flow, FlowName } from './flows.js';
export { EVENT_NAMES, EVENT_HELP, FIRST_EVENTS, RESET_EVENTS, SVQ_EVENTS } from './events.js';
export { DEFAULT_QEMU, QEMU_BEHAVIOURS, QEMU_RELEASES, resolveQemu } from './qemu-versions.js';
export type { QemuBehaviour, QemuRelease } from './qemu-versions.js';
export type { EventName } from './events.js';
export { VdpaBackend, newVmmCounters } from './vdpa-backend.js';
export type { MapItem, MapKind, VmmCounters } from './vdpa-backend.js';
export { StepRecorder, ALL_COUNTER_NAMES, addCounters } from './steps.js';
export type { StepKind, StepRecord } from './steps.js';
export { VirtualMachine } from './vm.js';
export type { VmSpec, DevicesSpec, EventRecord } from './vm.js';
export { netDeviceFeatures, probeCvqIsolation, runCvqProbe } from './cvq-probe.js';
export type { ProbeOutcome } from './cvq-probe.js';
