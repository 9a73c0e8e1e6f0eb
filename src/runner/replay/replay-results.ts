/**
 * A replay as a results file (`vdpa-lab/results@3`): one cell per fd and
 * flow, so `report` and `gate` read replays as they read runs. Modeled
 * figures only: a replay times nothing of the simulator's own.
 */
import { basename } from 'node:path';
import { makeCell, type CellParams } from '../../workload/index.js';
import { rangeToken } from '../../vmm/trace/index.js';
import type { CellResult, EventCost, Modeled } from '../cell-result.js';
import { gitCommit, hostFacts, labVersion } from '../provenance.js';
import { RESULTS_SCHEMA, type ResultsFile } from '../results-file.js';
import { summariseEvents } from '../modeled-summary.js';
import type { SegmentReport } from './replay-device.js';
import type { DeviceResult, FlowReplay, ReplayOutcome } from './replay-trace.js';

/** What a replay cell's params add to a run cell's: where the stream came from. */
export interface ReplayCellParams extends CellParams {
  trace: { sha256: string; fd: number; format: string };
}

export function replayResultsFile(o: ReplayOutcome, startedAt: string): ResultsFile {
  const cells = o.devices.flatMap((d) => d.flows.map((f) => cellOf(o, d, f)));
  return {
    schema: RESULTS_SCHEMA,
    provenance: {
      labVersion: labVersion(),
      gitCommit: gitCommit(),
      ...hostFacts(),
      // The workload of a replay is the trace plus the flags that shape its cells.
      workload: { name: `replay ${basename(o.source)}`, path: o.source, hash: workloadHash(o) },
      profiles: { [o.options.profileName]: o.options.profileHash },
      seed: 1,
      threads: 1,
      startedAt,
      finishedAt: new Date().toISOString(),
    },
    cells,
  };
}

function workloadHash(o: ReplayOutcome): string {
  const { kernel, parent, backing, meanRun, iotlbLimit, whatIfPersist, variant } = o.options;
  // The variant joins the identity only when given, so earlier replays keep theirs.
  return `${o.sha256.slice(0, 48)}:${[kernel, parent, backing, meanRun ?? '-', iotlbLimit ?? '-', whatIfPersist ? 'persist' : '-', ...(variant ? [variant] : [])].join(',')}`;
}

function cellOf(o: ReplayOutcome, d: DeviceResult, f: FlowReplay): CellResult {
  const opts = o.options;
  const resets = d.stream.resets;
  const params: ReplayCellParams = {
    flow: f.flow,
    parent: opts.parent,
    variant: opts.parent === 'vdpa_sim' ? (opts.variant ?? 'set_map') : null,
    kernel: opts.kernel,
    // The releases whose trace format fits every line: the QEMU that logged the trace.
    qemu: rangeToken(o.trace.releases),
    useVa: false,
    devices: 1,
    queuePairs: 1,
    nas: 2,
    guestBytes: Number(o.regions.reduce((s, r) => s + r.bytes, 0n)),
    backing: opts.backing,
    meanRun: opts.backing === '4k' ? (opts.meanRun ?? 1) : 1,
    dimms: [],
    seed: 1,
    events: ['boot', ...Array<'guest-reset'>(resets).fill('guest-reset'), 'close'],
    memlockBytes: null,
    iotlbLimit: opts.iotlbLimit ?? null,
    profile: opts.profileName,
    trace: { sha256: o.sha256, fd: d.stream.fd, format: o.trace.formatLabel },
  };
  const cell = makeCell(params);
  const label = `replay fd ${d.stream.fd} ${cell.label}`;
  const base = { id: cell.id, label, params, profileHash: opts.profileHash, simulator: null };
  const r = f.replay;
  if (!r.segments) return { ...base, status: 'n/a', reason: r.notApplicable, counters: {}, modeled: null, invariants: null };
  const problems = r.segments.flatMap((s) => s.viewProblems.map((p) => `${s.name}: ${p}`));
  const refusals = r.segments.flatMap((s) => s.refusals.map((x) => `line ${x.lineNo} ${x.event}: ${x.errno} (${x.cause})`));
  const reasons = [...problems, ...refusals];
  return {
    ...base,
    status: problems.length ? 'incorrect' : 'ok',
    reason: reasons.length ? `${reasons[0]}${reasons.length > 1 ? ` (and ${reasons.length - 1} more)` : ''}` : null,
    counters: r.counters,
    modeled: modeledOf(r.segments),
    invariants: { ok: problems.length === 0, violations: problems, views: {} },
  };
}

function modeledOf(segments: SegmentReport[]): Modeled {
  const events: EventCost[] = segments.map((s) => ({ name: s.event, totalNs: s.totalNs, phases: s.phases, blackoutNs: s.blackoutNs, pagesPinned: s.pagesPinned, viewProblems: s.viewProblems }));
  return summariseEvents(events);
}
