/** Runs script lines (as objects) through a Session and returns the answers. */
import { Session, type Answer, type SessionOverrides } from '../../src/kernel/index.js';

/**
 * Runs `lines` with RLIMIT_MEMLOCK raised, as QEMU's users run it (a real
 * process starts at 8 MiB, Session's default): these tests are about the
 * kernel's map and reset paths, not the rlimit. Pass `memlockPages` to test it.
 */
export function runScript(lines: object[], overrides: SessionOverrides = {}, memlockPages = Infinity): { session: Session; answers: Answer[] } {
  const session = new Session(overrides);
  session.mm.memlockPages = memlockPages;
  const answers = lines.map((l, i) => session.runLine(JSON.stringify(l), i + 1)!);
  return { session, answers };
}

export const GUEST_UADDR = '0x7f0000000000';

/** open + mmap + set_owner for a PA or VA guest of `size` bytes. */
export function setup(open: object, size = '0x4000000', backing = 'thp', extra: object = {}): object[] {
  return [
    { op: 'open', ...open },
    { op: 'mmap', uaddr: GUEST_UADDR, size, backing, seed: 3, shared: true, ...extra },
    { op: 'set_owner' },
  ];
}
