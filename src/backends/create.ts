/** The one place a backend spec (`model`, `device:PATH`, `vm:KERNEL`) becomes a Backend. */
import type { BackendSpec } from '../real/backend-spec.js';
import type { Backend, BackendOptions } from './backend.js';
import { DeviceBackend } from './device.js';
import { ModelBackend } from './model.js';
import { VmBackend } from './vm.js';

export function createBackend(spec: BackendSpec, options: BackendOptions = {}): Backend {
  switch (spec.kind) {
    case 'model':
      return new ModelBackend();
    case 'device':
      return new DeviceBackend(spec.path);
    case 'vm':
      return new VmBackend(spec.kernel, options);
  }
}
