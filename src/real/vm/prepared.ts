/** A prepared kernel as the VM runner uses it: paths, release, each module's parameters. */
import { join } from 'node:path';
import { VdpaLabError } from '../../errors.js';
import { kernelCacheDir } from '../cache.js';
import { resolveKernel } from '../kernels.js';
import { readValidManifest, type KernelManifest } from '../prepare/manifest.js';

export interface PreparedKernel {
  alias: string;
  release: string;
  dir: string;
  vmlinuzPath: string;
  initramfsPath: string;
  /** module -> its parameter names (from the module's .modinfo). */
  moduleParams: Record<string, string[]>;
  manifest: KernelManifest;
}

/** The kernel is not in the cache (or its entry is incomplete). Environment failure: exit 1. */
export class KernelNotPreparedError extends VdpaLabError {
  override name = 'KernelNotPreparedError';
}

export function readPreparedKernel(name: string): PreparedKernel {
  const k = resolveKernel(name);
  const dir = kernelCacheDir(k.release);
  const { manifest, reason } = readValidManifest(dir, k);
  if (!manifest) {
    throw new KernelNotPreparedError(`kernel ${k.alias} (${k.release}) is ${reason === 'not prepared' ? 'not prepared' : `not usable: ${reason}`}: run 'vdpa-lab kernels prepare --kernel ${k.alias}'`);
  }
  return {
    alias: k.alias,
    release: k.release,
    dir,
    vmlinuzPath: join(dir, manifest.vmlinuz),
    initramfsPath: join(dir, manifest.initramfs),
    moduleParams: Object.fromEntries(manifest.modules.map((m) => [m.name, m.params])),
    manifest,
  };
}
