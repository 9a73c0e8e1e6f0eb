/**
 * `vdpa-lab calibrate`: fit prices from published observations. Each
 * observation names a setup (one cell, in workload syntax), which steps of
 * which event were observed, and how long they took. The lab runs the setup,
 * takes the counters of exactly those steps, and solves for the free prices
 * with every other price held at the base profile's value.
 */
import { lazySchema, z } from '../lazy-zod.js';
import { InputError } from '../errors.js';
import { readJsonFile } from '../json-file.js';
import { fitPrices, loadProfile, zodIssues, type CostProfile, type FitResult, type Observation } from '../cost/index.js';
import { addCounters, EVENT_NAMES, VirtualMachine, type EventName, type StepKind } from '../vmm/index.js';
import { PARENT_KINDS } from '../kernel/index.js';
import { parseWorkload, problemsError, resolveProfilePath, toVmSpec } from '../workload/index.js';

const STEP_KINDS = ['open', 'map', 'unmap', 'reset', 'start', 'close'] as const;

const calibrationSchema = lazySchema(() =>
  z
    .object({
      schema: z.literal(1),
      base: z.string().min(1),
      fit: z.array(z.string()).min(1),
      observations: z
        .array(
          z.union([
            // A setup the lab runs to get the counters of the observed steps...
            z
              .object({
                label: z.string().min(1),
                source: z.string().min(1),
                cell: z.record(z.string(), z.unknown()),
                event: z.enum(EVENT_NAMES),
                steps: z.array(z.enum(STEP_KINDS)).min(1),
                seconds: z.number().positive(),
              })
              .strict(),
            // ...or counters observed elsewhere, given as they are.
            z
              .object({
                label: z.string().min(1),
                source: z.string().min(1),
                parent: z.enum(PARENT_KINDS),
                counters: z.record(z.string(), z.number().nonnegative()),
                seconds: z.number().positive(),
              })
              .strict(),
          ]),
        )
        .min(1),
    })
    .strict(),
);

export interface CalibrationOutcome {
  profile: CostProfile;
  fit: FitResult;
  observations: (Observation & { source: string })[];
}

export function calibrate(path: string): CalibrationOutcome {
  const raw = readJsonFile(path, 'calibration observations').value;
  const parsed = calibrationSchema.safeParse(raw);
  if (!parsed.success) throw problemsError(zodIssues(path, parsed.error));
  const c = parsed.data;
  const base = loadProfile(resolveProfilePath(c.base, path)).profile;
  const observations = c.observations.map((o, i) => {
    if ('counters' in o) return { label: o.label, source: o.source, parent: o.parent, counters: o.counters, seconds: o.seconds };
    const where = `${path}.observations[${i}].cell`;
    const { cells } = parseWorkload({ schema: 1, name: 'calibration', matrix: o.cell }, where);
    if (cells.length !== 1) throw new InputError(where, `must describe exactly one cell (it expands to ${cells.length})`);
    const counters = observedCounters(toVmSpec(cells[0].params), cells[0].params.events, o.event as EventName, o.steps);
    if (counters === null) throw new InputError(`${path}.observations[${i}].event`, `the cell's events never run ${o.event}`);
    return { label: o.label, source: o.source, parent: cells[0].params.parent, counters, seconds: o.seconds };
  });
  const fit = fitPrices(base, c.fit, observations, path);
  const sources = observations.map((o) => `${o.label} (${o.source}): ${o.seconds} s`).join('; ');
  const prices = { ...base.prices };
  for (const [k, ns] of Object.entries(fit.prices)) {
    prices[k] = { ns: Number(ns.toFixed(3)), source: `FITTED by \`vdpa-lab calibrate ${path}\` from ${sources}; every other price held` };
  }
  // The base's recipe (fittedTo) made the base, not this profile.
  const { fittedTo: _recipe, ...rest } = base;
  return { profile: { ...rest, prices }, fit, observations };
}

/** Counters of the given steps of the first `event` in a run of the cell's events. */
function observedCounters(spec: ReturnType<typeof toVmSpec>, events: EventName[], event: EventName, steps: readonly StepKind[]): Record<string, number> | null {
  const vm = new VirtualMachine(spec);
  let out: Record<string, number> | null = null;
  for (const name of events) {
    const rec = vm.runEvent(name);
    if (name === event && out === null) {
      out = {};
      for (const s of rec.steps) if (steps.includes(s.kind)) addCounters(out, s.counters);
    }
  }
  return out;
}
