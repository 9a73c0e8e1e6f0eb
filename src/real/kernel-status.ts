/** What `kernels list` shows: each known kernel, prepared or not, and the disk it uses. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, debCacheDir, kernelCacheDir } from './cache.js';
import { REAL_KERNELS } from './kernels.js';
import { readValidManifest } from './prepare/manifest.js';

export interface KernelStatus {
  alias: string;
  release: string;
  generation: string;
  prepared: boolean;
  /** Why not, when not prepared. */
  reason?: string;
  dir: string;
  bytesOnDisk: number;
  /** vdpa_sim's and vhost_vdpa's parameters, when prepared. */
  params?: Record<string, string[]>;
  prepareMs?: number;
}

export function bytesUnder(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of readdirSync(path)) total += bytesUnder(join(path, name));
  return total;
}

export function kernelStatuses(): { cacheDir: string; debBytes: number; kernels: KernelStatus[] } {
  const kernels = REAL_KERNELS.map((k): KernelStatus => {
    const dir = kernelCacheDir(k.release);
    const { manifest, reason } = readValidManifest(dir, k);
    const base = { alias: k.alias, release: k.release, generation: k.generation, dir, bytesOnDisk: bytesUnder(dir) };
    if (!manifest) return { ...base, prepared: false, reason };
    const params = Object.fromEntries(manifest.modules.filter((m) => m.name === 'vdpa_sim' || m.name === 'vhost_vdpa').map((m) => [m.name, m.params]));
    return { ...base, prepared: true, params, prepareMs: manifest.timingsMs.total };
  });
  return { cacheDir: cacheRoot(), debBytes: bytesUnder(debCacheDir()), kernels };
}
