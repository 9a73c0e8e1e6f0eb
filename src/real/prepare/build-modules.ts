/**
 * Step 3: build the modules Debian's kernel lacks, out of tree, against the
 * extracted headers package. The sources are copied flat into one directory
 * with a Kbuild of our own listing exactly those modules, so the tree's own
 * Makefiles (and their CONFIG_ switches for modules we do not want) stay out of it.
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import type { RealKernel } from '../kernels.js';
import { runCommand } from '../run-command.js';

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
 * Copies the sources from `sourceRoot` (linux-source-X/), writes the Kbuild,
 * points the headers' top Makefile at the extracted -common copy (it includes
 * it by an absolute /usr/src path), and runs make. Returns name -> .ko path.
 */
export async function buildModules(k: RealKernel, sourceRoot: string, headersRoot: string, buildDir: string): Promise<Map<string, string>> {
  mkdirSync(buildDir, { recursive: true });
  for (const m of k.buildModules) {
    for (const s of m.sources) copyFileSync(join(sourceRoot, s), join(buildDir, flatName(m.name, s)));
  }
  writeFileSync(join(buildDir, 'Kbuild'), kbuildText(k));

  const archHeaders = join(headersRoot, 'usr/src', `linux-headers-${k.release}`);
  const commonHeaders = join(headersRoot, 'usr/src', `linux-headers-${k.release.replace(/-amd64$/, '-common')}`);
  writeFileSync(join(archHeaders, 'Makefile'), `include ${commonHeaders}/Makefile\n`);

  await runCommand('make', [
    '-C',
    archHeaders,
    `M=${buildDir}`,
    // The headers package has no vmlinux BTF for pahole to split against (6.1), and the lab needs no BTF.
    'CONFIG_DEBUG_INFO_BTF_MODULES=',
    `-j${availableParallelism()}`,
    'modules',
  ]);
  const built = new Map<string, string>();
  for (const m of k.buildModules) {
    const ko = join(buildDir, `${m.name}.ko`);
    if (!existsSync(ko)) throw new Error(`make finished but ${ko} is missing`);
    built.set(m.name, ko);
  }
  return built;
}
