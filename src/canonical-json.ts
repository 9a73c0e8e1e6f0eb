/**
 * Canonical JSON (RFC 8785, JCS) through `canonicalize`: equal values give
 * equal text whatever their key order, so a workload's hash names its content.
 */
import { createRequire } from 'node:module';

// canonicalize is CommonJS (`module.exports = serialize`) whose types declare an ES default, which
// NodeNext reads as `.default`: require gives the function itself, typed here as its .d.ts types it.
const serialize: (input: unknown) => string | undefined = createRequire(import.meta.url)('canonicalize');

/** `value` as canonical JSON text; undefined (which JSON cannot spell) is a programming error. */
export function canonicalJson(value: unknown): string {
  const text = serialize(value);
  if (text === undefined) throw new TypeError('canonicalJson: undefined has no JSON text');
  return text;
}
