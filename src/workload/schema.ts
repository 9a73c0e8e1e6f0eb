/**
 * The workload file format (schema 1). A workload is a matrix: every leaf may
 * be one value or a list of values, and lists expand into the cross product.
 * Leaves that are lists by nature (`dimms`, `events`) expand when given a list
 * of lists. Validation is zod's; every error carries its JSON path.
 */
import { z } from 'zod';
import { BACKINGS } from '../host/index.js';
import { KERNEL_GENERATIONS, PARENT_KINDS } from '../kernel/index.js';
import { EVENT_NAMES, FLOW_NAMES } from '../vmm/index.js';

export const WORKLOAD_SCHEMA_VERSION = 1;

const oneOrMany = <T extends z.ZodTypeAny>(t: T) => z.union([t, z.array(t).min(1, 'an empty list expands to no cells')]);
const size = z.union([z.number(), z.string()]);
const sizeList = z.array(size);
/** `name` or `name*N` (N repeats). */
const eventPattern = new RegExp(`^(${EVENT_NAMES.join('|')})(\\*[1-9][0-9]{0,3})?$`);
const event = z.string().regex(eventPattern, `an event: ${EVENT_NAMES.join(', ')} (optionally name*N)`);
const eventList = z.array(event).min(1);

export const guestSchema = z
  .object({
    ram: oneOrMany(size),
    backing: oneOrMany(z.enum(BACKINGS as unknown as [string, ...string[]])).default('thp'),
    meanRun: oneOrMany(z.number().int().min(1).max(512)).default(8),
    dimms: z.union([sizeList, z.array(sizeList).min(1)]).default([]),
    seed: oneOrMany(z.number().int().min(0).max(0xffff_ffff)).optional(),
  })
  .strict();

export const devicesSchema = z
  .object({
    parent: oneOrMany(z.enum(PARENT_KINDS as unknown as [string, ...string[]])),
    variant: oneOrMany(z.enum(['set_map', 'dma_map'])).optional(),
    useVa: oneOrMany(z.boolean()).optional(),
    count: oneOrMany(z.number().int().min(1).max(16)).default(1),
    queuePairs: oneOrMany(z.number().int().min(1).max(64)).default(8),
    nas: oneOrMany(z.number().int().min(1).max(4)).default(2),
  })
  .strict();

export const matrixSchema = z
  .object({
    guest: guestSchema,
    devices: devicesSchema,
    kernel: oneOrMany(z.enum(KERNEL_GENERATIONS as unknown as [string, ...string[]])),
    flow: oneOrMany(z.enum(FLOW_NAMES as unknown as [string, ...string[]])),
    events: z.union([eventList, z.array(eventList).min(1)]).default(['boot', 'guest-reset*3', 'close']),
    memlock: oneOrMany(z.union([z.literal('unlimited'), size])).default('unlimited'),
    iotlbLimit: oneOrMany(z.union([z.null(), z.number().int().min(0)])).default(null),
    profile: oneOrMany(z.string().min(1)).optional(),
  })
  .strict();

export const workloadSchema = z
  .object({
    schema: z.literal(WORKLOAD_SCHEMA_VERSION),
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, ".", "_" and "-"'),
    description: z.string().default(''),
    seed: z.number().int().min(0).max(0xffff_ffff).default(1),
    profile: z.string().min(1).default('default'),
    measure: z
      .object({ samples: z.number().int().min(0).max(1000).default(5) })
      .strict()
      .default({ samples: 5 }),
    matrix: z.union([matrixSchema, z.array(matrixSchema).min(1)]),
  })
  .strict();

export type RawWorkload = z.infer<typeof workloadSchema>;
export type RawMatrix = z.infer<typeof matrixSchema>;
