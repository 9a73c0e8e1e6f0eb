/**
 * Temp directories for tests, removed when the test file ends. Every test
 * that needs a scratch directory takes it from `tempDir` instead of calling
 * mkdtempSync itself, so nothing is left in $TMPDIR: `npm test` (run-suite.ts)
 * gives the whole run one fresh $TMPDIR and fails if anything is left in it.
 */
import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

const made: string[] = [];

/** A new empty directory `$TMPDIR/vdpa-lab-<tag>-XXXXXX`, removed after this test file's last test. */
export function tempDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `vdpa-lab-${tag}-`));
  made.push(dir);
  return dir;
}

/**
 * Removes a tree, also one a test made unreadable (chmod 000 directories for
 * the "as nobody" cases): root ignores the modes, another user needs them back.
 */
export function removeTree(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    restoreModes(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

function restoreModes(path: string): void {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isDirectory()) return;
  chmodSync(path, 0o700);
  for (const name of readdirSync(path)) restoreModes(join(path, name));
}

// Registered when a test file first imports this module: on the file's root test.
after(() => {
  for (const dir of made.splice(0)) removeTree(dir);
});
