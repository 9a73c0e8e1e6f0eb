/**
 * The one rule for tests that boot a real kernel (a Debian kernel prepared
 * by `vdpa-lab kernels prepare` in the cache, and the built probe): where
 * either is missing the test is skipped and the skip names why; under CI
 * (env CI set to anything non-empty: .ci/run prepares both) it runs and
 * fails with that reason instead, so a CI run can never pass by skipping them.
 *
 *   test('...', { skip: skipWithoutRealKernel('6.12') }, () => {
 *     requireRealKernel('6.12');
 *     ...
 *   });
 */
import { existsSync } from 'node:fs';
import { defaultProbePath } from '../../src/real/probe-path.js';
import { readPreparedKernel, type PreparedKernel } from '../../src/real/vm/index.js';

export const underCi = (): boolean => Boolean(process.env.CI);

/** Why a real-kernel test of `kernel` cannot run on this host, or undefined when it can. */
export function realKernelMissing(kernel: string, needs: { probe: boolean } = { probe: true }): string | undefined {
  if (needs.probe && !existsSync(defaultProbePath())) return `the probe is not built (${defaultProbePath()}): npm run build`;
  try {
    readPreparedKernel(kernel);
  } catch (e) {
    return (e as Error).message; // names `vdpa-lab kernels prepare --kernel KERNEL`
  }
  return undefined;
}

/** The test's `skip` option: the reason on a host without the kernel, false under CI (the test then fails in requireRealKernel). */
export function skipWithoutRealKernel(kernel: string, needs: { probe: boolean } = { probe: true }): string | false {
  const why = realKernelMissing(kernel, needs);
  return why && !underCi() ? `needs a real kernel: ${why}` : false;
}

/** The first line of a real-kernel test: the prepared kernel, or (under CI, where the test was not skipped) a failure naming what is missing. */
export function requireRealKernel(kernel: string, needs: { probe: boolean } = { probe: true }): PreparedKernel {
  const why = realKernelMissing(kernel, needs);
  if (why) throw new Error(`${underCi() ? 'CI is set, so this real-kernel test fails instead of skipping' : 'this real-kernel test cannot run here'}: ${why}`);
  return readPreparedKernel(kernel);
}
