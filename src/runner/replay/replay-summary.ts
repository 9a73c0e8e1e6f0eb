/**
 * The replay's own summary (what `--json` prints and the table reads):
 * plain JSON, addresses as hex strings so 64-bit values stay exact.
 */
import { hex } from '../../iotlb/index.js';
import { zeroPhases, addPhases } from '../../cost/index.js';
import type { SegmentReport, Totals } from './replay-device.js';

export type { Totals } from './replay-device.js';
import { DEFAULT_BACKING_REASON, type ReplayOutcome } from './replay-trace.js';

export interface SegmentSummary extends Omit<SegmentReport, 'counters'> {
  counters: Record<string, number>;
}

export interface FlowSummary {
  flow: 'workaround' | 'persist';
  notApplicable: string | null;
  segments: SegmentSummary[];
  whole: Totals | null;
  pairsDroppedPerReset?: number[];
  droppedLines?: number[];
}

export interface ReplaySummary {
  schema: 'vdpa-lab/replay@1';
  trace: { path: string; sha256: string; format: string; lines: number; vdpaLines: number; usedLines: number; timestamps: boolean };
  /** QEMU 8.1+'s CVQ isolation probe, untraced, was added to each fd's stream (the trace's formats fit 8.1+ only). */
  cvqProbe: boolean;
  kernel: string;
  parent: string;
  variant: string | null;
  useVa: false;
  backing: { name: string; source: 'flag' | 'default'; reason: string | null; meanRun: number | null };
  iotlbLimit: number | null;
  /** Guest RAM preallocated (--prealloc); false: each page's first pin faulted it in. */
  prealloc: boolean;
  profile: string;
  hostRegions: { uaddr: string; bytes: number; firstLine: number }[];
  unattributedLines: number[];
  devices: {
    fd: number;
    pointers: string[];
    devs: string[];
    resets: number;
    iovaRange: { first: string; last: string };
    flows: FlowSummary[];
    /** --what-if persist: per reset, workaround ns - persist ns. */
    savingPerResetNs?: (number | null)[];
  }[];
  wallMs: number;
}

export function totalsOf(segments: SegmentReport[]): Totals {
  const t: Totals = { messages: 0, updates: 0, invalidates: 0, batches: 0, entriesAdded: 0, entriesRemoved: 0, pagesPinned: 0, pagesUnpinned: 0, totalNs: 0, phases: zeroPhases(), blackoutNs: 0, refusals: [] };
  for (const s of segments) {
    for (const k of ['messages', 'updates', 'invalidates', 'batches', 'entriesAdded', 'entriesRemoved', 'pagesPinned', 'pagesUnpinned', 'totalNs', 'blackoutNs'] as const) t[k] += s[k];
    addPhases(t.phases, s.phases);
    t.refusals.push(...s.refusals);
  }
  return t;
}

export function summarizeReplay(o: ReplayOutcome): ReplaySummary {
  const opts = o.options;
  return {
    schema: 'vdpa-lab/replay@1',
    trace: { path: o.source, sha256: o.sha256, format: o.trace.formatLabel, lines: o.trace.lines, vdpaLines: o.trace.vdpaLines, usedLines: o.trace.usedLines, timestamps: o.trace.timestamps },
    cvqProbe: o.cvqProbe,
    kernel: opts.kernel,
    parent: opts.parent,
    variant: opts.parent === 'vdpa_sim' ? 'set_map' : null,
    useVa: false,
    backing: { name: opts.backing, source: opts.backingGiven ? 'flag' : 'default', reason: opts.backingGiven ? null : DEFAULT_BACKING_REASON, meanRun: opts.backing === '4k' ? (opts.meanRun ?? 1) : null },
    iotlbLimit: opts.iotlbLimit ?? null,
    prealloc: opts.prealloc ?? false,
    profile: opts.profileName,
    hostRegions: o.regions.map((r) => ({ uaddr: hex(r.uaddr), bytes: Number(r.bytes), firstLine: r.firstLine })),
    unattributedLines: o.unattributedLines,
    devices: o.devices.map((d) => {
      const flows: FlowSummary[] = d.flows.map((f) => ({
        flow: f.flow,
        notApplicable: f.replay.notApplicable,
        segments: f.replay.segments ?? [],
        whole: f.replay.segments ? totalsOf(f.replay.segments) : null,
        ...(f.pairsDroppedPerReset ? { pairsDroppedPerReset: f.pairsDroppedPerReset, droppedLines: f.droppedLines } : {}),
      }));
      const w = flows[0].segments.filter((s) => s.event === 'guest-reset');
      const p = flows[1]?.segments.filter((s) => s.event === 'guest-reset');
      return {
        fd: d.stream.fd,
        pointers: d.stream.pointers,
        devs: d.stream.devs,
        resets: d.stream.resets,
        iovaRange: { first: hex(d.stream.iovaRange.first), last: hex(d.stream.iovaRange.last) },
        flows,
        ...(flows[1] ? { savingPerResetNs: w.map((s, i) => (p && p[i] ? s.totalNs - p[i].totalNs : null)) } : {}),
      };
    }),
    wallMs: Math.round(o.wallNs / 1e4) / 100,
  };
}

