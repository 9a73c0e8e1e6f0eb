/**
 * What `modinfo` prints, read straight from a module's ELF `.modinfo` section
 * (NUL-separated `key=value` strings), so preparing needs no kmod on the host.
 * Only ELF64 little-endian (x86_64 modules) is accepted.
 */
import { VdpaLabError } from '../errors.js';

export interface ModInfo {
  /** `depends=`: module names this one needs loaded first. */
  depends: string[];
  /** `parm=NAME:description` names, in file order (what `modinfo -p` lists). */
  params: string[];
  vermagic: string;
}

export class BadModuleError extends VdpaLabError {
  override name = 'BadModuleError';
}

function sectionBytes(elf: Buffer, wanted: string, what: string): Buffer {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46) throw new BadModuleError(`${what}: not an ELF file`);
  if (elf[4] !== 2 || elf[5] !== 1) throw new BadModuleError(`${what}: not a 64-bit little-endian ELF`);
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const shstrndx = elf.readUInt16LE(0x3e);
  const sh = (i: number) => {
    const at = shoff + i * shentsize;
    return { name: elf.readUInt32LE(at), offset: Number(elf.readBigUInt64LE(at + 0x18)), size: Number(elf.readBigUInt64LE(at + 0x20)) };
  };
  const names = sh(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const s = sh(i);
    const nameAt = names.offset + s.name;
    const name = elf.toString('latin1', nameAt, elf.indexOf(0, nameAt));
    if (name === wanted) return elf.subarray(s.offset, s.offset + s.size);
  }
  throw new BadModuleError(`${what}: no ${wanted} section`);
}

export function readModInfo(elf: Buffer, what = 'module'): ModInfo {
  const strings = sectionBytes(elf, '.modinfo', what)
    .toString('latin1')
    .split('\0')
    .filter((s) => s.includes('='));
  const values = (key: string) => strings.filter((s) => s.startsWith(key + '=')).map((s) => s.slice(key.length + 1));
  const paramNames = [...values('parm'), ...values('parmtype')].map((p) => p.slice(0, p.indexOf(':')));
  return {
    depends: (values('depends')[0] ?? '').split(',').filter(Boolean),
    params: [...new Set(paramNames)],
    vermagic: values('vermagic')[0] ?? '',
  };
}
