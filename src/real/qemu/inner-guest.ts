/**
 * The inner guest QEMU boots: a prepared Debian kernel's vmlinuz and a busybox
 * initramfs with virtio_net (and the failover pair it depends on) from the
 * same kernel package, and inner-init.ts as /init. Kept once per kernel and
 * /init under `<cache>/qemu/inner-<release>-<sha256 of /init, 12 digits>/`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { debCacheDir } from '../cache.js';
import { writeCpio, type CpioEntry } from '../cpio.js';
import { resolveKernel, USERSPACE_DEBS } from '../kernels.js';
import { readModInfo } from '../modinfo.js';
import { downloadDebs } from '../prepare/download.js';
import { extractDebMembers } from '../prepare/extract.js';
import { runCommand } from '../run-command.js';
import { VdpaLabError } from '../../errors.js';
import { INNER_MODULES, innerInitScript } from './inner-init.js';
import { qemuCacheRoot } from './qemu-manifest.js';

/** The inner guest runs Debian's 6.12: the kernel of the shipped 7.2 trace's guest. */
export const INNER_KERNEL = '6.12';

export interface InnerGuest {
  dir: string;
  release: string;
  vmlinuz: string;
  initrd: string;
}

interface InnerManifest {
  release: string;
  initSha256: string;
  vmlinuzBytes: number;
  initrdBytes: number;
}

const initSha = () => createHash('sha256').update(innerInitScript()).digest('hex');

/**
 * Named by the kernel and by its /init's hash: the cache is shared by every
 * checkout on the host, and two with different /init scripts would otherwise
 * take turns rebuilding one directory under each other's recordings.
 */
function innerDir(release: string): string {
  return join(qemuCacheRoot(), `inner-${release}-${initSha().slice(0, 12)}`);
}

/** The prepared inner guest, or null when it is missing or was made with another /init. */
export function readInnerGuest(kernel = INNER_KERNEL): InnerGuest | null {
  const k = resolveKernel(kernel);
  const dir = innerDir(k.release);
  const g = { dir, release: k.release, vmlinuz: join(dir, 'vmlinuz'), initrd: join(dir, 'inner.cpio') };
  try {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as InnerManifest;
    if (m.initSha256 !== initSha() || statSync(g.vmlinuz).size !== m.vmlinuzBytes || statSync(g.initrd).size !== m.initrdBytes) return null;
    return g;
  } catch {
    return null;
  }
}

export async function prepareInnerGuest(opts: { force?: boolean; say: (line: string) => void }, kernel = INNER_KERNEL): Promise<{ guest: InnerGuest; reused: boolean; ms: number }> {
  const t0 = Date.now();
  const existing = readInnerGuest(kernel);
  if (existing && !opts.force) return { guest: existing, reused: true, ms: 0 };
  const k = resolveKernel(kernel);
  opts.say(`[inner guest] ${k.release}: vmlinuz, ${INNER_MODULES.join(', ')} and busybox-static`);
  const debs = await downloadDebs([k.image, ...USERSPACE_DEBS.filter((d) => d.name === 'busybox-static')], debCacheDir(), k.suite);
  const dir = innerDir(k.release);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const work = join(tmp, 'work');
    const modPath = (m: string) => `${k.modulesPath}/kernel/${m === 'failover' ? 'net/core' : 'drivers/net'}/${m}.ko.xz`;
    await extractDebMembers(debs.paths.get(k.image.name)!, [k.vmlinuzPath, ...INNER_MODULES.map(modPath)], work);
    await extractDebMembers(debs.paths.get('busybox-static')!, ['./bin/busybox'], work);
    const entries: CpioEntry[] = [
      { kind: 'dir', path: 'bin' },
      { kind: 'dir', path: 'proc' },
      { kind: 'dir', path: 'sys' },
      { kind: 'dir', path: 'dev' },
      { kind: 'dir', path: 'lib' },
      { kind: 'dir', path: 'lib/modules' },
      { kind: 'file', path: 'bin/busybox', data: readFileSync(join(work, 'bin/busybox')), mode: 0o755 },
      { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
      { kind: 'file', path: 'init', data: Buffer.from(innerInitScript()), mode: 0o755 },
    ];
    for (const m of INNER_MODULES) {
      const bytes = (await runCommand('xz', ['-dc', join(work, modPath(m))])).stdout;
      if (!readModInfo(bytes, m).vermagic.startsWith(`${k.release} `)) throw new VdpaLabError(`${m}.ko is not built for ${k.release}`);
      entries.push({ kind: 'file', path: `lib/modules/${m}.ko`, data: bytes });
    }
    writeFileSync(join(tmp, 'inner.cpio'), writeCpio(entries));
    renameSync(join(work, k.vmlinuzPath), join(tmp, 'vmlinuz'));
    rmSync(work, { recursive: true, force: true });
    const m: InnerManifest = { release: k.release, initSha256: initSha(), vmlinuzBytes: statSync(join(tmp, 'vmlinuz')).size, initrdBytes: statSync(join(tmp, 'inner.cpio')).size };
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(m, null, 2) + '\n');
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { guest: readInnerGuest(kernel)!, reused: false, ms: Date.now() - t0 };
}
