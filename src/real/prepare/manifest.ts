/**
 * manifest.json: written last into a prepared kernel's directory, so its
 * presence (with the files it names at the sizes it records, and the package
 * versions the table pins today) is what makes a cache entry valid.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { kernelDebs, type RealKernel } from '../kernels.js';
import { initScript } from './init-script.js';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_VERSION = 1;

export interface ManifestModule {
  name: string;
  from: 'image' | 'built';
  depends: string[];
  /** Parameter names, as `modinfo -p` lists them. */
  params: string[];
  bytes: number;
}

export interface KernelManifest {
  manifestVersion: typeof MANIFEST_VERSION;
  alias: string;
  release: string;
  generation: string;
  /** `name=version` of every package used: a table change invalidates the entry. */
  packages: string[];
  /** sha256 of the guest's /init: a changed init script invalidates the entry too. */
  initSha256: string;
  vmlinuz: string;
  initramfs: string;
  vmlinuzBytes: number;
  initramfsBytes: number;
  /** Modules in load order. */
  modules: ManifestModule[];
  /** Host libraries copied in for the `vdpa` tool. */
  libraries: string[];
  /** Milliseconds per step and in total. */
  timingsMs: Record<string, number>;
  preparedAt: string;
}

/** The guest /init this lab writes today, hashed. */
export function initSha256(): string {
  return createHash('sha256').update(initScript()).digest('hex');
}

export function packagesKey(k: RealKernel): string[] {
  return kernelDebs(k).map((d) => `${d.name}=${d.version}`);
}

/** The manifest if `dir` holds a complete entry for `k` as pinned today, else null with the reason. */
export function readValidManifest(dir: string, k: RealKernel): { manifest: KernelManifest | null; reason: string } {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) return { manifest: null, reason: existsSync(dir) ? 'no manifest (an interrupted prepare)' : 'not prepared' };
  let m: KernelManifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as KernelManifest;
  } catch {
    return { manifest: null, reason: 'manifest.json is not valid JSON' };
  }
  if (m.manifestVersion !== MANIFEST_VERSION) return { manifest: null, reason: `manifest version ${m.manifestVersion}, expected ${MANIFEST_VERSION}` };
  if (m.release !== k.release || JSON.stringify(m.packages) !== JSON.stringify(packagesKey(k))) {
    return { manifest: null, reason: 'prepared from other package versions' };
  }
  if (m.initSha256 !== initSha256()) return { manifest: null, reason: "prepared with another version of the guest's /init" };
  for (const [file, bytes] of [
    [m.vmlinuz, m.vmlinuzBytes],
    [m.initramfs, m.initramfsBytes],
  ] as const) {
    const p = join(dir, file);
    if (!existsSync(p) || statSync(p).size !== bytes) return { manifest: null, reason: `${file} is missing or has the wrong size` };
  }
  return { manifest: m, reason: '' };
}

/** Does `module` have parameter `param`? Answers from the manifest, i.e. from the module's own .modinfo. */
export function moduleHasParam(m: KernelManifest, module: string, param: string): boolean {
  return m.modules.some((mod) => mod.name === module && mod.params.includes(param));
}
