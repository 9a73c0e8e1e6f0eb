/**
 * The op table: every op an `exec` script line can name, in the order the
 * model lists them. Device ops (device-ops.ts) carry their reader, line
 * writer, kernel method and trace line; session ops act on the process (its
 * memory, its rlimit) or on the lab's view, and the session runs them.
 * `probe` names the syscall or request the probe (native/ops.c) makes for
 * each; test/op-table.test.ts fails when the probe and this table drift.
 */
import { DEVICE_OPS } from './device-ops.js';
import type { DeviceOpName } from './op-call.js';

export type SessionOpName = 'open' | 'mmap' | 'setrlimit' | 'dump' | 'check' | 'munmap' | 'layout';

interface SessionOpSpec {
  fields: readonly string[];
  /** The probe's syscall, or `unsupported` where a real kernel cannot answer (the lab's own view). */
  probe: string;
}

/**
 * The fields each session op reads; any other is refused. The probe reads
 * the same scripts: `path` (open) and `populate` (mmap) are its own fields,
 * accepted here (type-checked) so one script serves both; the probe in turn
 * ignores the model-only ones (seed, meanRun, nas, ngroups, nvqs, iovaRange).
 */
export const SESSION_OPS: Record<SessionOpName, SessionOpSpec> = {
  open: { fields: ['device', 'parent', 'kernel', 'useVa', 'variant', 'nas', 'ngroups', 'nvqs', 'iovaRange', 'iotlbLimit', 'parentIotlbLimit', 'path'], probe: 'open' },
  mmap: { fields: ['uaddr', 'size', 'backing', 'seed', 'shared', 'meanRun', 'populate'], probe: 'mmap' },
  setrlimit: { fields: ['memlock'], probe: 'setrlimit' },
  dump: { fields: ['device'], probe: 'VHOST_VDPA_GET_STATUS' },
  check: { fields: ['perPage'], probe: 'unsupported' },
  munmap: { fields: ['uaddr', 'size'], probe: 'munmap' },
  // The physically contiguous runs behind the present pages of a range: the probe preads /proc/self/pagemap.
  layout: { fields: ['uaddr', 'size'], probe: 'pread' },
};

export type ScriptOp = SessionOpName | DeviceOpName;

/**
 * Every op, in the order errors list them (the probe's own ops follow these
 * in its list): the process's ops, the device ops in the table's order, then
 * the lab's views.
 */
export const SCRIPT_OPS: readonly ScriptOp[] = ['open', 'mmap', 'setrlimit', 'munmap', ...(Object.keys(DEVICE_OPS) as DeviceOpName[]), 'dump', 'check', 'layout'];

/** Ops only the probe has (timing scripts): get_status, sleep_ms, note. */
export const PROBE_ONLY_OPS = ['get_status', 'sleep_ms', 'note'] as const;

export function isScriptOp(op: unknown): op is ScriptOp {
  return typeof op === 'string' && (SCRIPT_OPS as readonly string[]).includes(op);
}

export function isSessionOp(op: ScriptOp): op is SessionOpName {
  return Object.hasOwn(SESSION_OPS, op);
}

/** The fields a line of `op` may carry besides `op`. */
export function fieldsOf(op: ScriptOp): readonly string[] {
  return isSessionOp(op) ? SESSION_OPS[op].fields : DEVICE_OPS[op].fields;
}

/** The request the probe makes for `op` (checked against native/ops.c). */
export function probeRequestOf(op: ScriptOp): string {
  return isSessionOp(op) ? SESSION_OPS[op].probe : DEVICE_OPS[op].probe;
}
