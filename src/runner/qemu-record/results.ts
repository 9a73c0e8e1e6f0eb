/**
 * What a `qemu record` results file holds (schema vdpa-lab/qemu-record@1):
 * the recording's facts, its real figures (the inner guest's downtime per
 * reset on its own clock, each device stop's span from the trace's
 * timestamps) and the modeled replay of its trace, in separate, labelled
 * fields. Here, below the CLI, so that `report` reads what `qemu record` writes.
 */
import { join } from 'node:path';
import { loadProfile } from '../../cost/index.js';
import type { KernelGeneration } from '../../kernel/index.js';
import { downtimes, traceResets, type Recording, type ResetDowntime, type TraceReset } from '../../real/qemu/index.js';
import { resolveProfilePath } from '../../workload/index.js';
import { replayTrace, summarizeReplay, type ReplaySummary } from '../replay/index.js';

export const RECORD_SCHEMA = 'vdpa-lab/qemu-record@1';
export const REAL_LABEL = 'real (nested TCG)';
export const NESTED_TCG_NOTE =
  'Nested TCG: this QEMU ran under TCG inside a TCG VM, so its guest runs 100x or more slower than on hardware. The trace and the guest clock are real, but they are TCG timings: use them for order and for comparing runs of this lab, not as what a host would see.';

export interface RecordFacts {
  command: string;
  qemu: { release: string; version: string; versionLine: string; packageVersion: string; suite: string };
  kernel: { alias: string; release: string; generation: KernelGeneration };
  innerKernel: string;
  ramMiB: number;
  backing: 'thp' | '4k' | 'hugetlb-2m';
  resets: number;
  svq: boolean;
}

export interface RecordResults {
  schema: typeof RECORD_SCHEMA;
  recordedAt: string;
  facts: RecordFacts;
  vm: Recording['vm'];
  innerCommand: string;
  note: string;
  real: { label: typeof REAL_LABEL; downtime: ResetDowntime[]; traceResets: TraceReset[] };
  modeled: ReplaySummary;
}

/** The trace's replay, as `vdpa-lab replay DIR/trace.log --backing B --what-if persist` computes it. */
export function replayRecording(traceText: string, tracePath: string, f: Pick<RecordFacts, 'kernel' | 'backing'>): ReplaySummary {
  const { profile, hash } = loadProfile(resolveProfilePath('default', join(process.cwd(), 'replay')));
  return summarizeReplay(
    replayTrace(traceText, tracePath, {
      kernel: f.kernel.generation,
      parent: 'vdpa_sim',
      backing: f.backing,
      backingGiven: true,
      whatIfPersist: true,
      profileName: 'default',
      profile,
      profileHash: hash,
    }),
  );
}

export function recordResults(rec: Recording, f: RecordFacts, modeled: ReplaySummary): RecordResults {
  return {
    schema: RECORD_SCHEMA,
    recordedAt: new Date().toISOString(),
    facts: f,
    vm: rec.vm,
    innerCommand: rec.innerCommand,
    note: NESTED_TCG_NOTE,
    real: { label: REAL_LABEL, downtime: downtimes(rec.stamps), traceResets: traceResets(rec.traceText) },
    modeled,
  };
}

/** What the per-reset figures need of a replay: a ReplaySummary is one, and so is a checked results file's `modeled`. */
export interface ModeledResets {
  devices: readonly { flows: readonly { notApplicable: string | null; segments: readonly { event: string; totalNs: number }[]; whole: { pagesPinned: number } | null }[] }[];
}

/**
 * Per reset of the replay, its modeled total over every fd: under the
 * workaround QEMU ran (flow 0) and under --what-if persist (flow 1).
 */
export function modeledResetsNs(m: ModeledResets, flow: 0 | 1): number[] {
  const per: number[] = [];
  for (const d of m.devices) {
    const fl = d.flows[flow];
    if (!fl || fl.notApplicable) continue;
    fl.segments.filter((s) => s.event === 'guest-reset').forEach((s, i) => (per[i] = (per[i] ?? 0) + s.totalNs));
  }
  return per;
}

/** Pages the replay pinned over the whole trace, every fd, in one flow. */
export function modeledPagesPinned(m: ModeledResets, flow: 0 | 1): number {
  return m.devices.reduce((s, d) => s + (d.flows[flow]?.whole?.pagesPinned ?? 0), 0);
}
