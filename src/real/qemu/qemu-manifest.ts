/**
 * The cache of prepared QEMUs: `<cache>/qemu/<version>/` (the version its
 * binary's `--version` answers), made valid by manifest.json written last,
 * as for kernels (prepare/manifest.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { VdpaLabError } from '../../errors.js';
import { cacheRoot } from '../cache.js';
import type { QemuLayout } from './assemble.js';
import { resolveQemuRelease, type QemuRelease } from './releases.js';

export const QEMU_MANIFEST_VERSION = 1;

export interface QemuManifest {
  manifestVersion: typeof QEMU_MANIFEST_VERSION;
  /** The release asked for (`10.0`) and its suite. */
  alias: string;
  suite: string;
  /** From `--version`: `10.0.13`, and the whole line. */
  version: string;
  versionLine: string;
  /** The suite's qemu-system-x86 package version. */
  packageVersion: string;
  /** `.deb` file names used. */
  packages: string[];
  layout: QemuLayout;
  binBytes: number;
  bytesOnDisk: number;
  timingsMs: Record<string, number>;
  preparedAt: string;
}

export function qemuCacheRoot(): string {
  return join(cacheRoot(), 'qemu');
}

function readManifest(dir: string): QemuManifest | null {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) return null;
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as QemuManifest;
    if (m.manifestVersion !== QEMU_MANIFEST_VERSION) return null;
    const bin = join(dir, m.layout.bin);
    return existsSync(bin) && statSync(bin).size === m.binBytes ? m : null;
  } catch {
    return null;
  }
}

export interface PreparedQemu {
  dir: string;
  manifest: QemuManifest;
}

/** Every complete entry in the cache. */
export function preparedQemus(): PreparedQemu[] {
  const root = qemuCacheRoot();
  if (!existsSync(root)) return [];
  const out: PreparedQemu[] = [];
  for (const name of readdirSync(root).sort()) {
    if (name.startsWith('.') || name.startsWith('inner-')) continue;
    const manifest = readManifest(join(root, name));
    if (manifest) out.push({ dir: join(root, name), manifest });
  }
  return out;
}

/** The prepared entry of a release, the newest version if several; null when none. */
export function findPreparedQemu(r: QemuRelease): PreparedQemu | null {
  const hits = preparedQemus().filter((q) => q.manifest.alias === r.alias);
  hits.sort((a, b) => a.manifest.version.localeCompare(b.manifest.version, 'en', { numeric: true }));
  return hits.at(-1) ?? null;
}

/** A release that is not prepared: the environment's state, so exit 1 like a kernel that is not prepared. */
export class QemuNotPreparedError extends VdpaLabError {
  override name = 'QemuNotPreparedError';
}

/** `--qemu 10.0` or `--qemu 10.0.13`: the prepared entry, else why not. */
export function readPreparedQemu(name: string): PreparedQemu {
  const r = resolveQemuRelease(name);
  const hit = preparedQemus().find((q) => q.manifest.version === name.trim()) ?? findPreparedQemu(r);
  if (!hit) throw new QemuNotPreparedError(`QEMU ${name} is not prepared: run 'vdpa-lab qemu prepare --qemu ${r.alias}'`);
  return hit;
}
