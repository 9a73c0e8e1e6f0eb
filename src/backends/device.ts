/**
 * `--backend device:PATH`: a real vhost-vdpa device on this host (mlx5,
 * vdpa_sim, anything), driven by the probe as this process's child, one
 * probe per script. The device is used as it is: module parameters cannot
 * be set from a script, and its parent is whatever it is.
 */
import { release } from 'node:os';
import { BACKINGS } from '../host/index.js';
import { PARENT_KINDS, type SessionOverrides } from '../kernel/index.js';
import { checkVhostVdpaDevice, runOnDevice } from '../real/device-backend.js';
import { RealBackendError } from '../real/probe-answers.js';
import { hostKernelFacts } from '../real/run-scripts.js';
import type { Backend, BackendCapabilities, BackendResult, KernelFacts, ScriptJob, ScriptRun } from './backend.js';
import { validateAndPlan } from './jobs.js';

export class DeviceBackend implements Backend {
  readonly label: string;
  readonly capabilities: BackendCapabilities = { real: true, dump: false, check: false, parents: PARENT_KINDS, backings: BACKINGS, reservesHugePages: false };
  private facts: KernelFacts | undefined;

  constructor(private readonly path: string) {
    this.label = `device:${path}`;
  }

  async open(): Promise<KernelFacts> {
    checkVhostVdpaDevice(this.path);
    this.facts ??= hostKernelFacts(release());
    return this.facts;
  }

  async run(jobs: ScriptJob[], overrides: SessionOverrides): Promise<BackendResult> {
    const facts = await this.open();
    const plans = validateAndPlan(jobs, overrides, facts, false);
    let kernel = facts.release;
    const scripts = jobs.map((j, i): ScriptRun => {
      try {
        const d = runOnDevice(this.path, j, plans[i]);
        kernel = d.release;
        return { name: j.name, answers: d.answers };
      } catch (e) {
        // A probe that failed fails its script; so does a script the lab wrote that this device cannot run
        // (two devices). A user's script it cannot run is the command's error (InputError, exit 2).
        if (e instanceof RealBackendError || (j.plan && e instanceof Error)) return { name: j.name, answers: [], error: e.message };
        throw e;
      }
    });
    return { kernel, accel: 'none', scripts };
  }

  async close(): Promise<void> {}
}
