/**
 * Cost profiles: one price in nanoseconds per unit of each counter, every
 * price with its source. Per-parent overrides price what differs between
 * drivers (an mlx5 VQ is firmware work, a vdpa_sim VQ is a struct).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { readJsonFile } from '../json-file.js';
import { COUNTER_PHASE } from './phases.js';

export const PROFILE_SCHEMA_VERSION = 1;

const price = z.object({ ns: z.number().finite().nonnegative(), source: z.string().min(1, 'every price needs a source') }).strict();
const prices = z.record(z.string(), price).superRefine((rec, ctx) => {
  for (const k of Object.keys(rec)) if (!(k in COUNTER_PHASE)) ctx.addIssue({ code: 'custom', path: [k], message: `unknown counter (one of ${Object.keys(COUNTER_PHASE).join(', ')})` });
});

export const profileSchema = z
  .object({
    schema: z.literal(PROFILE_SCHEMA_VERSION),
    name: z.string().min(1),
    description: z.string(),
    calibration: z.string(),
    prices,
    parents: z.partialRecord(z.enum(['vdpa_sim', 'mlx5', 'vduse', 'platform-iommu']), prices).default({}),
  })
  .strict()
  .superRefine((p, ctx) => {
    for (const k of Object.keys(COUNTER_PHASE)) {
      if (!(k in p.prices)) ctx.addIssue({ code: 'custom', path: ['prices', k], message: 'missing: every counter needs a price (0 with a reason is fine)' });
    }
  });

export type CostProfile = z.infer<typeof profileSchema>;
export type Price = z.infer<typeof price>;

/** Formats zod issues as `where.path[index]: reason` lines (JSON paths, array indices in brackets). */
export function zodIssues(where: string, err: z.ZodError): string[] {
  return err.issues.map((i) => `${where}${i.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('')}: ${i.message}`);
}

export function parseProfile(raw: unknown, where: string): CostProfile {
  const r = profileSchema.safeParse(raw);
  if (!r.success) {
    const lines = zodIssues(where, r.error);
    const [first, ...rest] = lines;
    const [w, ...reason] = first.split(': ');
    throw new InputError(w, reason.join(': ') + (rest.length ? ` (and ${rest.length} more: ${rest.join('; ')})` : ''));
  }
  return r.data;
}

export function loadProfile(path: string): { profile: CostProfile; hash: string } {
  const { text, value } = readJsonFile(path, 'cost profile');
  return { profile: parseProfile(value, path), hash: sha256(text) };
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The price of one unit of `counter` for `parent`. */
export function priceOf(p: CostProfile, parent: string, counter: string): number {
  const over = (p.parents as Record<string, Record<string, Price>>)[parent]?.[counter];
  return (over ?? p.prices[counter])?.ns ?? 0;
}
