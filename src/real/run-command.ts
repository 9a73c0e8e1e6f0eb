/**
 * Runs one host program to completion and keeps its output, so a failure can
 * say what ran and the tail of what it printed.
 */
import { spawn } from 'node:child_process';
import { VdpaLabError } from '../errors.js';

/** A host program exited non-zero (or could not start). Environment failure: exit 1. */
export class CommandFailedError extends VdpaLabError {
  override name = 'CommandFailedError';
  constructor(
    readonly command: string,
    readonly detail: string,
    /** Everything the program printed (stderr, then stdout), for callers that look for one line in it. */
    readonly output = '',
  ) {
    super(`${command} failed: ${detail}`);
  }
}

export interface CommandResult {
  stdout: Buffer;
  stderr: string;
}

/** How much of a failing command's stderr goes into the error line. */
const stderrTailChars = 600;

export function runCommand(
  file: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: Buffer | string } = {},
): Promise<CommandResult> {
  const shown = [file, ...args].join(' ');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new CommandFailedError(shown, e.message)));
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) return resolvePromise({ stdout: Buffer.concat(out), stderr });
      const tail = (stderr.trim() || Buffer.concat(out).toString('utf8').trim()).slice(-stderrTailChars);
      reject(new CommandFailedError(shown, `${signal ? `killed by ${signal}` : `exit ${code}`}${tail ? `: ${tail}` : ''}`, `${stderr}\n${Buffer.concat(out).toString('utf8')}`));
    });
    child.stdin.on('error', () => {
      // the program may exit before reading its input; its exit code tells the story
    });
    child.stdin.end(opts.stdin ?? '');
  });
}
