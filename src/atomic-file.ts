/**
 * Writes that never leave half a file behind, even after a crash: write a
 * temp file next to the target (a unique name, opened O_EXCL, so it never
 * clobbers a file someone else made), fsync it, rename it over the target
 * (atomic on one filesystem), then fsync the directory so the rename itself
 * survives a power cut. Layer-free, like errors.ts, so any layer may use it.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeFault } from './errors.js';

/** Writes `data` to a new file (refusing to overwrite one) and fsyncs it; a fault (disk full) removes the part written. */
export function writeFileDurable(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'wx');
  try {
    writeAndSync(fd, data);
  } catch (e) {
    rmSync(path, { force: true });
    throw writeFault(e, path);
  }
}

function writeAndSync(fd: number, data: string | Uint8Array): void {
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync a directory: makes the creates, renames and unlinks in it durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A name beside `path` that no other writer (process or call) picks. */
export function uniqueSibling(path: string, tag: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.${tag}`);
}

/**
 * Replaces (or creates) `path` with `data`, all or nothing. A fault (disk
 * full, an immutable target) is a WriteError naming `path`, and the target
 * is left as it was.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  try {
    replaceFile(path, data);
  } catch (e) {
    throw writeFault(e, path);
  }
}

function replaceFile(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = uniqueSibling(path, 'tmp');
  // Opened before the try: if the open fails there is no temp file of ours to remove.
  const fd = openSync(tmp, 'wx');
  try {
    writeAndSync(fd, data);
    // A replaced file keeps its permissions (a baseline made read-only for others stays so).
    try {
      chmodSync(tmp, statSync(path).mode & 0o7777);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dirname(path));
}
