/**
 * The workload file format (schema 1). A workload is a matrix: every leaf may
 * be one value or a list of values, and lists expand into the cross product.
 * Leaves that are lists by nature (`dimms`, `events`) expand when given a list
 * of lists. Validation is zod's; every error carries its JSON path.
 */
import { lazySchema, z } from '../lazy-zod.js';
import { BACKINGS } from '../host/index.js';
import { PARENT_KINDS, resolveKernel } from '../kernel/index.js';
import { EVENT_NAMES, FLOW_NAMES, resolveQemu } from '../vmm/index.js';

/** The most tinybench samples of a cell's reset cycle a workload (or run --samples) may ask for. */
export const MAX_SAMPLES = 1000;

export const WORKLOAD_SCHEMA_VERSION = 1;

/**
 * One value or a list of them. Hand-rolled rather than z.union so an error
 * inside a list names the element (`flow[1]`), not just "invalid input".
 */
function oneOrMany<T extends z.ZodTypeAny>(t: T) {
  return z.custom<z.infer<T> | z.infer<T>[]>(() => true).superRefine((v, ctx) => {
    if (Array.isArray(v) && v.length === 0) ctx.addIssue({ code: 'custom', message: 'an empty list expands to no cells' });
    const items: unknown[] = Array.isArray(v) ? v : [v];
    items.forEach((x, i) => {
      const r = t.safeParse(x);
      if (!r.success) for (const iss of r.error.issues) ctx.addIssue({ code: 'custom', message: iss.message, path: Array.isArray(v) ? [i, ...iss.path] : iss.path });
    });
  });
}

/** A list (one value of a list-valued leaf) or a list of such lists (expands). */
function listOrLists<T extends z.ZodTypeAny>(list: T) {
  return z.custom<z.infer<T> | z.infer<T>[]>(() => true).superRefine((v, ctx) => {
    const many = Array.isArray(v) && v.length > 0 && Array.isArray(v[0]);
    const items: unknown[] = many ? (v as unknown[]) : [v];
    items.forEach((x, i) => {
      const r = list.safeParse(x);
      if (!r.success) for (const iss of r.error.issues) ctx.addIssue({ code: 'custom', message: iss.message, path: many ? [i, ...iss.path] : iss.path });
    });
  });
}
const size = lazySchema(() => z.union([z.number(), z.string()]));
const sizeList = lazySchema(() => z.array(size));
/** `name` or `name*N` (N repeats). */
const eventPattern = new RegExp(`^(${EVENT_NAMES.join('|')})(\\*[1-9][0-9]{0,3})?$`);
const event = lazySchema(() => z.string().regex(eventPattern, `an event: ${EVENT_NAMES.join(', ')} (optionally name*N)`));
const eventList = lazySchema(() => z.array(event).min(1));
/** A kernel name that src/kernel/versions.ts resolves; the error is its reason. */
const kernelName = lazySchema(() =>
  z.string().superRefine((v, ctx) => {
    try {
      resolveKernel(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as { reason?: string }).reason ?? (e as Error).message });
    }
  }),
);

/** A QEMU release that src/vmm/qemu-versions.ts resolves (7.2 ... 10.0, 10.1+, or a later x.y). */
const qemuName = lazySchema(() =>
  z.string().superRefine((v, ctx) => {
    try {
      resolveQemu(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as { reason?: string }).reason ?? (e as Error).message });
    }
  }),
);

export const guestSchema = lazySchema(() =>
  z
    .object({
      ram: oneOrMany(size),
      backing: oneOrMany(z.enum(BACKINGS)).default('thp'),
      meanRun: oneOrMany(z.number().int().min(1).max(512)).default(8),
      dimms: listOrLists(sizeList).default([]),
      seed: oneOrMany(z.number().int().min(0).max(0xffff_ffff)).optional(),
      /** QEMU's memory-backend prealloc: false (QEMU's default) makes the first pin of each folio fault it in. */
      prealloc: oneOrMany(z.boolean()).default(false),
    })
    .strict(),
);

export const devicesSchema = lazySchema(() =>
  z
    .object({
      parent: oneOrMany(z.enum(PARENT_KINDS)),
      variant: oneOrMany(z.enum(['set_map', 'dma_map'])).optional(),
      useVa: oneOrMany(z.boolean()).optional(),
      count: oneOrMany(z.number().int().min(1).max(16)).default(1),
      queuePairs: oneOrMany(z.number().int().min(1).max(64)).default(8),
      nas: oneOrMany(z.number().int().min(1).max(4)).default(2),
    })
    .strict(),
);

export const matrixSchema = lazySchema(() =>
  z
    .object({
      guest: guestSchema,
      devices: devicesSchema,
      /** A kernel version as uname -r names it (6.1.192, 6.12.117, mainline) or an old alias (legacy, reset-map). */
      kernel: oneOrMany(kernelName),
      /** The QEMU release whose vhost-vdpa flow the VMM plays (default 10.0: docs/domain.md, "QEMU versions"). */
      qemu: oneOrMany(qemuName).optional(),
      flow: oneOrMany(z.enum(FLOW_NAMES)),
      events: listOrLists(eventList).default(['boot', 'guest-reset*3', 'close']),
      memlock: oneOrMany(z.union([z.literal('unlimited'), size])).default('unlimited'),
      /**
       * vhost_vdpa.max_iotlb_entries: null (the default) takes the kernel version's default
       * (2048 where the 2026 fix is in, else none; the old aliases: none); 'none': no limit.
       */
      iotlbLimit: oneOrMany(z.union([z.null(), z.literal('none'), z.number().int().min(0)])).default(null),
      profile: oneOrMany(z.string().min(1)).optional(),
      /** Worker threads playing the device's DMA during the measured pass (counts failed translations). */
      dmaReaders: oneOrMany(z.number().int().min(0).max(8)).default(0),
      /** Helper threads that pin each large map ahead, over the shared frame tables. */
      pinShards: oneOrMany(z.number().int().min(1).max(16)).default(1),
    })
    .strict(),
);

const workloadBase = lazySchema(() =>
  z
    .object({
      schema: z.literal(WORKLOAD_SCHEMA_VERSION),
      name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, ".", "_" and "-"'),
      description: z.string().default(''),
      seed: z.number().int().min(0).max(0xffff_ffff).default(1),
      profile: z.string().min(1).default('default'),
      measure: z
        .object({ samples: z.number().int().min(0).max(MAX_SAMPLES).default(5) })
        .strict()
        .default({ samples: 5 }),
    })
    .strict(),
);

/** `matrix` is one matrix or a list of them (cells are their union); two schemas keep error paths exact. */
export const workloadSchema = lazySchema(() => workloadBase.extend({ matrix: matrixSchema }));
export const workloadManySchema = lazySchema(() => workloadBase.extend({ matrix: z.array(matrixSchema).min(1) }));

export function schemaFor(raw: unknown) {
  return Array.isArray((raw as { matrix?: unknown } | null)?.matrix) ? workloadManySchema : workloadSchema;
}

export type RawWorkload = z.infer<typeof workloadSchema> | z.infer<typeof workloadManySchema>;
export type RawMatrix = z.infer<typeof matrixSchema>;
