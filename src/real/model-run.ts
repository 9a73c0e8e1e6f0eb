/**
 * A script through the kernel model, answered the way a real backend answers
 * it: every answer also carries `pinnedVm` (the process's pinned_vm after the
 * line, what VmPin shows on a real kernel), so the two can be compared line
 * by line. Running the model first is also how real backends validate a
 * script: a malformed line fails here (InputError, exit 2) before any VM boots.
 */
import { InputError, isInputError } from '../errors.js';
import { Session, type Answer, type SessionOverrides } from '../kernel/index.js';

export interface ScriptSource {
  /** What errors call the script: its path, or `-` for standard input. */
  name: string;
  text: string;
}

/** One answer of any backend: the model's fields, plus what a real kernel adds. */
export type BackendAnswer = Answer & { pinnedVm?: number; ns?: number; faults?: number; unsupported?: string };

/** Prefixes the script's name to a line error when several scripts run in one command. */
export function inScript(name: string, many: boolean, err: unknown): unknown {
  if (!many || !isInputError(err)) return err;
  const e = err as InputError;
  return new InputError(`${name}: ${e.where}`, e.reason);
}

export function runOnModel(script: ScriptSource, overrides: SessionOverrides): BackendAnswer[] {
  const session = new Session(overrides);
  const answers: BackendAnswer[] = [];
  const lines = script.text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const a = session.runLine(lines[i], i + 1);
    if (a) answers.push({ ...a, pinnedVm: session.mm.pinnedVm });
  }
  return answers;
}
