/**
 * Step 3: build the modules Debian's kernel lacks, out of tree, against the
 * extracted headers package. The sources are copied flat into one directory
 * with a Kbuild of our own listing exactly those modules, so the tree's own
 * Makefiles (and their CONFIG_ switches for modules we do not want) stay out of it.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { InputError } from '../../errors.js';
import type { RealKernel } from '../kernels.js';
import { CommandFailedError, runCommand } from '../run-command.js';

/**
 * A flat directory can hold one `vdpa.c` only: drivers/vhost/vdpa.c (the
 * vhost_vdpa module) is renamed, since drivers/vdpa/vdpa.c keeps its name.
 */
function flatName(moduleName: string, sourcePath: string): string {
  const base = basename(sourcePath);
  if (sourcePath === 'drivers/vhost/vdpa.c') return `${moduleName}_main.c`;
  return base;
}

export function kbuildText(k: RealKernel): string {
  const lines = [`# Written by vdpa-lab: the modules Debian's ${k.release} build lacks.`];
  lines.push(`obj-m := ${k.buildModules.map((m) => `${m.name}.o`).join(' ')}`);
  for (const m of k.buildModules) {
    const objects = m.sources.filter((s) => s.endsWith('.c')).map((s) => flatName(m.name, s).replace(/\.c$/, '.o'));
    if (objects.length !== 1 || objects[0] !== `${m.name}.o`) lines.push(`${m.name}-y := ${objects.join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * The module a compiler error belongs to, and that error: the first line of
 * make's output with `error:` that make itself did not print
 * (`vdpa_sim.c:12:3: error: ...`, or `gcc-12: error: unrecognized
 * command-line option ...`). The module is the one whose source the line
 * names, else the object make's first `*** [...: X.o] Error` names. Null when
 * no compiler error is shown (a tool failed, not the compiler).
 */
export function firstCompileError(k: RealKernel, output: string): { module: string; error: string } | null {
  const lines = output.split('\n');
  const error = lines.find((l) => /\berror: /.test(l) && !/^make(\[\d+\])?: /.test(l));
  if (!error) return null;
  const ownerOf = (file: string) => k.buildModules.find((m) => m.sources.some((s) => flatName(m.name, s) === file));
  const named = ownerOf(basename(error.slice(0, error.indexOf(':'))));
  const target = lines.map((l) => /^make(?:\[\d+\])?: \*\*\* \[[^\]]*: ([\w.-]+)\.o\] Error/.exec(l)?.[1]).find((t) => t !== undefined);
  const owner = named ?? (target ? ownerOf(`${target}.c`) : undefined) ?? k.buildModules[0];
  return { module: owner.name, error: error.trim() };
}

/**
 * Copies the sources from `sourceRoot` (linux-source-X/), writes the Kbuild,
 * points the headers' Makefile at the extracted copies (it names the -common
 * Makefile, and in 7.2 its KBUILD_OUTPUT, by absolute /usr/src paths), and
 * runs make. Returns name -> .ko path. A compiler error is bad input for the
 * lab (the source table does not build): one line naming the module, exit 2.
 */
export async function buildModules(k: RealKernel, sourceRoot: string, headersRoot: string, buildDir: string): Promise<Map<string, string>> {
  mkdirSync(buildDir, { recursive: true });
  for (const m of k.buildModules) {
    for (const s of m.sources) copyFileSync(join(sourceRoot, s), join(buildDir, flatName(m.name, s)));
  }
  writeFileSync(join(buildDir, 'Kbuild'), kbuildText(k));

  const archHeaders = join(headersRoot, 'usr/src', `linux-headers-${k.release}`);
  const commonHeaders = join(headersRoot, 'usr/src', `linux-headers-${k.release.replace(/-amd64$/, '-common')}`);
  const makefile = join(archHeaders, 'Makefile');
  writeFileSync(makefile, readFileSync(makefile, 'utf8').replaceAll('/usr/src/', `${join(headersRoot, 'usr/src')}/`));
  if (!readFileSync(makefile, 'utf8').includes(`include ${commonHeaders}/Makefile`)) {
    throw new InputError(`${k.headers.name}: Makefile`, `does not include ${commonHeaders.slice(headersRoot.length)}/Makefile: the headers package is laid out otherwise than the lab expects`);
  }

  try {
    await runCommand('make', [
      '-C',
      archHeaders,
      `M=${buildDir}`,
      // The headers package has no vmlinux BTF for pahole to split against (6.1), and the lab needs no BTF.
      'CONFIG_DEBUG_INFO_BTF_MODULES=',
      ...k.makeVars,
      `-j${availableParallelism()}`,
      'modules',
    ]);
  } catch (e) {
    const found = e instanceof CommandFailedError ? firstCompileError(k, e.output) : null;
    if (found) throw new InputError(`module ${found.module}`, `cannot be built for ${k.release}: ${found.error}`);
    throw e;
  }
  const built = new Map<string, string>();
  for (const m of k.buildModules) {
    const ko = join(buildDir, `${m.name}.ko`);
    if (!existsSync(ko)) throw new Error(`make finished but ${ko} is missing`);
    built.set(m.name, ko);
  }
  return built;
}
