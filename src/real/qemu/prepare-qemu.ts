/**
 * `prepareQemu`: one release from its suite's packages to a cache entry named
 * by its `--version`, built in a temp directory and renamed into place with
 * manifest.json written last. A complete entry of the release is reused.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTools } from '../host-tools.js';
import { extractDeb } from '../prepare/extract.js';
import { assembleQemu, qemuVersionLine } from './assemble.js';
import { QEMU_MANIFEST_VERSION, findPreparedQemu, qemuCacheRoot, type PreparedQemu, type QemuManifest } from './qemu-manifest.js';
import type { QemuRelease } from './releases.js';
import { downloadQemuPackages } from './suite-packages.js';

/** dpkg-deb processes at once: the machine is small and shared. */
const extractConcurrency = 4;

function duBytes(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir]).toString().split('\t')[0]);
}

export async function prepareQemu(r: QemuRelease, opts: { force?: boolean; say: (line: string) => void }): Promise<PreparedQemu & { reused: boolean }> {
  const say = opts.say;
  const existing = findPreparedQemu(r);
  if (existing && !opts.force) {
    say(`[qemu ${r.alias}] ${existing.manifest.version}: prepared already (${existing.dir})`);
    return { ...existing, reused: true };
  }
  requireTools(['apt-get', 'dpkg-deb', 'tar']);
  const root = qemuCacheRoot();
  const tmp = join(root, `.tmp-${r.alias}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'debs'), { recursive: true });
  const timings: Record<string, number> = {};
  const started = Date.now();
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const out = await fn();
    timings[name] = Date.now() - t0;
    say(`[qemu ${r.alias}] ${name}: done in ${(timings[name] / 1000).toFixed(1)} s`);
    return out;
  };
  try {
    const dl = await step('download', () => downloadQemuPackages(r, join(tmp, 'debs'), say));
    await step('extract', async () => {
      const queue = [...dl.debs];
      const worker = async () => {
        for (let d = queue.shift(); d; d = queue.shift()) await extractDeb(join(tmp, 'debs', d), join(tmp, 'root'));
      };
      await Promise.all(Array.from({ length: extractConcurrency }, worker));
    });
    const entry = join(tmp, 'entry');
    const layout = await step('assemble', () => assembleQemu(join(tmp, 'root'), entry));
    const { line, version } = await qemuVersionLine(entry, layout);
    say(`[qemu ${r.alias}] ${line}`);
    timings.total = Date.now() - started;
    const manifest: QemuManifest = {
      manifestVersion: QEMU_MANIFEST_VERSION,
      alias: r.alias,
      suite: r.suite,
      version,
      versionLine: line,
      packageVersion: dl.packageVersion,
      packages: dl.debs.sort(),
      layout,
      binBytes: statSync(join(entry, layout.bin)).size,
      bytesOnDisk: duBytes(entry),
      timingsMs: timings,
      preparedAt: new Date().toISOString(),
    };
    const dir = join(root, version);
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    renameSync(entry, dir);
    writeFileSync(join(dir, '.manifest.json.tmp'), JSON.stringify(manifest, null, 2) + '\n');
    renameSync(join(dir, '.manifest.json.tmp'), join(dir, 'manifest.json'));
    say(`[qemu ${r.alias}] ${version}: prepared in ${(timings.total / 1000).toFixed(1)} s, ${(manifest.bytesOnDisk / 2 ** 20).toFixed(1)} MiB -> ${dir}`);
    return { dir, manifest, reused: false };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Temp directories of prepares whose process is gone. */
export function removeStaleQemuTemps(): void {
  const root = qemuCacheRoot();
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) {
    const m = /^\.tmp-.*-(\d+)$/.exec(name) ?? /\.tmp-(\d+)$/.exec(name);
    if (!m) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch {
      rmSync(join(root, name), { recursive: true, force: true });
    }
  }
}
