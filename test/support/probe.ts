/**
 * Helpers for the real-kernel probe's tests (native/, issue #11): where the
 * built binary is, and how to run a script through it or through the model's
 * `exec` for the same lines.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isInputError } from '../../src/errors.js';
import { Session } from '../../src/kernel/index.js';
import { tempDir } from './temp-dir.js';

/**
 * Bad third lines (after an open and a set_owner) that both the probe and
 * the model refuse: the bad lines of cli-exec.test.ts, then more of each
 * field reader, lines that are not JSON (the probe's reason is jansson's,
 * the model's V8's) and JavaScript's renderings of a value.
 */
export const MALFORMED_LINES: readonly string[] = [
  '{"op":"update","iova":"0x1g","size":"0x1000","uaddr":"0x0","perm":"rw"}',
  '{"op":"update","iova":4096,"size":"0x1000","uaddr":"0x0","perm":"rw"}',
  '{"op":"update","iova":"0x10000000000000000","size":"0x1000","uaddr":"0x0","perm":"rw"}',
  '{"op":"frobnicate"}',
  '{"op":"update", oops',
  '{"op":"mmap","uaddr":"0x1001","size":"0x1000"}',
  '{"op":"update","iova":"0x0","size":"0x1000","perm":"rw"}',
  '{"op":"update","iova":"0x0","size":"0x1000","uaddr":"0x0","perm":[1,{"b":2,"1":3}]}',
  '{"op":"update","iova":"0x0","size":"0x1000","uaddr":"0x0","perm":"rw","asid":1e21}',
  '{"op":"update","iova":"0x0","size":"0x1000","uaddr":"0x0","perm":"rw","msgType":1e-7}',
  '{"op":"set_owner","device":[1,null,"a"]}',
  '{"op":"set_backend_features","features":["IOTLB_BATCH","NOPE"]}',
  '{"op":"set_status","status":["DRIVER","X"]}',
  '{"op":"set_group_asid","group":0}',
  '{"op":"iotlb","type":2,"uaddr":"0x0"}',
  '{"op":"setrlimit","memlock":"lots"}',
  '{"op":"mmap","uaddr":"0xfffffffffffff000","size":"0x2000"}',
  '{"nop":5}',
  '[1,2]',
  '{"op":"x\\u12g4"}',
  '{"op":"x\\',
  '{"op":01}',
  '{"op":1.e5}',
  '{"a":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,x]}',
  '{"a":"\u20ac\u20ac\u20ac\u20ac\u20ac\u20ac\u20ac\u20ac\u20ac\u20ac",  x}',
  '{"a":1}x',
  'NaN',
];

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
  // A probe refusing its arguments exits before reading the script: writing it then fails with EPIPE.
  if (r.error && !((r.error as NodeJS.ErrnoException).code === 'EPIPE' && r.status !== null)) throw r.error;
  const answers = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Answer);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, answers };
}

/** Runs script lines through a probe binary (the built one unless `binary` says otherwise). */
export function runProbe(lines: string[], args: string[] = [], binary = PROBE, wrapper: string[] = []): Run {
  const cmd = wrapper.length ? wrapper[0] : binary;
  const argv = wrapper.length ? [...wrapper.slice(1), binary, ...args] : args;
  return toRun(spawnSync(cmd, argv, { input: lines.join('\n') + '\n', encoding: 'utf8', maxBuffer: 64 << 20 }));
}

/**
 * The model's `exec` in this process: its Session line by line, and a bad
 * line's InputError as the CLI prints it (run-action.ts's reportError). A
 * spawn of the CLI costs about 0.6 s of Node startup; the tests check once
 * that both say the same.
 */
export function runModelInProcess(lines: string[]): Run {
  const session = new Session();
  let stdout = '';
  for (let i = 0; i < lines.length; i++) {
    try {
      const answer = session.runLine(lines[i], i + 1);
      if (answer) stdout += JSON.stringify(answer) + '\n';
    } catch (err) {
      if (!isInputError(err)) throw err;
      return { status: 2, stdout, stderr: `error: ${err.message}\n`, answers: stdout.split('\n').filter((l) => l).map((l) => JSON.parse(l) as Answer) };
    }
  }
  return { status: 0, stdout, stderr: '', answers: stdout.split('\n').filter((l) => l).map((l) => JSON.parse(l) as Answer) };
}

/** Runs the same lines through the model's `vdpa-lab exec`. */
export function runModel(lines: string[]): Run {
  const dir = tempDir('probe');
  const file = join(dir, 's.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return toRun(spawnSync(process.execPath, [CLI, 'exec', file], { encoding: 'utf8', maxBuffer: 64 << 20 }));
}
