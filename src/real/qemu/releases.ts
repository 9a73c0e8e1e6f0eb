/**
 * The real QEMU releases the lab can fetch and run inside its kernel VM:
 * Debian's own `qemu-system-x86` of three suites (STACK.md, "Newer Debian
 * suites", checked 2026-12-07). Not pinned to a package version: a suite's
 * point releases move, and a prepared entry is named by what its binary's
 * `--version` answers, which is what a recording names too.
 */
import { InputError } from '../../errors.js';
import type { DebianSuite } from '../kernels.js';

export interface QemuRelease {
  /** What users type: `7.2`, `10.0`, `11.1`. */
  alias: string;
  suite: DebianSuite;
}

export const QEMU_RELEASES: readonly QemuRelease[] = [
  { alias: '7.2', suite: 'bookworm' },
  { alias: '10.0', suite: 'trixie' },
  { alias: '11.1', suite: 'sid' },
];

/** The release of an alias (`10.0`) or of a full version it starts (`10.0.13`). */
export function resolveQemuRelease(name: string, where = '--qemu'): QemuRelease {
  const wanted = name.trim();
  const found = QEMU_RELEASES.find((r) => wanted === r.alias || wanted.startsWith(`${r.alias}.`));
  if (!found) {
    throw new InputError(where, `unknown QEMU release '${name}' (known: ${QEMU_RELEASES.map((r) => `${r.alias} (Debian ${r.suite})`).join(', ')})`);
  }
  return found;
}

/** `--qemu 7.2,11.1`: each release once, in the order given. */
export function qemuReleaseList(text: string, where = '--qemu'): QemuRelease[] {
  return [...new Set(text.split(',').map((part) => resolveQemuRelease(part, where)))];
}
