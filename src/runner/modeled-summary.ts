/**
 * A cell's modeled figures from its priced events: totals, phases, and the
 * means over its reset events (guest-reset, reboot). Shared by `run` and by
 * `replay`, whose segments become the same events.
 */
import { addPhases, zeroPhases, type PhaseNs } from '../cost/index.js';
import { RESET_EVENTS, type EventName } from '../vmm/index.js';
import type { EventCost, Modeled } from './cell-result.js';

export function summariseEvents(events: EventCost[]): Modeled {
  const phases = zeroPhases();
  for (const e of events) addPhases(phases, e.phases);
  const resets = events.filter((e) => RESET_EVENTS.includes(e.name as EventName));
  const n = resets.length;
  const mean = (f: (e: EventCost) => number) => (n ? Math.round(resets.reduce((s, e) => s + f(e), 0) / n) : null);
  let perResetPhases: PhaseNs | null = null;
  if (n) {
    perResetPhases = zeroPhases();
    for (const e of resets) addPhases(perResetPhases, e.phases);
    for (const k of Object.keys(perResetPhases) as (keyof PhaseNs)[]) perResetPhases[k] = Math.round(perResetPhases[k] / n);
  }
  return {
    totalNs: events.reduce((s, e) => s + e.totalNs, 0),
    phases,
    resets: n,
    perResetNs: mean((e) => e.totalNs),
    perResetPhases,
    perResetBlackoutNs: mean((e) => e.blackoutNs),
    perResetPagesPinned: mean((e) => e.pagesPinned),
    events,
  };
}
