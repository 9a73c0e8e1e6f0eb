/**
 * Field readers for `exec` script lines. Each names the line and the field in
 * its error, so bad input reads as `line 7: iova: ...`.
 */
import { InputError } from '../errors.js';
import { parseU64 } from '../iotlb/index.js';

export type Line = Record<string, unknown>;

/** Edit distance, to name the field a misspelt one most likely meant. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

export class FieldReader {
  /** `prefix` names a nested object's fields in errors (`iovaRange.first`). */
  constructor(
    readonly lineNo: number,
    readonly obj: Line,
    private readonly prefix = '',
  ) {}

  private err(field: string, reason: string): InputError {
    return new InputError(`line ${this.lineNo}: ${this.prefix}${field}`, reason);
  }

  has(field: string): boolean {
    return this.obj[field] !== undefined;
  }

  /**
   * Refuses a field the line's op does not read. A field that is ignored is
   * worse than an error: a misspelt `"sise"` leaves size at its default 0,
   * and the kernel's EINVAL for that looks like a finding about the kernel.
   */
  onlyFields(what: string, allowed: readonly string[]): void {
    for (const field of Object.keys(this.obj)) {
      if (allowed.includes(field)) continue;
      const near = allowed.filter((a) => distance(field.toLowerCase(), a.toLowerCase()) <= Math.max(1, Math.floor(a.length / 3)));
      const hint = near.length ? `; did you mean ${near.join(' or ')}?` : '';
      throw this.err(field, `unknown field for ${what} (it reads ${allowed.join(', ')})${hint}`);
    }
  }

  /** A non-empty string (a device name, a kernel version). */
  str(field: string): string {
    const v = this.obj[field];
    if (typeof v !== 'string' || v === '') throw this.err(field, `must be a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  }

  /** A nested JSON object, read by its own reader whose errors name `field.inner`. */
  object(field: string): FieldReader {
    const v = this.obj[field];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw this.err(field, `must be an object, got ${JSON.stringify(v)}`);
    return new FieldReader(this.lineNo, v as Line, `${this.prefix}${field}.`);
  }

  /** A 64-bit value written as a string ("0x1000" or "4096"). */
  u64(field: string, fallback?: bigint): bigint {
    const v = this.obj[field];
    if (v === undefined) {
      if (fallback !== undefined) return fallback;
      throw this.err(field, 'is required');
    }
    if (typeof v !== 'string') throw this.err(field, `must be a string such as "0x1000" (64-bit values stay exact), got ${JSON.stringify(v)}`);
    const n = parseU64(v);
    if (n === undefined) throw this.err(field, `'${v}' is not a 64-bit value (0x hex or decimal, at most 2^64-1)`);
    return n;
  }

  int(field: string, min: number, max: number, fallback?: number): number {
    const v = this.obj[field];
    if (v === undefined) {
      if (fallback !== undefined) return fallback;
      throw this.err(field, 'is required');
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw this.err(field, `must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
    }
    return v;
  }

  oneOf<T extends string>(field: string, allowed: readonly T[], fallback?: T): T {
    const v = this.obj[field];
    if (v === undefined) {
      if (fallback !== undefined) return fallback;
      throw this.err(field, `is required (one of ${allowed.join(', ')})`);
    }
    if (typeof v !== 'string' || !allowed.includes(v as T)) {
      throw this.err(field, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
    }
    return v as T;
  }

  bool(field: string, fallback: boolean): boolean {
    const v = this.obj[field];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') throw this.err(field, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  stringList<T extends string>(field: string, allowed: readonly T[]): T[] {
    const v = this.obj[field];
    if (!Array.isArray(v)) throw this.err(field, `must be a list of names (${allowed.join(', ')})`);
    return v.map((x, i) => {
      if (typeof x !== 'string' || !allowed.includes(x as T)) throw this.err(`${field}[${i}]`, `unknown name ${JSON.stringify(x)} (one of ${allowed.join(', ')})`);
      return x as T;
    });
  }

  /** perm: "ro" | "wo" | "rw" or a number 0..255 (the kernel never validates it). */
  perm(field = 'perm'): number {
    const v = this.obj[field];
    if (v === 'ro') return 1;
    if (v === 'wo') return 2;
    if (v === 'rw') return 3;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255) return v;
    throw this.err(field, `must be ro, wo, rw or an integer 0..255, got ${JSON.stringify(v)}`);
  }

  /** A field that must not be present in the wrong place. */
  fail(field: string, reason: string): never {
    throw this.err(field, reason);
  }
}
