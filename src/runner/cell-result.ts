/**
 * What one cell produces. `modeled` figures are deterministic (counters x
 * profile prices); `simulator` figures are wall clock of this simulator on
 * this machine; `real` figures (real-result.ts) were measured on a real
 * kernel. They never share a number.
 */
import type { PhaseNs } from '../cost/index.js';
import type { CellParams } from '../workload/index.js';
import type { RealResult } from './real-result.js';

export type CellStatus =
  /** Ran; every running device translated what vhost holds after every event. */
  | 'ok'
  /** Ran, but a device view disagreed with vhost (or an invariant broke): a correctness failure. */
  | 'incorrect'
  /** The flow cannot run on this kernel/parent (reason says why). */
  | 'n/a'
  /** The simulation threw (a kernel error the VMM cannot handle, a worker crash, OOM). */
  | 'failed';

export interface EventCost {
  name: string;
  totalNs: number;
  phases: PhaseNs;
  /** Modeled ns during which device 0 did not translate all guest RAM. */
  blackoutNs: number;
  pagesPinned: number;
  viewProblems: string[];
}

export interface Modeled {
  totalNs: number;
  phases: PhaseNs;
  /** Reset events (guest-reset, reboot) in the cell. */
  resets: number;
  /** Means over the reset events; null when the cell has none. */
  perResetNs: number | null;
  perResetPhases: PhaseNs | null;
  perResetBlackoutNs: number | null;
  perResetPagesPinned: number | null;
  events: EventCost[];
}

export interface WallStats {
  /** Nanoseconds of wall clock per reset cycle of the simulator itself. */
  median: number;
  mean: number;
  p99: number;
  min: number;
  max: number;
  /** Relative margin of error, percent. */
  rme: number;
  samples: number[];
}

export interface SimulatorFigures {
  /** Wall time of one simulated reset cycle (tinybench samples), or null when not timed. */
  wallNs: WallStats | null;
  /** Wall time of the whole modeled run of the cell (one run, not a statistic). */
  runWallNs: number;
  /** DMA reader threads translating through device 0's view during the timed reset cycles. */
  dma?: DmaReadings;
}

export interface DmaReadings {
  readers: number;
  translations: number;
  /** Translations of mapped guest RAM the device view could not answer. */
  failures: number;
}

export interface CellResult {
  id: string;
  label: string;
  params: CellParams;
  status: CellStatus;
  reason: string | null;
  counters: Record<string, number>;
  modeled: Modeled | null;
  simulator: SimulatorFigures | null;
  /** Device views at the end (absent in files that did not record them). */
  invariants: { ok: boolean; violations: string[]; views?: Record<string, string> } | null;
  profileHash: string;
  /** The same cell on a real kernel (`run --backend`); absent when the run had no real backend. */
  real?: RealResult;
}
