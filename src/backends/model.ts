/** `--backend model`: the kernel model (src/kernel) answers in this process, deterministically. */
import { BACKINGS } from '../host/index.js';
import { PARENT_KINDS, type SessionOverrides } from '../kernel/index.js';
import { inScript, runOnModel } from '../real/model-run.js';
import type { Backend, BackendCapabilities, BackendResult, KernelFacts, ScriptJob } from './backend.js';

export class ModelBackend implements Backend {
  readonly label = 'model';
  readonly capabilities: BackendCapabilities = { real: false, dump: true, check: true, parents: PARENT_KINDS, backings: BACKINGS, reservesHugePages: true };

  /** The model plays whichever kernel a script (or the command) names. */
  async open(): Promise<KernelFacts | null> {
    return null;
  }

  async run(jobs: ScriptJob[], overrides: SessionOverrides): Promise<BackendResult> {
    const many = jobs.length > 1;
    const scripts = jobs.map((j) => {
      try {
        return { name: j.name, answers: runOnModel(j, overrides) };
      } catch (e) {
        throw inScript(j.name, many, e);
      }
    });
    const kernel = overrides.kernel ?? String(scripts[0]?.answers.find((a) => a.op === 'open')?.kernel ?? 'model');
    return { kernel: `model (${kernel})`, accel: 'none', scripts };
  }

  async close(): Promise<void> {}
}
