/**
 * From the suite's unpacked packages to a prepared QEMU that runs anywhere
 * with its own loader: `bin/qemu-system-x86_64`, `lib/` (the suite's
 * ld-linux-x86-64.so.2 and exactly the shared libraries it resolves for the
 * binary and its TCG module), `modules/` (QEMU_MODULE_DIR: Debian builds TCG
 * as accel-tcg-x86_64.so) and `share/` (-L: SeaBIOS and linuxboot_dma.bin).
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { VdpaLabError } from '../../errors.js';
import { runCommand } from '../run-command.js';

/** Where Debian's multiarch layout (usr-merged or not) keeps x86_64 libraries. */
const LIB_DIRS = ['lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu'];
const LOADER = 'ld-linux-x86-64.so.2';
/** The ROMs a q35 `-kernel` boot reads (SeaBIOS, the linuxboot option ROM); the rest of /usr/share/qemu is other machines'. */
const DATA_FILES = ['linuxboot_dma.bin', 'linuxboot.bin', 'kvmvapic.bin', 'multiboot_dma.bin', 'pvh.bin'];

/** A path inside the unpacked tree `root`, with symlinks followed inside it (an absolute target means root-relative). */
export function resolveInRoot(root: string, rel: string, depth = 0): string | null {
  const p = join(root, rel);
  if (!existsSync(p) && !isLink(p)) return null;
  if (!isLink(p)) return p;
  if (depth > 16) return null;
  const target = readlinkSync(p);
  const next = target.startsWith('/') ? target.slice(1) : join(dirname(rel), target);
  return resolveInRoot(root, next, depth + 1);
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

export interface QemuLayout {
  bin: string;
  loader: string;
  libDir: string;
  moduleDir: string;
  dataDir: string;
}

/** The command line that runs the prepared binary: the suite's loader with only our libraries. */
export function loaderCommand(entry: string, layout: QemuLayout = DEFAULT_LAYOUT): { file: string; args: string[] } {
  return { file: join(entry, layout.loader), args: ['--library-path', join(entry, layout.libDir), join(entry, layout.bin)] };
}

export const DEFAULT_LAYOUT: QemuLayout = { bin: 'bin/qemu-system-x86_64', loader: `lib/${LOADER}`, libDir: 'lib', moduleDir: 'modules', dataDir: 'share' };

/** `soname => path` of `ld.so --list`, each path required to lie in `root` (a library from the host would mix glibcs). */
async function resolvedLibraries(loader: string, libPath: string, object: string, root: string): Promise<Map<string, string>> {
  const { stdout } = await runCommand(loader, ['--library-path', libPath, '--list', object]);
  const libs = new Map<string, string>();
  for (const line of stdout.toString('utf8').split('\n')) {
    const notFound = /^\s*(\S+) => not found/.exec(line);
    if (notFound) throw new VdpaLabError(`${basename(object)} needs ${notFound[1]}, which none of the suite's packages provides`);
    const m = /^\s*(\S+) => (\/\S+)/.exec(line);
    // The loader's own line: it is the one we ran.
    if (!m || m[1].includes('ld-linux')) continue;
    if (!resolve(m[2]).startsWith(resolve(root) + '/')) throw new VdpaLabError(`${basename(object)}: ${m[1]} resolved to ${m[2]}, outside the suite's packages`);
    libs.set(m[1], m[2]);
  }
  return libs;
}

/** Builds the entry at `out` from the tree at `root` (every package unpacked with dpkg-deb -x). */
export async function assembleQemu(root: string, out: string): Promise<QemuLayout> {
  const L = DEFAULT_LAYOUT;
  const loader = LIB_DIRS.map((d) => resolveInRoot(root, `${d}/${LOADER}`)).find((p): p is string => p !== null);
  if (!loader) throw new VdpaLabError(`the suite's libc6 left no ${LOADER} under ${LIB_DIRS.join(' or ')}`);
  const bin = resolveInRoot(root, 'usr/bin/qemu-system-x86_64');
  if (!bin) throw new VdpaLabError('qemu-system-x86 left no usr/bin/qemu-system-x86_64');
  const libPath = LIB_DIRS.map((d) => join(root, d)).join(':');
  const moduleSrc = LIB_DIRS.map((d) => join(root, d, 'qemu')).find((d) => existsSync(d));
  const modules = moduleSrc ? readdirSync(moduleSrc).filter((f) => /^accel-tcg-x86_64\.so$/.test(f)).map((f) => join(moduleSrc, f)) : [];

  const libs = await resolvedLibraries(loader, libPath, bin, root);
  for (const m of modules) for (const [k, v] of await resolvedLibraries(loader, libPath, m, root)) libs.set(k, v);

  for (const d of [L.libDir, L.moduleDir, L.dataDir, dirname(L.bin)]) mkdirSync(join(out, d), { recursive: true });
  copyFileSync(bin, join(out, L.bin));
  copyFileSync(loader, join(out, L.loader));
  for (const [soname, path] of libs) if (soname !== LOADER) copyFileSync(path, join(out, L.libDir, soname));
  for (const m of modules) copyFileSync(m, join(out, L.moduleDir, basename(m)));
  const seabios = resolveInRoot(root, 'usr/share/seabios');
  if (!seabios) throw new VdpaLabError('seabios left no usr/share/seabios');
  for (const f of readdirSync(seabios).filter((f) => f.endsWith('.bin'))) {
    const p = resolveInRoot(root, `usr/share/seabios/${f}`);
    if (p) copyFileSync(p, join(out, L.dataDir, f));
  }
  for (const f of DATA_FILES) {
    const p = resolveInRoot(root, `usr/share/qemu/${f}`);
    if (p) copyFileSync(p, join(out, L.dataDir, f));
  }
  if (!existsSync(join(out, L.dataDir, 'bios-256k.bin')) || !existsSync(join(out, L.dataDir, 'linuxboot_dma.bin'))) {
    throw new VdpaLabError('the suite left no bios-256k.bin or linuxboot_dma.bin: a -kernel boot needs both');
  }
  return L;
}

/** `QEMU emulator version 10.0.13 (Debian 1:10.0.13+ds-0+deb13u1)`, run on this host through the suite's loader. */
export async function qemuVersionLine(entry: string, layout: QemuLayout = DEFAULT_LAYOUT): Promise<{ line: string; version: string }> {
  const c = loaderCommand(entry, layout);
  const { stdout } = await runCommand(c.file, [...c.args, '--version'], { env: { ...process.env, QEMU_MODULE_DIR: join(entry, layout.moduleDir) } });
  const line = stdout.toString('utf8').split('\n')[0].trim();
  const m = /version (\d+\.\d+\.\d+)/.exec(line);
  if (!m) throw new VdpaLabError(`qemu-system-x86_64 --version printed '${line}': no version in it`);
  return { line, version: m[1] };
}
