/**
 * The machine a run's simulator figures were timed on, and the testbed its
 * real figures came from, as a results file's provenance records them.
 *
 * The simulator's wall clock is this lab's own JavaScript timed on the host:
 * another CPU model, core count, host kernel, platform or Node release moves
 * it without any change to the code or the model (#28: an Intel Xeon baseline
 * against an AMD run read as "14 regressed"). A real figure depends on that
 * host too (under TCG every guest instruction runs on it), and on the real
 * kernel, its backend and the accelerator. Modeled figures depend on none of
 * this: they are counters times a cost profile.
 */
import { createHash } from 'node:crypto';
import type { Provenance } from './provenance.js';

/** What identifies the machine. A field an older file lacks is null: unknown, so never called a change. */
export interface Machine {
  cpu: string | null;
  cpus: number | null;
  platform: string | null;
  hostKernel: string | null;
  node: string | null;
}

/** What answered a real run (`run --backend`), or null for a run without one. */
export interface Testbed {
  backend: string;
  kernel: string;
  accel: string;
  /** icount when the VM's guest clock was TCG's instruction counter; absent: the wall clock. */
  clock?: string;
}

/** The provenance fields machine.ts reads: what an older or hand-made file may lack. */
type MachineFacts = Partial<Pick<Provenance, 'cpu' | 'cpus' | 'platform' | 'hostKernel' | 'node' | 'real'>>;

const MACHINE_FIELDS: readonly { key: keyof Machine; name: string }[] = [
  { key: 'cpu', name: 'cpu' },
  { key: 'cpus', name: 'cores' },
  { key: 'platform', name: 'platform' },
  { key: 'hostKernel', name: 'host kernel' },
  { key: 'node', name: 'node' },
];

export function machineOf(p: MachineFacts): Machine {
  return { cpu: p.cpu ?? null, cpus: p.cpus ?? null, platform: p.platform ?? null, hostKernel: p.hostKernel ?? null, node: p.node ?? null };
}

export function testbedOf(p: MachineFacts): Testbed | null {
  return p.real ? { backend: p.real.backend, kernel: p.real.kernel, accel: p.real.accel, ...(p.real.clock === 'icount' ? { clock: 'icount' } : {}) } : null;
}

/** A short, stable key of a machine (history series are kept apart by it). */
export function machineKey(m: Machine): string {
  const text = MACHINE_FIELDS.map(({ key }) => `${key}=${m[key] ?? ''}`).join('\n');
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** One line naming a machine: "AMD EPYC 7763 64-Core Processor, 4 cores, linux-x64, 6.8.0-1017-azure, node v20.19.0". */
export function machineText(m: Machine): string {
  const parts = [m.cpu, m.cpus === null ? null : `${m.cpus} cores`, m.platform, m.hostKernel, m.node === null ? null : `node ${m.node}`];
  return parts.filter((x) => x !== null).join(', ') || 'unknown machine';
}

/**
 * What differs between two machines, field by field ("cpu Intel Xeon -> AMD
 * EPYC; cores 4 -> 8"), or null when they are the same. A field unknown on
 * either side (a file from before it was recorded) is not compared.
 */
export function machineDiff(a: Machine, b: Machine): string | null {
  const diffs = MACHINE_FIELDS.filter(({ key }) => a[key] !== null && b[key] !== null && a[key] !== b[key]).map(({ key, name }) => `${name} ${a[key]} -> ${b[key]}`);
  return diffs.length ? diffs.join('; ') : null;
}

/** What differs between two real testbeds (real kernel, accel, guest clock, backend), or null when they are the same or one side ran none. */
export function testbedDiff(a: Testbed | null, b: Testbed | null): string | null {
  if (!a || !b) return null;
  const diffs = (['kernel', 'accel', 'backend'] as const).filter((k) => a[k] !== b[k]).map((k) => `${k === 'kernel' ? 'real kernel' : k} ${a[k]} -> ${b[k]}`);
  // A wall-clock and an instruction-counted time are two kinds of real figure.
  const clock = (t: Testbed) => t.clock ?? 'wall';
  if (clock(a) !== clock(b)) diffs.push(`guest clock ${clock(a)} -> ${clock(b)}`);
  return diffs.length ? diffs.join('; ') : null;
}

/** Why simulator and real figures of two runs cannot be gated against each other (null: they can). */
export interface NotGated {
  /** "machine changed: cpu ... -> ..." */
  simulator: string | null;
  /** The machine's reason, or "testbed changed: real kernel ... -> ...". */
  real: string | null;
}

export function notGated(baseline: MachineFacts, current: MachineFacts): NotGated {
  const machine = machineDiff(machineOf(baseline), machineOf(current));
  const testbed = testbedDiff(testbedOf(baseline), testbedOf(current));
  const simulator = machine ? `machine changed: ${machine}` : null;
  const real = [simulator, testbed ? `testbed changed: ${testbed}` : null].filter((x) => x !== null).join('; ') || null;
  return { simulator, real };
}
