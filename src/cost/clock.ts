/**
 * The virtual clock: counters x prices = modeled nanoseconds, per phase.
 * Deterministic: the same counters and profile give the same numbers on any
 * machine (fixed summation order, rounded to whole ns once per step).
 */
import { COUNTER_PHASE, PHASES, zeroPhases, type PhaseNs } from './phases.js';
import { priceOf, type CostProfile } from './profile.js';

export interface Priced {
  totalNs: number;
  phases: PhaseNs;
}

export class VirtualClock {
  /** Price per counter for one parent, resolved once. */
  private readonly table = new Map<string, number>();

  constructor(profile: CostProfile, parent: string) {
    for (const c of Object.keys(COUNTER_PHASE)) this.table.set(c, priceOf(profile, parent, c));
  }

  /** Prices one sparse counter delta. */
  price(counters: Record<string, number>): Priced {
    const phases = zeroPhases();
    for (const c of Object.keys(counters).sort()) {
      const phase = COUNTER_PHASE[c];
      if (phase) phases[phase] += counters[c] * (this.table.get(c) ?? 0);
    }
    let totalNs = 0;
    for (const p of PHASES) {
      phases[p] = Math.round(phases[p]);
      totalNs += phases[p];
    }
    return { totalNs, phases };
  }
}

export function addPhases(into: PhaseNs, x: PhaseNs): PhaseNs {
  for (const p of PHASES) into[p] += x[p];
  return into;
}
