/**
 * Step 4: the modules the guest loads. The wanted ones (kernels.ts) come from
 * the image where Debian ships them, else from our out-of-tree build; each
 * one's `depends=` (its .modinfo: the image has no modules.dep, depmod makes
 * it at install time) pulls in the rest. Compressed (.ko.xz) image modules are
 * decompressed, so the guest's busybox insmod needs no xz support.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VdpaLabError } from '../../errors.js';
import { WANTED_MODULES, type RealKernel } from '../kernels.js';
import { readModInfo, type ModInfo } from '../modinfo.js';
import { runCommand } from '../run-command.js';

export interface CollectedModule extends ModInfo {
  name: string;
  from: 'image' | 'built';
  bytes: Buffer;
}

/** Module names use '_' and '-' interchangeably; the kernel treats them as one. */
export function moduleKey(fileOrName: string): string {
  return fileOrName.replace(/\.ko(\.xz|\.zst|\.gz)?$/, '').replace(/-/g, '_');
}

function indexImageModules(imageRoot: string, k: RealKernel): Map<string, string> {
  const dir = join(imageRoot, k.modulesPath, 'kernel');
  const index = new Map<string, string>();
  for (const rel of readdirSync(dir, { recursive: true }) as string[]) {
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    if (/\.ko(\.xz)?$/.test(base)) index.set(moduleKey(base), join(dir, rel));
  }
  return index;
}

async function readModuleFile(path: string): Promise<Buffer> {
  if (path.endsWith('.ko')) return readFileSync(path);
  if (path.endsWith('.ko.xz')) return (await runCommand('xz', ['-dc', path])).stdout;
  throw new VdpaLabError(`${path}: unsupported module compression`);
}

/** Returns the modules in load order: every module after all it depends on. */
export async function collectModules(k: RealKernel, imageRoot: string, built: Map<string, string>): Promise<CollectedModule[]> {
  const image = indexImageModules(imageRoot, k);
  const byName = new Map<string, CollectedModule>();
  const ordered: CollectedModule[] = [];
  const visiting = new Set<string>();

  const visit = async (name: string, neededBy: string): Promise<void> => {
    if (byName.has(name)) return;
    if (visiting.has(name)) throw new VdpaLabError(`module dependency cycle through ${name}`);
    visiting.add(name);
    const builtPath = built.get(name);
    const path = builtPath ?? image.get(name);
    if (!path) throw new VdpaLabError(`module ${name} (needed by ${neededBy}) is neither in ${(k.modulesDeb ?? k.image).name} (under ${k.modulesPath.slice(2)}/{${k.imageModuleDirs.join(',')}}, the directories unpacked) nor built from source`);
    const bytes = await readModuleFile(path);
    const info = readModInfo(bytes, path);
    if (!info.vermagic.startsWith(`${k.release} `)) {
      throw new VdpaLabError(`${path}: vermagic '${info.vermagic}' is not for ${k.release}`);
    }
    for (const dep of info.depends) await visit(moduleKey(dep), name);
    visiting.delete(name);
    const mod: CollectedModule = { name, from: builtPath ? 'built' : 'image', bytes, ...info };
    byName.set(name, mod);
    ordered.push(mod);
  };
  for (const name of [...WANTED_MODULES, ...(k.parentModules ?? [])]) await visit(name, 'the guest');
  return ordered;
}
