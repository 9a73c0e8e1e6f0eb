/**
 * Where `npm run build` puts the probe (native/build.sh -> dist/native/), and
 * the one error that says how to get it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VdpaLabError } from '../errors.js';

/** dist/src/real/probe-path.js -> dist/native/vdpa-probe. */
export function defaultProbePath(): string {
  return fileURLToPath(new URL('../../native/vdpa-probe', import.meta.url));
}

export class ProbeMissingError extends VdpaLabError {
  override name = 'ProbeMissingError';
}

export function requireProbe(path = defaultProbePath()): string {
  if (!existsSync(path)) {
    throw new ProbeMissingError(`the real-kernel probe is not built (${path}): install gcc and the static C library (apt-get install gcc libc6-dev), then npm run build`);
  }
  return path;
}
