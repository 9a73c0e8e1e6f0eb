/**
 * Which Debian packages a QEMU release needs, as apt itself resolves them in
 * the suite's own package lists (the lab's apt configuration, apt-suite.ts):
 * `qemu-system-x86`'s Depends, recursively, kept to the shared libraries and
 * the QEMU packages whose files a `-kernel` boot reads (the binary, its TCG
 * module, SeaBIOS and the linuxboot option ROM). ipxe-qemu is not needed:
 * the recorder's NIC is `romfile=`-less. Then `apt-get download` of those.
 */
import { readdirSync } from 'node:fs';
import { VdpaLabError } from '../../errors.js';
import { aptSuiteOptions, ensureSuiteLists } from '../prepare/apt-suite.js';
import { runCommand } from '../run-command.js';
import type { QemuRelease } from './releases.js';

/** The packages whose files go into a prepared QEMU besides shared libraries. */
export const QEMU_PACKAGES = ['qemu-system-x86', 'qemu-system-common', 'qemu-system-data', 'seabios'] as const;

/** Library packages not named lib*: the ones qemu-system-x86 links, directly or not. */
const OTHER_LIBRARY_PACKAGES = new Set(['zlib1g']);

const DEPENDS_FLAGS = ['--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances'];

/**
 * The lab's apt options for a suite, plus an empty dpkg status: the host's
 * installed versions (bookworm-security's, say) would otherwise be the
 * candidates, and the suite's lists have no source to download them from.
 */
export function qemuAptOptions(r: QemuRelease): string[] {
  return [...aptSuiteOptions(r.suite), '-o', 'Dir::State::status=/dev/null'];
}

/** `apt-cache policy` of the suite: the version apt would download. */
export async function candidateVersion(r: QemuRelease, pkg = 'qemu-system-x86'): Promise<string> {
  const { stdout } = await runCommand('apt-cache', [...qemuAptOptions(r), 'policy', pkg]);
  const m = /Candidate:\s*(\S+)/.exec(stdout.toString('utf8'));
  if (!m || m[1] === '(none)') throw new VdpaLabError(`Debian ${r.suite} has no ${pkg} in its package lists (apt-cache policy ${pkg})`);
  return m[1];
}

/**
 * Each package's Depends and Pre-Depends in `apt-cache depends` output, the
 * first of each set of alternatives only (apt marks a line whose next line is
 * its alternative with '|'), virtual names (<bracketed>) and other
 * architectures (a colon) left out.
 */
export function parseDepends(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | null = null;
  let alternative = false;
  for (const line of text.split('\n')) {
    if (/^[a-z0-9][a-z0-9.+-]*$/.test(line)) {
      current = [];
      out.set(line, current);
      alternative = false;
      continue;
    }
    const m = /^\s(\||\s)(?:Pre)?Depends: (\S+)$/.exec(line);
    if (!m || !current) continue;
    const skip = alternative;
    alternative = m[1] === '|';
    if (skip || !/^[a-z0-9][a-z0-9.+-]*$/.test(m[2])) continue;
    current.push(m[2]);
  }
  return out;
}

/** What a prepared QEMU is made of: the QEMU packages and every library package among the Depends. */
export function neededPackages(all: readonly string[]): string[] {
  const qemu: readonly string[] = QEMU_PACKAGES;
  return all.filter((n) => qemu.includes(n) || n.startsWith('lib') || OTHER_LIBRARY_PACKAGES.has(n)).filter((n) => n !== 'libc-bin' && !n.endsWith('-dev'));
}

/** Breadth-first over Depends, one `apt-cache depends` per level, keeping to neededPackages. */
async function resolvePackages(r: QemuRelease): Promise<string[]> {
  const seen = new Set<string>(QEMU_PACKAGES);
  let level: string[] = [...QEMU_PACKAGES];
  while (level.length > 0) {
    const { stdout } = await runCommand('apt-cache', [...qemuAptOptions(r), 'depends', ...DEPENDS_FLAGS, ...level]);
    const next: string[] = [];
    for (const deps of parseDepends(stdout.toString('utf8')).values()) {
      for (const d of neededPackages(deps)) if (!seen.has(d)) (seen.add(d), next.push(d));
    }
    level = next;
  }
  return [...seen];
}

export interface SuiteDownload {
  /** The suite's qemu-system-x86 version (`1:10.0.13+ds-0+deb13u1`). */
  packageVersion: string;
  /** `.deb` files, downloaded into `dir`. */
  debs: string[];
}

/** Lists, candidate check, depends resolution, download: every step through the lab's apt configuration of the suite. */
export async function downloadQemuPackages(r: QemuRelease, dir: string, say: (line: string) => void): Promise<SuiteDownload> {
  await ensureSuiteLists(r.suite);
  const packageVersion = await candidateVersion(r);
  // Epoch 1 and then the upstream version: 1:7.2+dfsg-7+deb12u18, 1:10.0.13+ds-0+deb13u1.
  if (!new RegExp(`^(\\d+:)?${r.alias.replace('.', '\\.')}[.+~-]`).test(packageVersion)) {
    throw new VdpaLabError(`Debian ${r.suite}'s qemu-system-x86 is ${packageVersion} now, not a ${r.alias} release: the release table (src/real/qemu/releases.ts) needs updating`);
  }
  const names = await resolvePackages(r);
  say(`[qemu ${r.alias}] ${r.suite}: qemu-system-x86 ${packageVersion}, ${names.length} packages (QEMU, SeaBIOS and the shared libraries it needs)`);
  await runCommand('apt-get', [...qemuAptOptions(r), 'download', '-q', ...names], { cwd: dir });
  const debs = readdirSync(dir).filter((f) => f.endsWith('.deb'));
  if (debs.length < names.length) throw new VdpaLabError(`apt-get download left ${debs.length} of ${names.length} packages in ${dir}`);
  return { packageVersion, debs };
}
