/**
 * Records what each VMM step cost in counters (modeled figures): a snapshot
 * of the kernel's and the VMM's counters before and after, kept as a sparse
 * delta. The cost layer prices the deltas; nothing here knows about time.
 */
import { COUNTER_NAMES, type KernelCounters } from '../kernel/index.js';
import type { VmmCounters } from './vdpa-backend.js';

/** open: fd setup; reset: SET_STATUS 0; unmap / map: listener streams; start: status up to DRIVER_OK; close: release. */
export type StepKind = 'open' | 'map' | 'unmap' | 'reset' | 'start' | 'close';

export interface StepRecord {
  kind: StepKind;
  /** Non-zero counter deltas of this step. */
  counters: Record<string, number>;
  /** Device 0's ASID 0 translated all of guest RAM at the end of the step. */
  translating: boolean;
}

const VMM_NAMES: readonly (keyof VmmCounters)[] = ['vqConfigures', 'deviceStarts', 'svqSwitches', 'vmmMunmaps', 'vmmMmaps'];
export const ALL_COUNTER_NAMES: readonly string[] = [...COUNTER_NAMES, ...VMM_NAMES];

export class StepRecorder {
  private readonly before = new Float64Array(ALL_COUNTER_NAMES.length);

  constructor(
    private readonly kernel: KernelCounters,
    private readonly vmm: VmmCounters,
  ) {}

  private read(out: Float64Array): void {
    let i = 0;
    for (const n of COUNTER_NAMES) out[i++] = this.kernel[n];
    for (const n of VMM_NAMES) out[i++] = this.vmm[n];
  }

  /** Runs `body` and returns its sparse counter delta. */
  measure(body: () => void): Record<string, number> {
    this.read(this.before);
    body();
    const after = new Float64Array(ALL_COUNTER_NAMES.length);
    this.read(after);
    const delta: Record<string, number> = {};
    for (let i = 0; i < after.length; i++) {
      const d = after[i] - this.before[i];
      if (d !== 0) delta[ALL_COUNTER_NAMES[i]] = d;
    }
    return delta;
  }

  /** Current totals of every counter (dense). */
  totals(): Record<string, number> {
    const now = new Float64Array(ALL_COUNTER_NAMES.length);
    this.read(now);
    return Object.fromEntries(ALL_COUNTER_NAMES.map((n, i) => [n, now[i]]));
  }
}

/** Adds sparse deltas into `into`. */
export function addCounters(into: Record<string, number>, delta: Record<string, number>): Record<string, number> {
  for (const k in delta) into[k] = (into[k] ?? 0) + delta[k];
  return into;
}
