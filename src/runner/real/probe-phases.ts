/**
 * A modeled event's counters booked into the phases the real probe times
 * (record-ops.ts phaseOf: map = UPDATE writes, unmap = INVALIDATE writes,
 * reset = SUSPEND and SET_STATUS 0, other = every other call), so a modeled
 * phase and a real one hold the same calls.
 *
 * The cost layer books each counter by what it is (COUNTER_PHASE: a batch or
 * a set_map is "map"). The probe books by the call that did the work: the
 * BATCH_END that closes an unmap batch runs vdpasim_set_map inside an unmap
 * phase, a SET_STATUS that raises DRIVER_OK is "other", and everything inside
 * open() and close() (release's unmap of all that is left) is "other". So the
 * booking here needs the VMM step each counter was counted in.
 */
import { COUNTER_PHASE, type Phase } from '../../cost/index.js';
import type { StepKind, StepRecord } from '../../vmm/index.js';
import type { REAL_PHASES } from '../real-result.js';

export type RealPhase = (typeof REAL_PHASES)[number];
export type PhaseCounters = Record<RealPhase, Record<string, number>>;

/** Work a batch's BATCH_END (or an unbatched write) does: booked with the writes around it. */
const WITH_THE_WRITES = new Set(['messages', 'batches', 'setMaps', 'setMapEntriesWalked', 'setMapEntriesFreed']);

/** Work an ioctl does (SET_STATUS, SUSPEND, RESUME) and the parent's reset or MR work inside it: booked by the step's call. */
const WITH_THE_IOCTL = new Set([
  'ioctls', 'resets', 'resetsCleanMap', 'resetsKeepMap', 'resetMaps', 'resetEntriesFreed', 'vqSuspends', 'vqResumes',
  'mrBuilds', 'dmaMrBuilds', 'directMrs', 'mtts', 'nullKlms', 'mkeysCreated', 'mkeysDestroyed',
]);

/** The VMM's own calls (mmap, munmap, vring setup ioctls): never an UPDATE, INVALIDATE or reset. */
const VMM_OWN = new Set(['vqConfigures', 'deviceStarts', 'svqSwitches', 'vmmMunmaps', 'vmmMmaps']);

const BY_COST_PHASE: Record<Phase, RealPhase> = { map: 'map', pin: 'map', unmap: 'unmap', reset: 'reset', mrBuild: 'other', vqRestart: 'other' };

/** The probe's phase of a step's calls: SET_STATUS 0 and SUSPEND are "reset"; FEATURES_OK and DRIVER_OK "other". */
const BY_STEP: Record<StepKind, RealPhase> = { map: 'map', unmap: 'unmap', reset: 'reset', start: 'other', open: 'other', close: 'other' };

function phaseOfCounter(counter: string, step: StepRecord): RealPhase {
  // open() and close() are one syscall each: all their work is "other".
  if (step.kind === 'open' || step.kind === 'close' || VMM_OWN.has(counter)) return 'other';
  if (WITH_THE_WRITES.has(counter)) {
    if (step.counters.iotlbUpdates) return 'map';
    if (step.counters.iotlbInvalidates) return 'unmap';
    return BY_STEP[step.kind];
  }
  // An ioctl in a map step is SET_GROUP_ASID, never a write: "other" as the probe books it.
  if (WITH_THE_IOCTL.has(counter)) return step.kind === 'reset' ? 'reset' : 'other';
  return BY_COST_PHASE[COUNTER_PHASE[counter] ?? 'vqRestart'];
}

/** The counters of one event's steps, split into the probe's phases. */
export function probePhaseCounters(steps: readonly StepRecord[]): PhaseCounters {
  const out: PhaseCounters = { map: {}, unmap: {}, reset: {}, other: {} };
  for (const step of steps) {
    for (const [k, n] of Object.entries(step.counters)) {
      const into = out[phaseOfCounter(k, step)];
      into[k] = (into[k] ?? 0) + n;
    }
  }
  return out;
}
