/**
 * The lab's own apt configuration for a Debian suite other than the host's
 * (unstable's 7.2 kernel): a sources list, package lists and apt cache under
 * the lab's cache directory, passed to apt-get with `-o`, so the user's apt
 * sources and lists are never read or changed. Everything else of apt's
 * configuration (proxies, trusted keys) is the system's, as for bookworm.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../cache.js';
import type { DebianSuite } from '../kernels.js';
import { runCommand } from '../run-command.js';

/** Used when the system's sources name no Debian mirror (the default of Debian's installer). */
export const DEFAULT_DEBIAN_MIRROR = 'http://deb.debian.org/debian';

/** The Debian mirror the system's apt already uses: the first `/debian` URI of its sources (one-line or deb822). */
export function systemDebianMirror(etcApt = '/etc/apt'): string {
  const files = [join(etcApt, 'sources.list')];
  const parts = join(etcApt, 'sources.list.d');
  if (existsSync(parts)) for (const f of readdirSync(parts).sort()) if (/\.(list|sources)$/.test(f)) files.push(join(parts, f));
  for (const file of files) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const t = line.trim();
      if (t.startsWith('#')) continue;
      const uris = /^URIs:\s*(.+)$/i.exec(t)?.[1]?.split(/\s+/) ?? (/^deb\s/.test(t) ? t.replace(/\[[^\]]*\]/, '').split(/\s+/).slice(1, 2) : []);
      const hit = uris.find((u) => /^https?:\/\/.+\/debian\/?$/.test(u));
      if (hit) return hit.replace(/\/$/, '');
    }
  }
  return DEFAULT_DEBIAN_MIRROR;
}

/** The `-o` options that point apt-get at the suite's private configuration. */
export function aptSuiteOptions(suite: DebianSuite, root = cacheRoot()): string[] {
  const dir = join(root, 'apt', suite);
  return [
    '-o', `Dir::Etc::sourcelist=${join(dir, 'sources.list')}`,
    '-o', 'Dir::Etc::sourceparts=-',
    '-o', `Dir::State::Lists=${join(dir, 'lists')}`,
    '-o', `Dir::Cache=${join(dir, 'cache')}`,
  ];
}

/** True once `apt-get update` has left the suite's package index. */
function hasPackageLists(dir: string): boolean {
  const lists = join(dir, 'lists');
  return existsSync(lists) && readdirSync(lists).some((f) => f.endsWith('_Packages'));
}

/**
 * Writes the suite's sources list and runs `apt-get update` on it, unless its
 * package lists are there already (`refresh` updates them anyway: a pinned
 * version apt no longer finds). Binary packages only: about 11 MB of lists.
 */
export async function ensureSuiteLists(suite: DebianSuite, opts: { refresh?: boolean; root?: string } = {}): Promise<void> {
  const root = opts.root ?? cacheRoot();
  const dir = join(root, 'apt', suite);
  if (hasPackageLists(dir) && !opts.refresh) return;
  mkdirSync(join(dir, 'lists', 'partial'), { recursive: true });
  mkdirSync(join(dir, 'cache', 'archives', 'partial'), { recursive: true });
  writeFileSync(join(dir, 'sources.list'), `# Written by vdpa-lab: only its own kernel downloads read this.\ndeb ${systemDebianMirror()} ${suite} main\n`);
  await runCommand('apt-get', [...aptSuiteOptions(suite, root), '-q', 'update']);
}
