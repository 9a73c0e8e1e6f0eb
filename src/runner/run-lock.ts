/**
 * One `vdpa-lab run` per results directory: a lock file holding the owner's
 * pid. A second run is refused with that pid while the process lives; a lock
 * whose pid is gone (a killed run) is taken over.
 *
 * Why a pid file and not proper-lockfile: proper-lockfile judges staleness by
 * an mtime it refreshes on a timer (a run that blocks its event loop past the
 * stale time loses its lock) and cannot name the holder; the lab runs on one
 * host, where "is this pid alive" is an exact answer, and it needs no new
 * dependency. The lock file is created complete (written aside, then link()ed
 * into place, which fails if the name exists), so a reader never sees a
 * half-written pid.
 */
import { linkSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { uniqueSibling, writeFileDurable } from '../atomic-file.js';
import { InputError, writeFault } from '../errors.js';

export const RUN_LOCK_FILE = '.vdpa-lab-run.lock';

export interface RunLock {
  readonly path: string;
  release(): void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): { text: string; pid: number | null } | null {
  try {
    const text = readFileSync(path, 'utf8');
    const pid = /^[0-9]+\n?$/.test(text) ? Number(text) : null;
    return { text, pid };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Takes the lock of `dir` or throws an InputError naming the holder's pid.
 * `onWarning` hears about a stale lock taken over.
 */
export function acquireRunLock(dir: string, flag: string, onWarning: (message: string) => void): RunLock {
  const path = join(dir, RUN_LOCK_FILE);
  const mine = `${process.pid}\n`;
  const aside = uniqueSibling(path, 'new');
  try {
    writeFileDurable(aside, mine);
  } catch (e) {
    throw writeFault(e, path);
  }
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(aside, path);
        return {
          path,
          release() {
            // Only our own lock: a takeover after we were presumed dead is not ours to remove.
            if (readHolder(path)?.text === mine) unlinkSync(path);
          },
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = readHolder(path);
      if (holder === null) continue; // released between our link and our read
      if (holder.pid !== null && isAlive(holder.pid)) throw new InputError(flag, `${dir} is in use by vdpa-lab run (pid ${holder.pid}): wait for it to finish or choose another directory`);
      // Stale: its process is gone (or the file holds no pid). Remove it only if it is still
      // the one we judged, so two runs taking over at once do not remove each other's lock.
      if (readHolder(path)?.text === holder.text) {
        unlinkSync(path);
        onWarning(`${path}: took over the lock of pid ${holder.pid ?? '(unreadable)'}, which no longer runs`);
      }
    }
    throw new InputError(flag, `${dir}: could not take the run lock ${path} (other runs keep taking it)`);
  } finally {
    rmSync(aside, { force: true });
  }
}
