/**
 * Byte sizes in workload files: a number of bytes, or a string with a binary
 * unit ("4GiB", "512MiB", "0x100000"). Results are exact JavaScript numbers:
 * the lab's largest guest (4 TiB) is far below 2^53.
 */
const UNITS: Record<string, number> = { '': 1, B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40, PiB: 2 ** 50, EiB: 2 ** 60 };

/** Returns bytes as a bigint (so sizes beyond 2^64 can be named as such), or a reason. */
export function parseSize(v: unknown): bigint | string {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) return 'must be a non-negative whole number of bytes';
    return BigInt(v);
  }
  if (typeof v !== 'string') return 'must be a size: bytes as a number, or a string like "4GiB"';
  const s = v.trim();
  if (/^0x[0-9a-f]+$/i.test(s)) return BigInt(s);
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|TiB|PiB|EiB)?$/.exec(s);
  if (!m) return `"${v}" is not a size (use bytes, 0x..., or a number with KiB, MiB, GiB, TiB)`;
  const unit = UNITS[m[2] ?? ''];
  const [whole, frac = ''] = m[1].split('.');
  // Exact decimal scaling: whole*unit + frac*unit/10^len must be a whole byte count.
  const scale = 10n ** BigInt(frac.length);
  const num = (BigInt(whole) * scale + BigInt(frac || '0')) * BigInt(unit);
  if (num % scale !== 0n) return `"${v}" is not a whole number of bytes`;
  return num / scale;
}

export function formatBytes(n: number): string {
  for (const [u, f] of [['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (n >= f && n % (f / 4) === 0) return `${n / f}${u}`;
  }
  return `${n}B`;
}
