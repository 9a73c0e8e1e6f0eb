/**
 * One place where errors become exit codes and one-line messages.
 * Exit codes: 0 ok, 1 failure (regression, failed cells, internal error),
 * 2 bad input (InputError, or a usage error from commander).
 */
import { isInputError, VdpaLabError, writeFault } from '../errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

/** The promise is one line: a message quoting the input (V8's JSON errors do) keeps its newlines out. */
const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();

export function reportError(err: unknown): number {
  if (isInputError(err)) {
    process.stderr.write(`error: ${oneLine((err as Error).message)}\n`);
    return EXIT_BAD_INPUT;
  }
  if (err instanceof VdpaLabError) {
    process.stderr.write(`error: ${oneLine(err.message)}\n`);
    return err.exitCode;
  }
  // A write fault raised where no file name was at hand (Node names the path it failed on).
  const fault = writeFault(err, (err as NodeJS.ErrnoException | null)?.path ?? '');
  if (fault instanceof VdpaLabError && (err as NodeJS.ErrnoException).path) {
    process.stderr.write(`error: ${fault.message}\n`);
    return EXIT_FAILURE;
  }
  const e = err as Error;
  process.stderr.write(`internal error: ${e?.message ?? String(err)}\n`);
  if (process.env.VDPA_LAB_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
  else process.stderr.write('(set VDPA_LAB_DEBUG=1 for a stack trace)\n');
  return EXIT_FAILURE;
}

/** Wraps a commander action: its resolved number (or 0) is the exit code. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void> | number | void) {
  return async (...args: A): Promise<void> => {
    try {
      process.exitCode = (await fn(...args)) ?? EXIT_OK;
    } catch (err) {
      process.exitCode = reportError(err);
    }
  };
}
