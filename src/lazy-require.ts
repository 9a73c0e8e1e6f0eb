/**
 * Dependencies loaded on first use, so `import 'vdpa-lab'` stays fast
 * (#28: under 300 ms; docs/benchmarks.md, "Import time"). Each is the
 * package's CommonJS build, required synchronously the first time a
 * function needs it: callers stay synchronous, and a program that never
 * fits a profile or starts a pool never pays for ml-matrix or piscina.
 * Layer-free, like errors.ts. Every use of one package goes through here,
 * so the ESM and CommonJS builds are never both loaded.
 */
import { createRequire } from 'node:module';

const requireCjs = createRequire(import.meta.url);

/** A getter for `id`'s CommonJS exports, required on its first call. */
export function lazyRequire<T>(id: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= requireCjs(id) as T);
}
