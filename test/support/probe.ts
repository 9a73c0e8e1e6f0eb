/**
 * Helpers for the real-kernel probe's tests (native/, issue #11): where the
 * built binary is, and how to run a script through it or through the model's
 * `exec` for the same lines.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/native/vdpa-probe, built by native/build.sh (npm run build). */
export const PROBE = fileURLToPath(new URL('../../native/vdpa-probe', import.meta.url));
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/**
 * The `skip` option for a probe test: a reason when the binary is absent on a
 * developer machine without a C compiler. Under CI an absent binary is a
 * failure, so there the option is false and the test fails when it runs it.
 */
export function probeSkip(): string | false {
  if (existsSync(PROBE) || process.env.CI) return false;
  return `${PROBE} is not built (no C compiler?); set CI=1 to make this a failure`;
}

export interface Answer {
  line: number;
  op: string;
  ret: number;
  errno: string | null;
  cause: string | null;
  ns: number;
  pinnedVm: number | null;
  [extra: string]: unknown;
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  answers: Answer[];
}

function toRun(r: SpawnSyncReturns<string>): Run {
  if (r.error) throw r.error;
  const answers = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Answer);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, answers };
}

/** Runs script lines through a probe binary (the built one unless `binary` says otherwise). */
export function runProbe(lines: string[], args: string[] = [], binary = PROBE, wrapper: string[] = []): Run {
  const cmd = wrapper.length ? wrapper[0] : binary;
  const argv = wrapper.length ? [...wrapper.slice(1), binary, ...args] : args;
  return toRun(spawnSync(cmd, argv, { input: lines.join('\n') + '\n', encoding: 'utf8', maxBuffer: 64 << 20 }));
}

/** Runs the same lines through the model's `vdpa-lab exec`. */
export function runModel(lines: string[]): Run {
  const dir = mkdtempSync(join(tmpdir(), 'vdpa-probe-'));
  const file = join(dir, 's.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return toRun(spawnSync(process.execPath, [CLI, 'exec', file], { encoding: 'utf8', maxBuffer: 64 << 20 }));
}
