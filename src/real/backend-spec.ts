/**
 * Which kernel answers a script: the lab's model, a real vhost-vdpa device on
 * this host, or a real Debian kernel booted under QEMU with vdpa_sim.
 *
 *   model                    the kernel model (src/kernel), deterministic
 *   device:/dev/vhost-vdpa-0 a real device here (root or CAP_IPC_LOCK)
 *   vm:6.12                  a prepared Debian kernel (`vdpa-lab kernels prepare`)
 */
import { InputError } from '../errors.js';

export type BackendSpec =
  | { kind: 'model' }
  | { kind: 'device'; path: string }
  | { kind: 'vm'; kernel: string };

export const BACKEND_FORMS = 'model, device:/dev/vhost-vdpa-N or vm:KERNEL (e.g. vm:6.12)';

/** Parses one backend name; `flag` names the option in the error. */
export function parseBackend(text: string, flag = '--backend'): BackendSpec {
  const t = text.trim();
  if (t === 'model') return { kind: 'model' };
  const colon = t.indexOf(':');
  const kind = colon < 0 ? t : t.slice(0, colon);
  const arg = colon < 0 ? '' : t.slice(colon + 1);
  if (kind === 'device' && arg !== '') return { kind: 'device', path: arg };
  if (kind === 'vm' && arg !== '') return { kind: 'vm', kernel: arg };
  if (kind === 'device' || kind === 'vm') throw new InputError(flag, `'${t}' names no ${kind === 'vm' ? 'kernel' : 'device path'} (${BACKEND_FORMS})`);
  throw new InputError(flag, `unknown backend '${t}' (${BACKEND_FORMS})`);
}

/** `--compare A,B`: exactly two different backends. */
export function parseComparePair(text: string): [BackendSpec, BackendSpec] {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length !== 2) throw new InputError('--compare', `takes exactly two backends separated by a comma, e.g. model,vm:6.12 (got '${text}')`);
  if (parts[0] === parts[1]) throw new InputError('--compare', `compares two different backends, got '${parts[0]}' twice`);
  return [parseBackend(parts[0], '--compare'), parseBackend(parts[1], '--compare')];
}

export function backendLabel(spec: BackendSpec): string {
  switch (spec.kind) {
    case 'model':
      return 'model';
    case 'device':
      return `device:${spec.path}`;
    case 'vm':
      return `vm:${spec.kernel}`;
  }
}
