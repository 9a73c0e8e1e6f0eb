/**
 * Step 5: the base initramfs, built once per kernel and reused by every run:
 * busybox-static, iproute2's `vdpa` with the shared libraries it links (taken
 * from the host, as `ldd` resolves them), the modules, and /init.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VdpaLabError } from '../../errors.js';
import { writeCpio, type CpioEntry } from '../cpio.js';
import { GUEST_PATHS } from '../guest-protocol.js';
import { JOB_MODULES, PARENT_MODULES } from '../kernels.js';
import { runCommand } from '../run-command.js';
import type { CollectedModule } from './collect-modules.js';
import { initScript } from './init-script.js';

/** Collects entries and adds each parent directory once, before its first child. */
class Tree {
  readonly entries: CpioEntry[] = [];
  private readonly dirs = new Set<string>();

  dir(path: string): void {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (!this.dirs.has(p)) {
        this.dirs.add(p);
        this.entries.push({ kind: 'dir', path: p });
      }
    }
  }

  file(path: string, data: Uint8Array, mode = 0o644): void {
    this.dir(path.slice(0, path.lastIndexOf('/')));
    this.entries.push({ kind: 'file', path, data, mode });
  }

  symlink(path: string, target: string): void {
    this.dir(path.slice(0, path.lastIndexOf('/')));
    this.entries.push({ kind: 'symlink', path, target });
  }
}

/**
 * The host libraries a dynamically linked program needs, from `ldd` (the
 * interpreter included). One that ldd cannot find is an error naming it.
 */
export async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await runCommand('ldd', [binary]);
  const libs: string[] = [];
  for (const line of stdout.toString('utf8').split('\n')) {
    const missing = line.match(/^\s*(\S+) => not found/);
    if (missing) throw new VdpaLabError(`${binary} needs ${missing[1]}, which this host does not have: install the package that provides it (apt-file search ${missing[1]})`);
    const resolved = line.match(/=>\s*(\/\S+)/) ?? line.match(/^\s*(\/\S+)\s/);
    if (resolved) libs.push(resolved[1]);
  }
  return libs;
}

export interface InitramfsInputs {
  release: string;
  busybox: string;
  vdpaTool: string;
  modules: readonly CollectedModule[];
}

export async function buildBaseInitramfs(inp: InitramfsInputs): Promise<{ archive: Buffer; libraries: string[] }> {
  const t = new Tree();
  for (const d of ['proc', 'sys', 'dev', 'tmp', 'bin', 'sbin', 'usr/bin', 'usr/sbin', GUEST_PATHS.jobsDir]) t.dir(d);
  t.file('bin/busybox', readFileSync(inp.busybox), 0o755);
  t.symlink('bin/sh', 'busybox');
  t.file('init', Buffer.from(initScript()), 0o755);
  t.file('sbin/vdpa', readFileSync(inp.vdpaTool), 0o755);
  const libraries = await sharedLibraries(inp.vdpaTool);
  for (const lib of libraries) t.file(lib.replace(/^\//, ''), readFileSync(lib), 0o755);

  const modDir = join(GUEST_PATHS.modulesDir, inp.release).replace(/^\//, '');
  for (const m of inp.modules) t.file(`${modDir}/${m.name}.ko`, m.bytes);
  const jobModules: readonly string[] = [...JOB_MODULES, ...PARENT_MODULES];
  const baseOrder = inp.modules.filter((m) => !jobModules.includes(m.name)).map((m) => m.name);
  t.file(GUEST_PATHS.baseOrder.replace(/^\//, ''), Buffer.from(baseOrder.join('\n') + '\n'));
  return { archive: writeCpio(t.entries), libraries };
}
