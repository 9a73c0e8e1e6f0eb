/**
 * "May I write here?", asked by every command that writes, before it creates
 * anything. A bad `--out` is then one line and exit 2 naming the path and the
 * reason, never an internal error, and never a hang: Node's recursive mkdir
 * can loop on /proc, so nothing is created until the path has passed.
 *
 * Directories the lab makes carry a marker file naming the command that made
 * them. A command writes into (run, profile) or replaces (report) only a
 * directory it made itself, or a new or empty one: no command deletes or
 * overwrites what a user put there. Layer-free, like errors.ts.
 */
import { accessSync, constants, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, statfsSync, statSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { InputError } from './errors.js';

/** The marker file in every directory a lab command made. */
export const OUTPUT_MARKER = '.vdpa-lab-output';

/** The commands that write a directory. */
export type OutputKind = 'run' | 'report' | 'profile' | 'merge' | 'trace' | 'replay' | 'history' | 'trends' | 'qemu record';

/** statfs f_type of kernel filesystems, where output is never meant to go (include/uapi/linux/magic.h). */
const KERNEL_FILESYSTEMS: Record<number, string> = {
  0x9fa0: 'proc',
  0x62656572: 'sysfs',
  0x64626720: 'debugfs',
  0x74726163: 'tracefs',
  0x27e0eb: 'cgroup',
  0x63677270: 'cgroup2',
  0x73636673: 'securityfs',
  0xcafe4a11: 'bpf',
  0x1cd1: 'devpts',
  0x6e736673: 'nsfs',
};

/** The path itself, or its nearest ancestor that exists, with its stat. */
function nearestExisting(abs: string, flag: string): { existing: string; stat: Stats } {
  for (let p = abs; ; p = dirname(p)) {
    try {
      return { existing: p, stat: statSync(p) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // A symlink to nowhere: mkdir and rename would fail on it (or replace the user's link).
      if (code === 'ENOENT' && isSymlink(p)) throw new InputError(flag, `${p === abs ? abs : `${abs}: ${p}`} is a symlink to ${readlinkSync(p)}, which does not exist: create its target or choose another path`);
      // ENOTDIR: some ancestor is a file; keep walking up until we find it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new InputError(flag, `${abs} cannot be reached (${p}: ${code ?? (e as Error).message})`);
      if (p === dirname(p)) throw new InputError(flag, `${abs}: no part of the path exists`);
    }
  }
}

function refuseKernelFilesystem(abs: string, existing: string, flag: string): void {
  const fs = KERNEL_FILESYSTEMS[Number(statfsSync(existing).type)];
  if (!fs) return;
  const top = `/${realpathSync(existing).split(sep)[1] ?? ''}`;
  throw new InputError(flag, `${abs} is on ${top} (${fs}), a kernel filesystem: choose a directory on a disk`);
}

function refuseUnwritable(abs: string, dir: string, flag: string): void {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new InputError(flag, `${abs} is not writable (${dir}: ${(e as NodeJS.ErrnoException).code ?? 'no access'})`);
  }
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * The absolute path, with a final symlink resolved: output is written
 * through a user's link (to where it points) and the link itself is kept.
 */
function outputTarget(path: string): string {
  const abs = resolve(path);
  return isSymlink(abs) && existsTarget(abs) ? realpathSync(abs) : abs;
}

function existsTarget(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks that a directory may be created (or written) at `path`; creates
 * nothing. A symlink to a directory is followed: `path` in the answer is
 * where the output goes.
 */
export function checkOutputDir(path: string, flag: string): { path: string; exists: boolean } {
  const abs = outputTarget(path);
  const { existing, stat } = nearestExisting(abs, flag);
  refuseKernelFilesystem(abs, existing, flag);
  if (!stat.isDirectory()) {
    if (existing === abs) throw new InputError(flag, `${abs} is a file, not a directory`);
    throw new InputError(flag, `${abs}: ${existing} is a file, not a directory`);
  }
  refuseUnwritable(abs, existing, flag);
  return { path: abs, exists: existing === abs };
}

/**
 * Whose is an existing output file? `isOurs` recognises the format the
 * command writes (a lab file); anything else is the user's and is replaced
 * only with `force`. An empty file holds nothing to lose.
 */
export interface FileOwnership {
  /** What the command writes, for the refusal: "CSV export", "JUnit verdict". */
  what: string;
  isOurs: (text: string) => boolean;
  force?: boolean;
}

/** Above this an existing file is not read to recognise it: no lab output of these kinds is that big. */
const MAX_RECOGNISED_BYTES = 256 * 2 ** 20;

function refuseForeignFile(abs: string, stat: Stats, flag: string, own: FileOwnership): void {
  if (own.force || stat.size === 0) return;
  let ours = false;
  if (stat.isFile() && stat.size <= MAX_RECOGNISED_BYTES) {
    try {
      ours = own.isOurs(readFileSync(abs, 'utf8'));
    } catch {
      ours = false;
    }
  }
  if (!ours) throw new InputError(flag, `${abs} exists and is not a ${own.what} vdpa-lab wrote: --force replaces it, or choose another path`);
}

/**
 * A file the user made read-only (no write bit) stays as it is, even for
 * root, who may write anything: the mode is the user's intent. access()
 * also answers EPERM for an immutable file (chattr +i), which a rename
 * could not replace either.
 */
function refuseReadOnlyFile(abs: string, stat: Stats, flag: string): void {
  try {
    accessSync(abs, constants.W_OK);
  } catch (e) {
    throw new InputError(flag, `${abs} cannot be replaced (${(e as NodeJS.ErrnoException).code ?? 'no access'}): make it writable or choose another path`);
  }
  if ((stat.mode & 0o222) === 0) throw new InputError(flag, `${abs} is read-only (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}): make it writable (chmod u+w) or choose another path`);
}

/**
 * Checks that a file may be written atomically at `path` (a temp file
 * beside it, then a rename); creates nothing. Returns where the file goes
 * (a final symlink followed, so the link is kept). With `own`, an existing
 * file must be the lab's own kind (or `own.force` given).
 */
export function checkOutputFile(path: string, flag: string, own?: FileOwnership): string {
  const abs = outputTarget(path);
  const { existing, stat } = nearestExisting(abs, flag);
  refuseKernelFilesystem(abs, existing, flag);
  if (existing === abs) {
    if (stat.isDirectory()) throw new InputError(flag, `${abs} is a directory, not a file`);
    if (!stat.isFile()) throw new InputError(flag, `${abs} is not a regular file (a device, fifo or socket): choose a file path`);
    refuseUnwritable(abs, dirname(abs), flag);
    refuseReadOnlyFile(abs, stat, flag);
    if (own) refuseForeignFile(abs, stat, flag, own);
    return abs;
  }
  if (!stat.isDirectory()) throw new InputError(flag, `${abs}: ${existing} is a file, not a directory`);
  refuseUnwritable(abs, existing, flag);
  return abs;
}

/** The command whose marker `dir` carries, or null when it has none. */
export function markerKind(dir: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(dir, OUTPUT_MARKER), 'utf8')) as { command?: string }).command ?? 'unknown';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? null : 'unknown';
  }
}

/**
 * May `kind` use the existing directory `dir`? Yes when it is empty or carries
 * `kind`'s marker; otherwise the refusal names the directory and why.
 */
export function refuseForeignDir(dir: string, flag: string, kind: OutputKind): { empty: boolean } {
  const entries = readdirSync(dir);
  if (entries.length === 0) return { empty: true };
  const made = markerKind(dir);
  if (made === kind) return { empty: false };
  if (made === null) throw new InputError(flag, `${dir} exists and was not made by vdpa-lab (no ${OUTPUT_MARKER} marker): choose a new or empty directory`);
  throw new InputError(flag, `${dir} was made by 'vdpa-lab ${made}', not '${kind}': choose another directory`);
}

export function writeMarker(dir: string, kind: OutputKind): void {
  writeFileAtomic(join(dir, OUTPUT_MARKER), `${JSON.stringify({ madeBy: 'vdpa-lab', command: kind })}\n`);
}

/**
 * May `kind` write into the directory at `path`? Checked without creating
 * anything, so a command can check every output before it writes any.
 */
export function checkOwnDir(path: string, flag: string, kind: OutputKind, legacy?: (dir: string) => boolean): { path: string; exists: boolean } {
  const dir = checkOutputDir(path, flag);
  if (dir.exists && !(legacy?.(dir.path) && markerKind(dir.path) === null)) refuseForeignDir(dir.path, flag, kind);
  return dir;
}

/**
 * The directory `kind` writes into, created (with its marker) when missing:
 * checked first, refused when it belongs to someone else. `legacy` accepts
 * an unmarked directory an older lab version made (it is then marked).
 */
export function claimOutputDir(path: string, flag: string, kind: OutputKind, legacy?: (dir: string) => boolean): string {
  const { path: abs, exists } = checkOwnDir(path, flag, kind, legacy);
  if (!exists) mkdirSync(abs, { recursive: true });
  if (markerKind(abs) === null) writeMarker(abs, kind);
  return abs;
}

/** True when `path` is `dir` or lies inside it (after resolving symlinks of both). */
export function isInside(path: string, dir: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  const rel = relative(real(dir), real(path));
  return rel === '' || !(rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel));
}
