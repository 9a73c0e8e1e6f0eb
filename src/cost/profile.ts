/**
 * Cost profiles: one price in nanoseconds per unit of each counter, every
 * price with its source. Per-parent overrides price what differs between
 * drivers (an mlx5 VQ is firmware work, a vdpa_sim VQ is a struct).
 */
import { createHash } from 'node:crypto';
import { lazySchema, z } from '../lazy-zod.js';
import { InputError } from '../errors.js';
import { readJsonFile } from '../json-file.js';
import { COUNTER_PHASE } from './phases.js';

export const PROFILE_SCHEMA_VERSION = 1;

const price = lazySchema(() => z.object({ ns: z.number().finite().nonnegative(), source: z.string().min(1, 'every price needs a source') }).strict());
const prices = lazySchema(() =>
  z.record(z.string(), price).superRefine((rec, ctx) => {
    for (const k of Object.keys(rec)) if (!(k in COUNTER_PHASE)) ctx.addIssue({ code: 'custom', path: [k], message: `unknown counter (one of ${Object.keys(COUNTER_PHASE).join(', ')})` });
  }),
);

/**
 * How a profile fitted to real-kernel runs is made again and what it must
 * predict: `vdpa-lab calibrate --refit` runs the steps (each one
 * `calibrate --from`, every other price held, on the previous step's result),
 * and the test suite checks that the refit reproduces the profile and that
 * it predicts every reset of the `check` runs within `boundPct`. Paths are
 * relative to the lab's package root (or absolute).
 */
const fitStep = lazySchema(() =>
  z
    .object({
      /** The profile whose prices are held (first step only; later steps start from the previous result). */
      base: z.string().min(1).optional(),
      /** Prices set, each with its source, before this step fits. */
      set: z.record(z.string(), price).optional(),
      from: z.array(z.string().min(1)).min(1),
      fit: z.array(z.string().min(1)).min(1),
      /** Fit each probe phase (map, unmap, reset, other) of each event as its own observation (`calibrate --by-phase`). */
      byPhase: z.boolean().optional(),
    })
    .strict(),
);

export const fittedToSchema = lazySchema(() =>
  z
    .object({
      steps: z.array(fitStep).min(1),
      check: z.array(z.string().min(1)).min(1),
      /** Every reset of the check runs predicted within this many percent of the real kernel's median. */
      boundPct: z.number().positive().max(100),
      /**
       * Check resets the profile is known to miss the bound on, each with its
       * error and why: stated, never silent. A listed miss that moves, or
       * starts to meet the bound, fails the check as an unlisted one does.
       */
      misses: z.array(z.object({ cell: z.string().min(1), errorPct: z.number(), why: z.string().min(1) }).strict()).optional(),
    })
    .strict()
    .superRefine((f, ctx) => {
      if (!f.steps[0].base) ctx.addIssue({ code: 'custom', path: ['steps', 0, 'base'], message: 'the first step names the profile whose other prices are held' });
      f.steps.forEach((s, i) => {
        if (i > 0 && s.base) ctx.addIssue({ code: 'custom', path: ['steps', i, 'base'], message: 'only the first step names a base: later steps start from the previous result' });
        for (const k of [...s.fit, ...Object.keys(s.set ?? {})]) if (!(k in COUNTER_PHASE)) ctx.addIssue({ code: 'custom', path: ['steps', i], message: `unknown counter ${k}` });
      });
    }),
);

export type FittedTo = z.infer<typeof fittedToSchema>;

export const profileSchema = lazySchema(() =>
  z
    .object({
      schema: z.literal(PROFILE_SCHEMA_VERSION),
      name: z.string().min(1),
      description: z.string(),
      calibration: z.string(),
      fittedTo: fittedToSchema.optional(),
      prices,
      parents: z.partialRecord(z.enum(['vdpa_sim', 'mlx5', 'vduse', 'platform-iommu']), prices).default({}),
    })
    .strict()
    .superRefine((p, ctx) => {
      for (const k of Object.keys(COUNTER_PHASE)) {
        if (!(k in p.prices)) ctx.addIssue({ code: 'custom', path: ['prices', k], message: 'missing: every counter needs a price (0 with a reason is fine)' });
      }
    }),
);

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
