/**
 * Runs exec scripts on one backend (backends/), and the facts of a host's
 * kernel that the model is told to play.
 */
import { release as hostRelease } from 'node:os';
import { readFileSync } from 'node:fs';
import { isKernelName, resolveKernel, type KernelGeneration, type SessionOverrides } from '../kernel/index.js';
import type { Backend, KernelFacts, ScriptRun } from '../backends/backend.js';
import type { ScriptSource } from './model-run.js';

export type { ScriptRun } from '../backends/backend.js';

export interface BackendRun {
  backend: string;
  /** The kernel that answered: `uname -r` for a real one, the generation for the model. */
  kernel: string;
  accel?: 'kvm' | 'tcg';
  /** Set when the VM's guest clock was TCG's instruction counter (--clock icount). */
  clock?: 'icount';
  scripts: ScriptRun[];
  wallMs: number;
}

export interface RunScriptsOptions {
  overrides: SessionOverrides;
}

/** The generation a host kernel belongs to: .reset_map and PERSIST arrived in v6.7. */
export function generationOfRelease(release: string): KernelGeneration {
  const m = /^(\d+)\.(\d+)/.exec(release);
  const [major, minor] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  return major > 6 || (major === 6 && minor >= 7) ? 'reset-map' : 'legacy';
}

/** A module parameter of the running host kernel, from sysfs; undefined where the module or parameter is absent. */
function hostParam(module: string, param: string, sys = '/sys'): string | undefined {
  try {
    return readFileSync(`${sys}/module/${module}/parameters/${param}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * The host kernel a device backend runs on: its version's behaviours where the
 * version table knows it, and the entry limit and vdpa_sim use_va the loaded
 * modules really have (sysfs), since the device is used as it is.
 */
export function hostKernelFacts(release: string, sys = '/sys'): KernelFacts {
  const known = isKernelName(release) ? resolveKernel(release) : undefined;
  const generation = known?.generation ?? generationOfRelease(release);
  const limit = Number(hostParam('vhost_vdpa', 'max_iotlb_entries', sys) ?? known?.defaultIotlbLimit ?? NaN);
  const useVa = hostParam('vdpa_sim', 'use_va', sys);
  return {
    release,
    generation,
    vaDefault: useVa === undefined ? (known?.vdpaSimUseVa ?? generation === 'reset-map') : useVa === 'Y' || useVa === '1',
    ...(Number.isFinite(limit) ? { iotlbLimit: limit } : {}),
  };
}

/**
 * Overrides for the model so that it plays the kernel `facts` describes: by
 * its version where the version table knows it (a Debian `uname -r` such as
 * 6.12.117+deb12-amd64 resolves to 6.12.117), else by its generation, with
 * that kernel's default entry limit.
 */
export function modelOverridesFor(facts: KernelFacts | null | undefined, base: SessionOverrides): SessionOverrides {
  if (!facts) return base;
  const kernel = isKernelName(facts.release) ? facts.release : facts.generation;
  return { ...base, kernel, ...(facts.iotlbLimit === undefined ? {} : { iotlbLimit: facts.iotlbLimit }) };
}

/**
 * Runs scripts on one backend and says which kernel answered. The model is
 * told to play the backend's kernel (its version and default entry limit),
 * so a comparison pairs like with like.
 */
export async function runScripts(backend: Backend, scripts: ScriptSource[], opts: RunScriptsOptions): Promise<BackendRun> {
  const started = performance.now();
  const facts = await backend.open();
  try {
    const r = await backend.run(scripts, modelOverridesFor(facts, opts.overrides));
    return { backend: backend.label, kernel: r.kernel, ...(r.accel === 'none' ? {} : { accel: r.accel }), ...(r.clock ? { clock: r.clock } : {}), scripts: r.scripts, wallMs: performance.now() - started };
  } finally {
    await backend.close();
  }
}
