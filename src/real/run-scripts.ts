/**
 * Runs exec scripts on one backend and says which kernel answered. The model
 * answers in-process; a device answers through the probe here; a VM backend
 * boots its kernel once for every script of the command.
 */
import { release as hostRelease } from 'node:os';
import { readFileSync } from 'node:fs';
import { isKernelName, resolveKernel, type KernelGeneration, type SessionOverrides } from '../kernel/index.js';
import { backendLabel, type BackendSpec } from './backend-spec.js';
import { checkVhostVdpaDevice, runOnDevice } from './device-backend.js';
import { inScript, runOnModel, type BackendAnswer, type ScriptSource } from './model-run.js';
import { planScript } from './script-plan.js';
import type { RealKernelFacts } from './vm-backend.js';

/** Loaded on first use: the model and device backends never need the VM's modules. */
const vmBackend = () => import('./vm-backend.js');

export interface ScriptRun {
  name: string;
  answers: BackendAnswer[];
  /** Set when the backend failed part-way through this script (the answers before it stand). */
  error?: string;
}

export interface BackendRun {
  backend: string;
  /** The kernel that answered: `uname -r` for a real one, the generation for the model. */
  kernel: string;
  accel?: 'kvm' | 'tcg';
  scripts: ScriptRun[];
  wallMs: number;
}

export interface RunScriptsOptions {
  overrides: SessionOverrides;
  accel?: 'auto' | 'kvm' | 'tcg';
  timeoutMs?: number;
  onProgress?: (line: string) => void;
}

/** The generation a host kernel belongs to: .reset_map and PERSIST arrived in v6.7. */
export function generationOfRelease(release: string): KernelGeneration {
  const m = /^(\d+)\.(\d+)/.exec(release);
  const [major, minor] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  return major > 6 || (major === 6 && minor >= 7) ? 'reset-map' : 'legacy';
}

/**
 * What a real backend is, before it runs: the model is asked the same
 * questions under these facts (generation, default entry limit), so a
 * comparison pairs like with like.
 */
export async function factsOf(spec: BackendSpec): Promise<RealKernelFacts | undefined> {
  if (spec.kind === 'vm') return (await vmBackend()).realKernelFacts(spec.kernel);
  if (spec.kind === 'device') return hostKernelFacts(hostRelease());
  return undefined;
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
export function hostKernelFacts(release: string, sys = '/sys'): RealKernelFacts {
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
export function modelOverridesFor(facts: RealKernelFacts | undefined, base: SessionOverrides): SessionOverrides {
  if (!facts) return base;
  const kernel = isKernelName(facts.release) ? facts.release : facts.generation;
  return { ...base, kernel, ...(facts.iotlbLimit === undefined ? {} : { iotlbLimit: facts.iotlbLimit }) };
}

export async function runScripts(spec: BackendSpec, scripts: ScriptSource[], opts: RunScriptsOptions): Promise<BackendRun> {
  const started = performance.now();
  const many = scripts.length > 1;
  const facts = await factsOf(spec);
  const overrides = modelOverridesFor(facts, opts.overrides);
  // Every script is validated (and, for the model, answered) before any real kernel is touched.
  const modelRuns = scripts.map((s) => {
    try {
      return runOnModel(s, overrides);
    } catch (e) {
      throw inScript(s.name, many, e);
    }
  });
  const label = backendLabel(spec);
  if (spec.kind === 'model') {
    const kernel = opts.overrides.kernel ?? String(modelRuns[0]?.find((a) => a.op === 'open')?.kernel ?? 'model');
    return { backend: label, kernel: `model (${kernel})`, scripts: scripts.map((s, i) => ({ name: s.name, answers: modelRuns[i] })), wallMs: performance.now() - started };
  }
  const plans = scripts.map((s) => {
    try {
      return planScript(s.text, opts.overrides, facts!.vaDefault, spec.kind === 'vm');
    } catch (e) {
      throw inScript(s.name, many, e);
    }
  });
  if (spec.kind === 'device') {
    checkVhostVdpaDevice(spec.path);
    const runs = scripts.map((s, i) => runOnDevice(spec.path, s, plans[i]));
    return { backend: label, kernel: runs[0]?.release ?? facts!.release, scripts: scripts.map((s, i) => ({ name: s.name, answers: runs[i].answers })), wallMs: performance.now() - started };
  }
  const vm = await (await vmBackend()).runScriptsInVm(spec.kernel, scripts, plans, opts);
  return { backend: label, kernel: vm.release, accel: vm.accel, scripts: vm.scripts, wallMs: performance.now() - started };
}
