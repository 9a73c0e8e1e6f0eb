/** Backends: who answers a script (the model, a device here, a kernel in a VM), behind one interface. */
export { createBackend } from './create.js';
export type { Backend, BackendCapabilities, BackendOptions, BackendResult, KernelFacts, ScriptJob, ScriptRun } from './backend.js';
