/**
 * zod, and every schema built with it, on first use (#28): loading zod and
 * building the lab's schemas was most of what `import 'vdpa-lab'` cost.
 * Schema files import `z` from here instead of from 'zod': as a value it is
 * zod's `z` (its CommonJS build, required on the first property read); as a
 * namespace it gives the types the files use (`z.infer`, `z.ZodType`, ...).
 * A schema at module level is wrapped in `lazySchema`, so it is built when it
 * is first used, not when its module loads.
 */
import type { z as Zod } from 'zod';
import { lazyRequire } from './lazy-require.js';

const zodModule = lazyRequire<typeof import('zod')>('zod');

/** zod's `z`, required on its first property read. */
export const z: typeof Zod = new Proxy({} as typeof Zod, { get: (_target, key) => Reflect.get(zodModule().z, key) });

// The types of zod's namespace that schema files name, beside the value above.
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace z {
  export type infer<T> = Zod.infer<T>;
  export type input<T> = Zod.input<T>;
  export type ZodType<O = unknown, I = unknown> = Zod.ZodType<O, I>;
  export type ZodTypeAny = Zod.ZodTypeAny;
  export type ZodError<T = unknown> = Zod.ZodError<T>;
}

/**
 * A schema built on its first use. The proxy forwards every read to the
 * schema `build` returns (zod's methods close over their schema, so `this`
 * does not matter), so callers, and the schemas that contain it, use it as
 * the schema itself.
 */
export function lazySchema<T extends object>(build: () => T): T {
  let real: T | undefined;
  const schema = (): T => (real ??= build());
  return new Proxy({} as T, {
    get: (_target, key) => Reflect.get(schema(), key),
    has: (_target, key) => Reflect.has(schema(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
  });
}
