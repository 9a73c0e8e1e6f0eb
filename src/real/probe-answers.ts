/**
 * Reading what the probe (native/vdpa-probe.c) printed: one JSON answer per
 * script line. Anything else on its stdout is a broken probe or a VM that
 * died mid-line, and is reported as such, never guessed around.
 */
import { lazySchema, z } from '../lazy-zod.js';
import { VdpaLabError } from '../errors.js';
import type { BackendAnswer } from './model-run.js';

const probeAnswer = lazySchema(() =>
  z
    .object({
      line: z.number().int().positive(),
      op: z.string(),
      ret: z.union([z.literal(0), z.literal(-1)]),
      errno: z.string().nullable(),
      cause: z.null(),
      ns: z.number().int().nonnegative(),
      pinnedVm: z.number().int().nonnegative(),
      unsupported: z.string().optional(),
    })
    .passthrough(),
);

/** A real backend failed as an environment, not as an answer: exit 1. */
export class RealBackendError extends VdpaLabError {
  override name = 'RealBackendError';
}

export function parseProbeOutput(stdout: string, where: string): BackendAnswer[] {
  const out: BackendAnswer[] = [];
  const lines = stdout.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(t);
    } catch {
      throw new RealBackendError(`${where}: the probe printed a line that is not JSON (output line ${i + 1}: ${t.slice(0, 80)})`);
    }
    const r = probeAnswer.safeParse(obj);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new RealBackendError(`${where}: the probe's answer on output line ${i + 1} is malformed (${issue.path.join('.') || 'answer'}: ${issue.message})`);
    }
    out.push(r.data as BackendAnswer);
  }
  return out;
}
