/**
 * Where prepared kernels live: `$VDPA_LAB_CACHE`, else `$XDG_CACHE_HOME/vdpa-lab`,
 * else `~/.cache/vdpa-lab` (the XDG base-directory default).
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VDPA_LAB_CACHE) return resolve(env.VDPA_LAB_CACHE);
  if (env.XDG_CACHE_HOME) return resolve(env.XDG_CACHE_HOME, 'vdpa-lab');
  return join(homedir(), '.cache', 'vdpa-lab');
}

/** The directory of one prepared kernel, named by its `uname -r`. */
export function kernelCacheDir(release: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'kernels', release);
}

/** Downloaded .deb files, shared by every kernel (busybox and iproute2 serve both). */
export function debCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'debs');
}
