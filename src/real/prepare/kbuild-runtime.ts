/**
 * Kbuild host tools from a newer suite than the host: unstable's modpost and
 * objtool are linked against glibc 2.38+, bookworm has 2.36. Each such tool is
 * moved aside and replaced by a two-line shell script that runs it through the
 * suite's own dynamic loader with the suite's libraries (STACK.md, "Newer
 * Debian suites"), so make runs them as it would on that suite. The host's
 * system libraries stay untouched; nothing is installed.
 */
import { chmodSync, existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VdpaLabError } from '../../errors.js';
import type { RealKernel } from '../kernels.js';

/** The multiarch library directory of an unpacked Debian runtime (libc6 puts the loader there too). */
const LIB_DIR = 'usr/lib/x86_64-linux-gnu';

/** The wrapper that stands in for `real`: the suite's loader, the suite's libraries first, then the host's. */
export function loaderScript(libDir: string, real: string): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `#!/bin/sh\nexec ${q(join(libDir, 'ld-linux-x86-64.so.2'))} --library-path ${q(libDir)} ${q(real)} "$@"\n`;
}

/** Wraps `k.kbuildRuntime.tools` inside the extracted kbuild package under `headersRoot`, with libraries from `runtimeRoot`. */
export function installKbuildRuntime(k: RealKernel, headersRoot: string, runtimeRoot: string): void {
  if (!k.kbuildRuntime) return;
  const libDir = join(runtimeRoot, LIB_DIR);
  if (!existsSync(join(libDir, 'ld-linux-x86-64.so.2'))) throw new VdpaLabError(`${libDir}: no ld-linux-x86-64.so.2 in the unpacked ${k.suite} runtime`);
  const kbuildDir = join(headersRoot, 'usr/lib', k.kbuild.name);
  for (const tool of k.kbuildRuntime.tools) {
    const path = join(kbuildDir, tool);
    if (!existsSync(path)) throw new VdpaLabError(`${k.kbuild.name} has no ${tool}: the kbuild runtime table in kernels.ts is out of date`);
    renameSync(path, `${path}.bin`);
    writeFileSync(path, loaderScript(libDir, `${path}.bin`));
    chmodSync(path, 0o755);
  }
}
