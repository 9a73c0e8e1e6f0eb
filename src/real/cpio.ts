/**
 * The "newc" cpio format the kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst): a 110-byte
 * ASCII header of 8-digit hex fields, the name NUL-terminated, then the data,
 * each padded to 4 bytes, ended by an entry named TRAILER!!!. Written here so
 * the lab does not depend on the host's `cpio`.
 */

export type CpioEntry =
  | { kind: 'file'; path: string; data: Uint8Array; mode?: number }
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'symlink'; path: string; target: string };

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const NEWC_MAGIC = '070701';
const HEADER_BYTES = 110;
const TRAILER = 'TRAILER!!!';
/**
 * Archives are padded to a whole 512-byte block: the kernel skips zero bytes
 * between concatenated archives, and the job archive is appended to the base.
 */
const ARCHIVE_ALIGN = 512;

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function header(ino: number, mode: number, size: number, nameBytes: number): string {
  // magic ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
  const fields = [ino, mode, 0, 0, mode & S_IFDIR ? 2 : 1, 0, size, 0, 0, 0, 0, nameBytes, 0];
  return NEWC_MAGIC + fields.map(hex8).join('');
}

/** Serializes entries in order (parents before children is the caller's job). */
export function writeCpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    offset += b.length;
  };
  const pushEntry = (ino: number, mode: number, name: string, data: Uint8Array) => {
    const nameBuf = Buffer.from(name + '\0', 'utf8');
    push(Buffer.from(header(ino, mode, data.length, nameBuf.length), 'ascii'));
    push(nameBuf);
    push(Buffer.alloc(pad4(HEADER_BYTES + nameBuf.length)));
    push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    push(Buffer.alloc(pad4(data.length)));
  };
  let ino = 1;
  for (const e of entries) {
    const path = e.path.replace(/^\/+/, '');
    if (!path) throw new Error(`cpio: empty path`);
    if (e.kind === 'file') pushEntry(ino++, S_IFREG | (e.mode ?? 0o644), path, e.data);
    else if (e.kind === 'dir') pushEntry(ino++, S_IFDIR | (e.mode ?? 0o755), path, new Uint8Array(0));
    else pushEntry(ino++, S_IFLNK | 0o777, path, Buffer.from(e.target, 'utf8'));
  }
  pushEntry(0, 0, TRAILER, new Uint8Array(0));
  push(Buffer.alloc((ARCHIVE_ALIGN - (offset % ARCHIVE_ALIGN)) % ARCHIVE_ALIGN));
  return Buffer.concat(parts);
}

export interface CpioRecord {
  path: string;
  mode: number;
  data: Buffer;
}

/**
 * Reads back one or more concatenated newc archives, as the kernel does
 * (zero padding between archives is skipped). Used by tests and by `kernels list`.
 */
export function readCpio(buf: Buffer): CpioRecord[] {
  const out: CpioRecord[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf[at] === 0) {
      at++;
      continue;
    }
    const magic = buf.toString('ascii', at, at + 6);
    if (magic !== NEWC_MAGIC) throw new Error(`cpio: bad magic '${magic}' at offset ${at}`);
    const field = (i: number) => parseInt(buf.toString('ascii', at + 6 + i * 8, at + 14 + i * 8), 16);
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    const nameStart = at + HEADER_BYTES;
    const name = buf.toString('utf8', nameStart, nameStart + nameSize - 1);
    const dataStart = nameStart + nameSize + pad4(HEADER_BYTES + nameSize);
    const data = buf.subarray(dataStart, dataStart + size);
    at = dataStart + size + pad4(size);
    if (name !== TRAILER) out.push({ path: name, mode, data });
  }
  return out;
}

export const CPIO_MODE = { S_IFREG, S_IFDIR, S_IFLNK } as const;
