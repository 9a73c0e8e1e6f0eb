/**
 * `calibrate --from RESULTS.json...`: fit a profile's prices to what a real
 * kernel measured. Every cell of a `run --backend` results file whose real
 * answers agreed with the model gives one observation per event (boot, each
 * reset, close): the model's counters of that event, re-derived from the
 * cell's parameters (deterministic), against the real kernel's time in that
 * event's syscalls. Least squares on relative residuals solves for the free
 * prices, every other price held; each fitted price names the files, kernel, accelerator, CPU and
 * date it came from. `--check` prices other real runs with a profile and
 * says how far the model lands from the kernel, per reset.
 */
import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import { fitPrices, VirtualClock, type CostProfile, type FitResult, type Observation } from '../cost/index.js';
import { addCounters, RESET_EVENTS, VirtualMachine, type EventName } from '../vmm/index.js';
import { makeCell, toVmSpec, type CellParams } from '../workload/index.js';
import type { CellResult } from './cell-result.js';
import { clockOf, REAL_PHASES, type RealClock, type RealFigures, type RealPhaseNs } from './real-result.js';
import { probePhaseCounters, type PhaseCounters } from './real/probe-phases.js';
import { readResults, type ResultsFile } from './results-file.js';
import { median } from 'simple-statistics';

/** A cell that ran on a real kernel and agreed with the model. */
type RealCell = CellResult & { real: RealFigures };

/**
 * The cell as the real host laid it out: the guest's mean physically
 * contiguous run as the probe read it from pagemap, in place of the seeded
 * one, so the model's counters (one IOTLB entry per run) are the real
 * kernel's. Measured here: the same 4k guest came out with runs of 1 to
 * hundreds of pages depending on what ran in the VM before it, and large
 * folios side by side (a 1 GiB THP guest in 6 runs, where the model's own
 * layout never puts two folios together: 512 entries).
 */
function asLaidOut(cell: RealCell): CellParams {
  const mean = cell.real.layout?.meanRun;
  if (!mean) return cell.params;
  return { ...cell.params, meanRun: cell.params.backing === '4k' ? Math.min(512, Math.max(1, Math.round(mean))) : mean };
}

/**
 * A cell's real cost of one reset: the median over its reset events and its
 * repeated reset cycles (the same operations). The median, because the first
 * reset after boot ran up to 10x slower than the rest on the real kernel
 * (unmap 213 us against 30 us under TCG), and one slow cycle in five is common
 * on a shared host.
 */
function realResetNs(cell: RealCell): number | null {
  const xs = [...cell.real.events.filter((e) => RESET_EVENTS.includes(e.name as EventName)).map((e) => e.totalNs), ...(cell.real.resetCycleNs?.samples ?? [])];
  return xs.length ? median(xs) : null;
}

/** Cells that ran on a real kernel and agreed with the model, from each file. */
function agreeingCells(file: ResultsFile, path: string): RealCell[] {
  const cells = file.cells.filter((c): c is RealCell => c.real?.status === 'agree');
  if (cells.length === 0) throw new InputError(path, 'holds no cell with real-kernel figures that agreed with the model (run it with --backend vm:KERNEL or device:PATH)');
  return cells;
}

/** The guest clock that timed a set of real runs, and the first file that says so. */
export interface RunsClock {
  clock: RealClock;
  path: string;
}

/**
 * The one guest clock of these runs' real cells. A wall-clock time is what
 * the shared host gave TCG then; an icount time is the guest's instructions
 * at 1 ns each (real-result.ts RealClock): two kinds of real figure, which a
 * fit or a check never mixes. A mix is bad input, named by the files.
 */
export function runsClock(paths: string[], root = process.cwd(), other?: RunsClock): RunsClock {
  let seen = other;
  for (const path of paths) {
    for (const cell of agreeingCells(readResults(resolve(root, path)), path)) {
      const clock = clockOf(cell.real);
      if (!seen) seen = { clock, path };
      else if (clock !== seen.clock) {
        throw new InputError(path, `was timed by the ${clock} clock and ${seen.path} by the ${seen.clock} clock: two kinds of real figure, never fitted or checked together (record both with the same run --clock)`);
      }
    }
  }
  return seen ?? { clock: 'wall', path: paths[0] ?? '' };
}

/** One event of a cell as the model runs it: its counters, whole and split into the probe's phases. */
interface ModelEvent {
  name: string;
  counters: Record<string, number>;
  phases: PhaseCounters;
}

/** The model's counters of each event of a cell, in order (close last, as the real script ran them). */
function eventCounters(params: CellParams): ModelEvent[] {
  const vm = new VirtualMachine(toVmSpec(params));
  try {
    const events = params.events as EventName[];
    const all = events[events.length - 1] === 'close' ? events : [...events, 'close' as EventName];
    return all.map((name) => {
      const counters: Record<string, number> = {};
      const { steps } = vm.runEvent(name);
      for (const s of steps) addCounters(counters, s.counters);
      return { name, counters, phases: probePhaseCounters(steps) };
    });
  } finally {
    vm.dispose();
  }
}

/**
 * One event's observations: the whole event, or with `byPhase` one per
 * probe phase the real kernel spent time in, each against the counters the
 * model books there. Per phase, prices that always come together in a reset
 * (an UPDATE's and an INVALIDATE's write, the reset and the VMM's munmaps)
 * come apart, because they land in different phases.
 */
function observationsOf(label: string, parent: string, m: ModelEvent, real: RealPhaseNs, totalNs: number, byPhase: boolean): Observation[] {
  if (!byPhase) return [{ label, parent, counters: m.counters, seconds: totalNs / 1e9 }];
  return REAL_PHASES.filter((k) => real[k] > 0).map((k) => ({ label: `${label} ${k}`, parent, counters: m.phases[k], seconds: real[k] / 1e9 }));
}

/**
 * Results files are read relative to `root` (the working directory unless a
 * profile's recipe says the package root) and named as given, so a fitted
 * price's source reads the same on every machine.
 */
export function realObservations(paths: string[], root = process.cwd(), byPhase = false): { observations: Observation[]; provenance: string } {
  runsClock(paths, root);
  const observations: Observation[] = [];
  const who = new Set<string>();
  for (const path of paths) {
    const file = readResults(resolve(root, path));
    const p = file.provenance;
    for (const cell of agreeingCells(file, path)) {
      const model = eventCounters(makeCell(asLaidOut(cell)).params);
      const real = cell.real.events;
      if (real.length !== model.length) throw new InputError(`${path}: ${cell.label}`, `has ${real.length} real events where the cell runs ${model.length}`);
      // Boot and close as they ran; the resets (identical operations) as one observation at their median.
      model.forEach((m, k) => {
        if (!RESET_EVENTS.includes(m.name as EventName)) observations.push(...observationsOf(`${cell.label} ${m.name}`, cell.params.parent, m, real[k].ns, real[k].totalNs, byPhase));
      });
      const reset = model.find((m) => RESET_EVENTS.includes(m.name as EventName));
      const ns = realResetNs(cell);
      if (reset && ns !== null) observations.push(...observationsOf(`${cell.label} reset (median)`, cell.params.parent, reset, realResetPhases(cell), ns, byPhase));
      who.add(`${path} (${cell.real.kernel}, ${cell.real.accel.toUpperCase()}${clockOf(cell.real) === 'icount' ? ' icount clock' : ''}, ${p.cpu ?? 'unknown CPU'}, ${p.startedAt?.slice(0, 10) ?? 'undated'})`);
    }
  }
  return { observations, provenance: [...who].join('; ') };
}

export interface RealCalibration {
  profile: CostProfile;
  fit: FitResult;
  observations: number;
}

export function calibrateFromReal(base: CostProfile, paths: string[], free: string[], name: string, root = process.cwd(), byPhase = false): RealCalibration {
  const { observations, provenance } = realObservations(paths, root, byPhase);
  // Relative residuals: a PERSIST reset of 100 us must count as much as a 1 s workaround reset.
  const fit = fitPrices(base, free, observations, '--from', true);
  const prices = { ...base.prices };
  for (const [k, ns] of Object.entries(fit.prices)) {
    prices[k] = { ns: Number(ns.toFixed(3)), source: `FITTED by \`vdpa-lab calibrate --from\` to real-kernel figures: ${provenance}; every other price held at ${base.name}'s` };
  }
  const parents = Object.fromEntries(Object.entries(base.parents).map(([parent, ps]) => [parent, Object.fromEntries(Object.entries(ps ?? {}).filter(([k]) => !free.includes(k)))]));
  // The base's recipe (fittedTo) made the base, not this profile: `calibrate --refit` adds one back.
  const { fittedTo: _recipe, ...rest } = base;
  return {
    profile: {
      ...rest,
      name,
      description: `${base.description} Prices ${free.join(', ')} fitted to real-kernel runs.`,
      calibration: `\`vdpa-lab calibrate --from ${paths.join(' ')} --fit ${free.join(',')}${byPhase ? ' --by-phase' : ''}\`: ${observations.length} observations (boot, each reset and close of every cell whose real answers agreed with the model${byPhase ? ', each split into the probe\'s map, unmap, reset and other phases' : ''}) from ${provenance}. Real figures under TCG are TCG figures: a profile fitted to them predicts that VM, not native hardware.`,
      prices,
      parents,
    },
    fit,
    observations: observations.length,
  };
}

export interface PredictionRow {
  label: string;
  realNs: number;
  modeledNs: number;
  /** (modeled - real) / real, percent. */
  errorPct: number;
  /**
   * Per reset, by the real probe's phases: the real kernel's median over the
   * cell's reset events (map: the UPDATE writes, pins included; unmap: the
   * INVALIDATE writes; reset: SUSPEND and SET_STATUS 0; other: every other
   * call, the VMM's munmap and mmap among them) beside the modeled phases
   * booked the same way (real/probe-phases.ts).
   */
  phases: { real: RealPhaseNs; modeled: RealPhaseNs };
}

/** Median of each real phase over the cell's reset events. */
function realResetPhases(cell: RealCell): RealPhaseNs {
  const resets = cell.real.events.filter((e) => RESET_EVENTS.includes(e.name as EventName));
  const at = (k: keyof RealPhaseNs) => (resets.length ? median(resets.map((e) => e.ns[k])) : 0);
  return { map: at('map'), unmap: at('unmap'), reset: at('reset'), other: at('other') };
}

/** Modeled cost per reset of each real cell under `profile`, beside the real one. */
export function checkAgainstReal(profile: CostProfile, paths: string[], root = process.cwd()): PredictionRow[] {
  runsClock(paths, root);
  const rows: PredictionRow[] = [];
  for (const path of paths) {
    for (const cell of agreeingCells(readResults(resolve(root, path)), path)) {
      const realNs = realResetNs(cell);
      if (realNs === null) continue;
      const clock = new VirtualClock(profile, cell.params.parent);
      const resets = eventCounters(makeCell(asLaidOut(cell)).params).filter((e) => RESET_EVENTS.includes(e.name as EventName));
      const modeledNs = resets.reduce((s, e) => s + clock.price(e.counters).totalNs, 0) / resets.length;
      const phases = { map: 0, unmap: 0, reset: 0, other: 0 };
      for (const k of REAL_PHASES) phases[k] = resets.reduce((s, e) => s + clock.price(e.phases[k]).totalNs, 0) / resets.length;
      rows.push({ label: cell.label, realNs, modeledNs, errorPct: ((modeledNs - realNs) / realNs) * 100, phases: { real: realResetPhases(cell), modeled: phases } });
    }
  }
  return rows;
}
