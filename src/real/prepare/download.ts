/**
 * Step 1: fetch pinned .deb files with `apt-get download NAME=VERSION` into
 * the shared deb cache. Each download lands in a private temp directory and is
 * renamed into place, so a file in the cache is always a complete one.
 */
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DebianSuite, PinnedDeb } from '../kernels.js';
import { runCommand } from '../run-command.js';
import { aptSuiteOptions, ensureSuiteLists } from './apt-suite.js';

/** apt's file name for a package version: the epoch colon is written %3a. */
function debFilePrefix(deb: PinnedDeb): string {
  return `${deb.name}_${deb.version.replace(/:/g, '%3a')}_`;
}

function findDeb(dir: string, deb: PinnedDeb): string | null {
  const prefix = debFilePrefix(deb);
  const hit = readdirSync(dir).find((f) => f.startsWith(prefix) && f.endsWith('.deb'));
  return hit ? join(dir, hit) : null;
}

/**
 * `apt-get download` of pinned versions: bookworm's through the system's apt,
 * another suite's through the lab's own configuration, whose lists are
 * fetched once and refreshed (then retried once) when a pinned version is not in them.
 */
async function aptDownload(names: string[], cwd: string, suite: DebianSuite): Promise<void> {
  const args = ['download', '-q', ...names];
  if (suite === 'bookworm') {
    await runCommand('apt-get', args, { cwd });
    return;
  }
  await ensureSuiteLists(suite);
  try {
    await runCommand('apt-get', [...aptSuiteOptions(suite), ...args], { cwd });
  } catch {
    await ensureSuiteLists(suite, { refresh: true });
    await runCommand('apt-get', [...aptSuiteOptions(suite), ...args], { cwd });
  }
}

/** Returns name -> path of each deb; downloads only the ones not already cached. */
export async function downloadDebs(debs: readonly PinnedDeb[], cacheDir: string, suite: DebianSuite = 'bookworm'): Promise<{ paths: Map<string, string>; downloaded: number }> {
  mkdirSync(cacheDir, { recursive: true });
  const paths = new Map<string, string>();
  const missing = debs.filter((d) => {
    const found = findDeb(cacheDir, d);
    if (found) paths.set(d.name, found);
    return !found;
  });
  if (missing.length > 0) {
    const tmp = mkdtempSync(join(cacheDir, '.download-'));
    try {
      await aptDownload(missing.map((d) => `${d.name}=${d.version}`), tmp, suite);
      for (const d of missing) {
        const got = findDeb(tmp, d);
        if (!got) throw new Error(`apt-get download left no file for ${d.name}=${d.version} in ${tmp}`);
        const final = join(cacheDir, got.slice(tmp.length + 1));
        renameSync(got, final);
        paths.set(d.name, final);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { paths, downloaded: missing.length };
}
