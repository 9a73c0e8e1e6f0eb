/**
 * `prepareKernel`: download, extract, build, collect, pack, in a temp
 * directory beside the cache entry, then rename it into place with the
 * manifest written last. A complete entry is reused at once; anything else
 * under that name (an interrupted run, other package versions) is rebuilt.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { debCacheDir, kernelCacheDir } from '../cache.js';
import { requireTools } from '../host-tools.js';
import { USERSPACE_DEBS, resolveKernel, suiteDebs, type RealKernel } from '../kernels.js';
import { buildModules } from './build-modules.js';
import { collectModules } from './collect-modules.js';
import { downloadDebs } from './download.js';
import { extractDeb, extractDebMembers, extractSourceMembers } from './extract.js';
import { buildBaseInitramfs } from './initramfs.js';
import { installKbuildRuntime } from './kbuild-runtime.js';
import { MANIFEST_FILE, MANIFEST_VERSION, packagesKey, initSha256, readValidManifest, type KernelManifest } from './manifest.js';

export interface PrepareOptions {
  onProgress?: (line: string) => void;
  /** Rebuild even when a valid entry exists. */
  force?: boolean;
}

export interface PrepareResult {
  manifest: KernelManifest;
  dir: string;
  /** True when a valid entry was found and nothing was built. */
  reused: boolean;
}

/** Temp directories are named after the entry and the pid that made them. */
function tempPrefix(release: string): string {
  return `.tmp-${release}-`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp directories of earlier prepares of this kernel whose process is gone. */
function removeStaleTemps(parent: string, release: string): void {
  if (!existsSync(parent)) return;
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(tempPrefix(release))) continue;
    const pid = Number(name.slice(tempPrefix(release).length));
    if (Number.isInteger(pid) && !pidAlive(pid)) rmSync(join(parent, name), { recursive: true, force: true });
  }
}

/** Like Promise.all, but waits for every promise before rejecting with the first failure. */
async function settleAll(work: Promise<unknown>[]): Promise<void> {
  const settled = await Promise.allSettled(work);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}

/** busybox and iproute2 serve every kernel: kernels prepared side by side (prepare-kernels.ts) fetch them once. */
const userspaceFetches = new Map<string, ReturnType<typeof downloadDebs>>();

function downloadUserspace(cacheDir: string): ReturnType<typeof downloadDebs> {
  const pending = userspaceFetches.get(cacheDir);
  // The kernel that joins a fetch under way did not fetch those packages itself.
  if (pending) return pending.then((r) => ({ ...r, downloaded: 0 }));
  const started = downloadDebs(USERSPACE_DEBS, cacheDir).finally(() => userspaceFetches.delete(cacheDir));
  userspaceFetches.set(cacheDir, started);
  return started;
}

export async function prepareKernel(alias: string, opts: PrepareOptions = {}): Promise<PrepareResult> {
  const k = resolveKernel(alias);
  const say = opts.onProgress ?? (() => {});
  const dir = kernelCacheDir(k.release);
  const existing = readValidManifest(dir, k);
  if (existing.manifest && !opts.force) {
    say(`[${k.alias}] ${k.release}: prepared already (${dir})`);
    return { manifest: existing.manifest, dir, reused: true };
  }
  requireTools(['apt-get', 'dpkg-deb', 'tar', 'xz', 'make', 'gcc-12', 'ldd']);
  say(`[${k.alias}] ${k.release}: preparing (${existing.manifest ? '--force' : existing.reason})`);

  const parent = join(dir, '..');
  mkdirSync(parent, { recursive: true });
  removeStaleTemps(parent, k.release);
  const tmp = join(parent, `${tempPrefix(k.release)}${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const timings: Record<string, number> = {};
  const started = Date.now();
  const step = async <T>(name: string, what: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    say(`[${k.alias}] ${name}: ${what}`);
    const out = await fn();
    timings[name] = Date.now() - t0;
    say(`[${k.alias}] ${name}: done in ${(timings[name] / 1000).toFixed(1)} s`);
    return out;
  };
  try {
    const work = join(tmp, 'work');
    const debs = await step('download', `apt-get download (pinned versions${k.suite === 'bookworm' ? '' : `, ${k.suite} through the lab's own apt configuration`})`, async () => {
      const kernel = await downloadDebs(suiteDebs(k), debCacheDir(), k.suite);
      const userspace = await downloadUserspace(debCacheDir());
      const wanted = suiteDebs(k).length + USERSPACE_DEBS.length;
      say(`[${k.alias}] download: ${kernel.downloaded + userspace.downloaded} of ${wanted} packages fetched, the rest were cached`);
      return new Map([...kernel.paths, ...userspace.paths]);
    });
    const deb = (name: string) => debs.get(name)!;
    const srcMajor = k.source.name.replace(/^linux-source-/, '');
    const sourceDirName = `linux-source-${srcMajor}`;
    await step('extract', 'vmlinuz and vhost/vdpa modules, headers, kbuild, busybox, iproute2, module sources', async () => {
      // allSettled, not all: a failure must not let the cleanup below race the extractions still running.
      const moduleDirs = k.imageModuleDirs.map((d) => `${k.modulesPath}/${d}`);
      const members = [...new Set(k.buildModules.flatMap((m) => m.sources))].map((s) => `${sourceDirName}/${s}`);
      // The module sources too: unpacking linux-source (one core of xz for ~1.3 GB) is the longest of these.
      await settleAll([
        extractSourceMembers(deb(k.source.name), `./usr/src/${sourceDirName}.tar.xz`, members, join(work, 'source')),
        ...(k.modulesDeb
          ? [extractDebMembers(deb(k.image.name), [k.vmlinuzPath], join(work, 'image')), extractDebMembers(deb(k.modulesDeb.name), moduleDirs, join(work, 'image'))]
          : [extractDebMembers(deb(k.image.name), [k.vmlinuzPath, ...moduleDirs], join(work, 'image'))]),
        ...(k.kbuildRuntime?.debs ?? []).map((d) => extractDeb(deb(d.name), join(work, 'runtime'))),
        extractDeb(deb(k.headers.name), join(work, 'headers')),
        extractDeb(deb(k.headersCommon.name), join(work, 'headers')),
        extractDeb(deb(k.kbuild.name), join(work, 'headers')),
        ...USERSPACE_DEBS.map((d) => extractDeb(deb(d.name), join(work, 'userspace'))),
      ]);
    });
    const built = await step('build', `make ${k.buildModules.map((m) => m.name).join(', ')} out of tree`, () => {
      if (k.kbuildRuntime) installKbuildRuntime(k, join(work, 'headers'), join(work, 'runtime'));
      return buildModules(k, join(work, 'source', sourceDirName), join(work, 'headers'), join(work, 'build'));
    });
    const modules = await step('modules', 'collect modules and their dependencies', () => collectModules(k, join(work, 'image'), built));
    say(`[${k.alias}] modules: ${modules.map((m) => `${m.name}${m.from === 'built' ? '*' : ''}`).join(', ')} (* built here)`);
    const out = join(tmp, 'entry');
    mkdirSync(out);
    const { libraries } = await step('initramfs', 'busybox, vdpa tool and its libraries, modules, /init', async () => {
      const r = await buildBaseInitramfs({
        release: k.release,
        busybox: join(work, 'userspace/bin/busybox'),
        vdpaTool: join(work, 'userspace/sbin/vdpa'),
        modules,
      });
      writeFileSync(join(out, 'initramfs.cpio'), r.archive);
      copyFileSync(join(work, 'image', k.vmlinuzPath), join(out, 'vmlinuz'));
      return r;
    });
    timings.total = Date.now() - started;
    const manifest: KernelManifest = {
      manifestVersion: MANIFEST_VERSION,
      alias: k.alias,
      release: k.release,
      generation: k.generation,
      packages: packagesKey(k),
      initSha256: initSha256(),
      vmlinuz: 'vmlinuz',
      initramfs: 'initramfs.cpio',
      vmlinuzBytes: statSync(join(out, 'vmlinuz')).size,
      initramfsBytes: statSync(join(out, 'initramfs.cpio')).size,
      modules: modules.map((m) => ({ name: m.name, from: m.from, depends: m.depends, params: m.params, bytes: m.bytes.length })),
      libraries,
      timingsMs: timings,
      preparedAt: new Date().toISOString(),
    };
    // Swap the entry in: the old (invalid) one goes first, the manifest is the last file written.
    rmSync(dir, { recursive: true, force: true });
    renameSync(out, dir);
    writeFileSync(join(dir, `.${MANIFEST_FILE}.tmp`), JSON.stringify(manifest, null, 2) + '\n');
    renameSync(join(dir, `.${MANIFEST_FILE}.tmp`), join(dir, MANIFEST_FILE));
    say(`[${k.alias}] ${k.release}: prepared in ${(timings.total / 1000).toFixed(1)} s -> ${dir}`);
    return { manifest, dir, reused: false };
  } finally {
    // Not rmSync: the work tree is ~10k files, and kernels prepared side by side share this event loop.
    await rm(tmp, { recursive: true, force: true });
  }
}

export type { RealKernel };
