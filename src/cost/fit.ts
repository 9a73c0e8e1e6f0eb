/**
 * Fits per-counter prices from observed (counters, seconds) pairs: ordinary
 * least squares on the prices named free, every other price held at the base
 * profile's value. With as many observations as free prices it is an exact
 * solve; with more, the residual says how well one linear model explains them.
 */
import { lazyRequire } from '../lazy-require.js';
import { InputError } from '../errors.js';
import { VirtualClock } from './clock.js';
import type { CostProfile } from './profile.js';

/** ml-matrix loads when a profile is fitted, not when the package is imported. */
const mlMatrix = lazyRequire<typeof import('ml-matrix')>('ml-matrix');

export interface Observation {
  label: string;
  parent: string;
  /** Counter totals of the observed work (from a lab run of the same setup). */
  counters: Record<string, number>;
  seconds: number;
}

export interface FitResult {
  prices: Record<string, number>;
  /** Root-mean-square residual over the observations, in seconds. */
  rmsResidualSeconds: number;
  rows: { label: string; observedSeconds: number; modeledSeconds: number }[];
}

/**
 * `relative`: weight each observation by 1/seconds, so the fit minimises
 * relative residuals (a 100 us reset counts as much as a 1 s one) instead of
 * absolute ones, which the largest observations dominate.
 */
export function fitPrices(base: CostProfile, free: string[], obs: Observation[], where: string, relative = false): FitResult {
  if (free.length === 0) throw new InputError(`${where}.fit`, 'name at least one counter to fit');
  if (obs.length < free.length) throw new InputError(`${where}.observations`, `${obs.length} observation(s) cannot fix ${free.length} free price(s)`);
  const fixed = obs.map((o) => {
    const held = Object.fromEntries(Object.entries(o.counters).filter(([k]) => !free.includes(k)));
    return new VirtualClock(base, o.parent).price(held).totalNs;
  });
  const w = obs.map((o) => (relative ? 1 / o.seconds : 1));
  const { Matrix, solve } = mlMatrix();
  const a = new Matrix(obs.map((o, i) => free.map((f) => (o.counters[f] ?? 0) * w[i])));
  for (let j = 0; j < free.length; j++) {
    if (a.getColumn(j).every((v) => v === 0)) throw new InputError(`${where}.fit`, `no observation exercises ${free[j]}, so its price cannot be fitted`);
  }
  const b = Matrix.columnVector(obs.map((o, i) => (o.seconds * 1e9 - fixed[i]) * w[i]));
  const x = solve(a, b, true).getColumn(0);
  const prices: Record<string, number> = {};
  free.forEach((f, j) => {
    if (!(x[j] >= 0)) throw new InputError(`${where}.observations`, `the fit gives ${f} a negative price (${x[j].toFixed(3)} ns): the held prices already exceed the observed time`);
    prices[f] = x[j];
  });
  const rows = obs.map((o, i) => {
    const modeledNs = fixed[i] + free.reduce((s, f) => s + (o.counters[f] ?? 0) * prices[f], 0);
    return { label: o.label, observedSeconds: o.seconds, modeledSeconds: modeledNs / 1e9 };
  });
  const rms = Math.sqrt(rows.reduce((s, r) => s + (r.observedSeconds - r.modeledSeconds) ** 2, 0) / rows.length);
  return { prices, rmsResidualSeconds: rms, rows };
}
