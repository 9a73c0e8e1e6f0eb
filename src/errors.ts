/**
 * Typed errors shared by every layer. This file imports nothing, so any layer
 * (iotlb up to cli) may use it without breaking the one-way layer order.
 *
 * Across worker_threads only message, stack and cause survive a thrown error
 * (class, name and code are lost), so workers send `toPlain()` and the pool
 * rebuilds the typed error with `fromPlain()`.
 */

/** Linux errno values the lab models (include/uapi/asm-generic/errno-base.h, errno.h). */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  E2BIG: 7,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENOSPC: 28,
  EOPNOTSUPP: 95,
  ENOBUFS: 105,
} as const;

export type ErrnoName = keyof typeof ERRNO;

/** Base class: every error the lab raises on purpose. */
export class VdpaLabError extends Error {
  override name = 'VdpaLabError';
  /** Process exit code the CLI uses when this error reaches it. */
  readonly exitCode: number = 1;
}

/**
 * A kernel-model failure: `errno` is what userspace sees (write() on the
 * vhost-vdpa fd turns every handler error into EFAULT), `cause` is the code
 * the handler itself returned (EEXIST, ENOMEM, ...). docs/domain.md, "The message path".
 */
export class KernelError extends VdpaLabError {
  override name = 'KernelError';
  constructor(
    readonly errno: ErrnoName,
    readonly causeCode: ErrnoName,
    message: string,
  ) {
    super(message);
  }
}

/** A structural error of the IOTLB core (bad range, overlap, limit). */
export class IotlbError extends VdpaLabError {
  override name = 'IotlbError';
  constructor(
    readonly code: ErrnoName,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Bad user input: a malformed workload, script line, results file or flag.
 * `where` names the field (a JSON path, `line 7: iova`, `--threads`).
 * The CLI prints `error: <where>: <reason>` on one line and exits 2.
 */
export class InputError extends VdpaLabError {
  override name = 'InputError';
  override readonly exitCode = 2;
  constructor(
    readonly where: string,
    readonly reason: string,
  ) {
    super(`${where}: ${reason}`);
  }
}

/**
 * What a write fault means to a user, by errno: the system refused a write
 * the checks had allowed (the disk filled up, a file was made immutable).
 */
const WRITE_FAULTS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EFBIG: 'the file is too large for its filesystem',
  EROFS: 'the filesystem is read-only',
  EIO: 'an I/O error on the disk',
  EPERM: 'not permitted (an immutable or append-only file or directory?)',
  EACCES: 'permission denied',
};

/**
 * A write the system refused: a fault, not bad input (exit 1). The message
 * names the file the user asked for (not a temp file) and why, on one line.
 */
export class WriteError extends VdpaLabError {
  override name = 'WriteError';
  constructor(
    readonly path: string,
    readonly code: string,
  ) {
    super(`${path}: cannot write: ${WRITE_FAULTS[code] ?? code} (${code}); nothing was replaced`);
  }
}

/**
 * `e` as a WriteError naming `path` when it is a write fault, else `e`
 * unchanged. The outermost caller names the path the user gave (a report
 * directory rather than a chart in its temp directory).
 */
export function writeFault(e: unknown, path: string): unknown {
  if (e instanceof WriteError) return new WriteError(path, e.code);
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code !== undefined && code in WRITE_FAULTS ? new WriteError(path, code) : e;
}

/** The plain shape that crosses a worker boundary. */
export interface PlainError {
  name: string;
  message: string;
  code?: string;
  errno?: string;
  where?: string;
  reason?: string;
  stack?: string;
}

export function toPlain(err: unknown): PlainError {
  if (err instanceof InputError) return { name: err.name, message: err.message, where: err.where, reason: err.reason };
  if (err instanceof KernelError) return { name: err.name, message: err.message, errno: err.errno, code: err.causeCode };
  if (err instanceof IotlbError) return { name: err.name, message: err.message, code: err.code };
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: 'Error', message: String(err) };
}

export function fromPlain(p: PlainError): Error {
  switch (p.name) {
    case 'InputError':
      return new InputError(p.where ?? '?', p.reason ?? p.message);
    case 'KernelError':
      return new KernelError((p.errno ?? 'EFAULT') as ErrnoName, (p.code ?? 'EFAULT') as ErrnoName, p.message);
    case 'IotlbError':
      return new IotlbError((p.code ?? 'EINVAL') as ErrnoName, p.message);
    default: {
      const e = new Error(p.message);
      e.name = p.name;
      if (p.stack) e.stack = p.stack;
      return e;
    }
  }
}

/** Type guard that also works across realms, where instanceof fails. */
export function isInputError(err: unknown): err is InputError {
  return err instanceof InputError || (err as { name?: string } | null)?.name === 'InputError';
}
