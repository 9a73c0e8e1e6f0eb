/**
 * `prepareKernels`: several kernels side by side. Preparing one is mostly
 * waiting (downloads) or one core busy (xz, tar, kbuild's serial steps), so on
 * a 2-core host the three took about a quarter less time side by side than one
 * after another (docs/ci.md, "CI time").
 * Each entry is still built and validated alone (prepare-kernel.ts); progress
 * lines interleave, each naming its kernel (`[7.2] build: ...`).
 */
import { InputError, isInputError, VdpaLabError } from '../../errors.js';
import { MissingToolError } from '../host-tools.js';
import type { RealKernel } from '../kernels.js';
import { prepareKernel, type PrepareOptions, type PrepareResult } from './prepare-kernel.js';

/** One or more kernels failed to prepare: names the first (in the order asked for) and the others. Exit 1. */
export class KernelPrepareError extends VdpaLabError {
  override name = 'KernelPrepareError';
  constructor(
    readonly alias: string,
    message: string,
    override readonly cause: unknown,
  ) {
    super(message);
  }
}

export interface PrepareKernelsOptions extends PrepareOptions {
  /** Stands in for prepareKernel (tests). */
  prepare?: (alias: string, opts: PrepareOptions) => Promise<PrepareResult>;
}

/**
 * The error a failed kernel is reported with: its message prefixed with the
 * kernel, keeping its kind (bad input stays exit 2). A missing host tool is the
 * host's, not one kernel's, and is the same for all: passed on as it is.
 */
function namedError(k: RealKernel, e: unknown, others: readonly string[]): unknown {
  if (e instanceof MissingToolError) return e;
  const also = others.length ? ` (${others.join(', ')} failed too)` : '';
  if (isInputError(e)) return new InputError(`kernel ${k.alias}: ${e.where}`, `${e.reason}${also}`);
  const message = e instanceof Error ? e.message : String(e);
  return new KernelPrepareError(k.alias, `kernel ${k.alias} (${k.release}): ${message}${also}`, e);
}

/**
 * Prepares `kernels` concurrently and returns their results in the order
 * given. A failure does not stop the others: every kernel that can be
 * prepared is, then the first failure (in the order given) is thrown, naming
 * its kernel; each other failure gets a progress line of its own.
 * `onResult` is called in the order given, as soon as a kernel and those
 * before it are done.
 */
export async function prepareKernels(
  kernels: readonly RealKernel[],
  opts: PrepareKernelsOptions & { onResult?: (k: RealKernel, r: PrepareResult) => void } = {},
): Promise<PrepareResult[]> {
  const { prepare = prepareKernel, onResult, ...one } = opts;
  // Started together, each settled at once (a rejection left unhandled while an earlier kernel is awaited
  // would end the process); read in order below, so results come out in the order asked for.
  const runs = kernels.map((k) =>
    prepare(k.alias, one).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
  );
  const results: PrepareResult[] = [];
  const failures: { k: RealKernel; error: unknown }[] = [];
  for (const [i, run] of runs.entries()) {
    const r = await run;
    if (r.ok) {
      results.push(r.value);
      onResult?.(kernels[i], r.value);
    } else failures.push({ k: kernels[i], error: r.error });
  }
  if (failures.length === 0) return results;
  for (const f of failures.slice(1)) {
    one.onProgress?.(`[${f.k.alias}] failed: ${f.error instanceof Error ? f.error.message : String(f.error)}`.replace(/\s*\n\s*/g, ' '));
  }
  throw namedError(failures[0].k, failures[0].error, failures.slice(1).map((f) => f.k.alias));
}
