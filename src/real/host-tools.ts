/**
 * Host programs the real-kernel backend shells out to, and the Debian package
 * that provides each, so a missing one is one line naming both.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { VdpaLabError } from '../errors.js';

/** Program -> the apt package that installs it. */
export const TOOL_PACKAGES = {
  'apt-get': 'apt',
  'dpkg-deb': 'dpkg',
  make: 'make',
  // Debian's kernel headers name gcc-12 as CC (their .kernelvariables), not plain gcc.
  'gcc-12': 'gcc-12',
  tar: 'tar',
  xz: 'xz-utils',
  ldd: 'libc-bin',
  'qemu-system-x86_64': 'qemu-system-x86',
} as const;

export type HostTool = keyof typeof TOOL_PACKAGES;

/** A host program the backend needs is not on PATH. Environment failure: exit 1. */
export class MissingToolError extends VdpaLabError {
  override name = 'MissingToolError';
  constructor(readonly tool: HostTool) {
    super(`${tool} not found on PATH: install it with 'apt-get install ${TOOL_PACKAGES[tool]}'`);
  }
}

/** The absolute path of `tool` on PATH, or null. */
export function findOnPath(tool: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, tool);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** Throws MissingToolError for the first of `tools` that is not installed. */
export function requireTools(tools: readonly HostTool[], path = process.env.PATH ?? ''): void {
  for (const tool of tools) if (!findOnPath(tool, path)) throw new MissingToolError(tool);
}
