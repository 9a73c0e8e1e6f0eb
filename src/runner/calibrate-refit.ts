/**
 * `calibrate --refit PROFILE`: make a profile fitted to real-kernel runs
 * again from the recipe it carries (`fittedTo`), with today's model, and
 * check it against the runs the recipe names. A model change that moves the
 * counters of those runs' cells moves the fit: the test suite refits every
 * shipped profile, so a profile that no longer is what its recipe gives, or
 * no longer predicts its check runs within its stated bound, fails CI.
 */
import { InputError, VdpaLabError } from '../errors.js';
import { loadProfile, type CostProfile, type FittedTo } from '../cost/index.js';
import { PACKAGE_ROOT, resolveProfilePath } from '../workload/index.js';
import { calibrateFromReal, checkAgainstReal, runsClock, type PredictionRow, type RunsClock } from './calibrate-real.js';

export interface Refit {
  /** The profile the recipe gives today: name, description and recipe kept, prices and calibration text refitted. */
  profile: CostProfile;
  /** The refitted profile's prediction of every reset of the check runs. */
  check: PredictionRow[];
  /** Largest |error| of `check`, in percent. */
  worstPct: number;
  boundPct: number;
  /** Check rows past the bound (listed in fittedTo.misses or not). */
  misses: PredictionRow[];
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`;

function stepCommand(step: FittedTo['steps'][number], i: number): string {
  const base = step.base ? ` --base ${step.base}` : ' --base <step ' + i + "'s result>";
  const set = step.set ? `, after setting ${Object.entries(step.set).map(([k, p]) => `${k} to ${p.ns} ns (${p.source})`).join(', ')}` : '';
  return `(${i + 1}) \`calibrate --from ${step.from.join(' ')} --fit ${step.fit.join(',')}${step.byPhase ? ' --by-phase' : ''}${base}\`${set}`;
}

/** The refit's calibration text: how it was made, and how far it lands on the check runs. */
function calibrationText(f: FittedTo, check: PredictionRow[], worstPct: number): string {
  const worst = check.reduce((a, r) => (Math.abs(r.errorPct) > Math.abs(a.errorPct) ? r : a));
  return (
    `Made by \`vdpa-lab calibrate --refit\` from fittedTo, every other price held at each step: ${f.steps.map(stepCommand).join('; ')}. ` +
    `Checked against ${f.check.join(', ')} (\`vdpa-lab calibrate --check ${f.check.join(' ')} --profile PROFILE\`): ${check.length} resets, worst ${pct(worst.errorPct)} (${worst.label}), ${worstPct <= f.boundPct ? 'within' : 'past'} the ${f.boundPct}% bound` +
    (f.misses?.length ? `; stated misses (fittedTo.misses says why): ${f.misses.map((m) => `${m.cell} ${pct(m.errorPct)}`).join(', ')}.` : '.')
  );
}

/** The one guest clock of every run a recipe names (fit steps and check runs); a mix is bad input. */
export function recipeClock(f: FittedTo): RunsClock {
  return runsClock([...new Set([...f.steps.flatMap((s) => s.from), ...f.check])], PACKAGE_ROOT);
}

/** Runs `profile`'s recipe with today's model. Paths in the recipe are relative to the package root. */
export function refitProfile(profile: CostProfile, where: string): Refit {
  const f = profile.fittedTo;
  if (!f) throw new InputError(`${where}.fittedTo`, 'is missing: the profile carries no recipe to refit it from (steps, check runs, bound)');
  recipeClock(f);
  let current = loadProfile(resolveProfilePath(f.steps[0].base!, `${PACKAGE_ROOT}/fittedTo`)).profile;
  for (const step of f.steps) {
    if (step.set) current = { ...current, prices: { ...current.prices, ...step.set } };
    current = calibrateFromReal(current, step.from, step.fit, profile.name, PACKAGE_ROOT, step.byPhase).profile;
  }
  const refitted: CostProfile = { ...current, name: profile.name, description: profile.description, fittedTo: f };
  const check = checkAgainstReal(refitted, f.check, PACKAGE_ROOT);
  const worstPct = Math.max(...check.map((r) => Math.abs(r.errorPct)));
  refitted.calibration = calibrationText(f, check, worstPct);
  // Key order as in a shipped profile file: a refit written out diffs only where figures moved.
  const { schema, name, description, calibration, fittedTo, prices, parents } = refitted;
  return {
    profile: { schema, name, description, calibration, fittedTo, prices, parents },
    check,
    worstPct,
    boundPct: f.boundPct,
    misses: check.filter((r) => Math.abs(r.errorPct) > f.boundPct),
  };
}

/** A stated miss may move by this much (percentage points) before the check says it moved. */
export const MISS_TOLERANCE_PCT = 0.5;

/**
 * What is wrong with a refit against its profile's stated bound: a reset past
 * the bound that `misses` does not list, a listed miss that moved or now
 * meets the bound, a listed cell the check runs do not have. Empty: the claim holds.
 */
export function boundProblems(r: Refit, misses: FittedTo['misses'] = []): string[] {
  const out: string[] = [];
  const listed = new Map(misses.map((m) => [m.cell, m]));
  for (const row of r.check) {
    const m = listed.get(row.label);
    const past = Math.abs(row.errorPct) > r.boundPct;
    if (past && !m) out.push(`${row.label}: ${pct(row.errorPct)} is past the ${r.boundPct}% bound`);
    else if (m && !past) out.push(`${row.label}: ${pct(row.errorPct)} now meets the ${r.boundPct}% bound: remove it from fittedTo.misses`);
    else if (m && Math.abs(row.errorPct - m.errorPct) > MISS_TOLERANCE_PCT) out.push(`${row.label}: the stated miss moved from ${pct(m.errorPct)} to ${pct(row.errorPct)}`);
  }
  for (const m of misses) if (!r.check.some((row) => row.label === m.cell)) out.push(`fittedTo.misses names ${m.cell}, which no check run has`);
  return out;
}

/** Prices of `a` and `b` that differ by more than rounding (a fitted price is kept to 0.001 ns). */
export function priceDrift(a: CostProfile, b: CostProfile): string[] {
  const out: string[] = [];
  const keys = new Set([...Object.keys(a.prices), ...Object.keys(b.prices)]);
  for (const k of keys) {
    const x = a.prices[k];
    const y = b.prices[k];
    if (!x || !y || Math.abs(x.ns - y.ns) > 0.0015 || x.source !== y.source) out.push(`${k}: ${x ? `${x.ns} ns` : 'absent'} -> ${y ? `${y.ns} ns` : 'absent'}${x && y && x.source !== y.source && Math.abs(x.ns - y.ns) <= 0.0015 ? ' (source differs)' : ''}`);
  }
  const parents = new Set([...Object.keys(a.parents), ...Object.keys(b.parents)]) as Set<keyof CostProfile['parents']>;
  for (const p of parents) {
    const pa = a.parents[p] ?? {};
    const pb = b.parents[p] ?? {};
    for (const k of new Set([...Object.keys(pa), ...Object.keys(pb)])) if (pa[k]?.ns !== pb[k]?.ns) out.push(`parents.${p}.${k}: ${pa[k]?.ns ?? 'absent'} -> ${pb[k]?.ns ?? 'absent'}`);
  }
  return out;
}

/** A refit that misses its stated bound: a finding about the profile (exit 1), not bad input. */
export class ProfileMissesBound extends VdpaLabError {
  override name = 'ProfileMissesBound';
}
