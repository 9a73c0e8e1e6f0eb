/**
 * What `qemu record` makes of a recording: the replay of its trace on the
 * model (the same code as `vdpa-lab replay`, with --what-if persist), the real
 * figures beside it (the trace's own timestamps per reset, and the inner
 * guest's downtime per reset on its own clock), as results.json and as text.
 * Modeled and real figures stay in separate, labelled fields.
 */
import { join } from 'node:path';
import { loadProfile } from '../cost/index.js';
import type { KernelGeneration } from '../kernel/index.js';
import { replayTrace, summarizeReplay, type ReplaySummary } from '../runner/replay/index.js';
import { fmtDuration, textTable } from '../text-format.js';
import { resolveProfilePath } from '../workload/index.js';
import { downtimes, traceResets, type Recording, type ResetDowntime, type TraceReset } from '../real/qemu/index.js';

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
export function replayRecording(traceText: string, tracePath: string, f: RecordFacts): ReplaySummary {
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

const ms = (x: number | null) => (x === null ? '-' : `${x.toLocaleString('en-US')} ms`);

export function recordText(r: RecordResults, dir: string): string {
  const f = r.facts;
  const out: string[] = [];
  out.push(`QEMU ${f.qemu.version} (${f.qemu.versionLine}, Debian ${f.qemu.suite}) on vdpa_sim (use_va=0) in a ${f.kernel.release} VM (${r.vm.accel}, ${r.vm.memMiB} MiB): ${f.ramMiB} MiB ${f.backing} guest, ${f.resets} reset(s)${f.svq ? ', x-svq=on' : ''}`);
  out.push(`VM wall time ${(r.vm.wallMs / 1000).toFixed(0)} s (boot to /init ${(r.vm.bootMs / 1000).toFixed(1)} s)`);
  out.push(NESTED_TCG_NOTE);
  out.push('');
  out.push(`Guest-visible downtime per reset, ${REAL_LABEL}, on the inner guest's clock (driver unbind = reset):`);
  out.push(textTable(['reset', 'to link up', 'to first TX completed'], r.real.downtime.map((d) => [String(d.reset), ms(d.linkUpMs), ms(d.firstTxMs)])));
  out.push('');
  // Modeled: the replay's per-reset totals over every fd, under the workaround QEMU ran and under --what-if persist.
  const resets = (flow: 0 | 1) => {
    const per: number[] = [];
    for (const d of r.modeled.devices) {
      const fl = d.flows[flow];
      if (!fl || fl.notApplicable) continue;
      fl.segments.filter((s) => s.event === 'guest-reset').forEach((s, i) => (per[i] = (per[i] ?? 0) + s.totalNs));
    }
    return per;
  };
  const w = resets(0);
  const p = resets(1);
  out.push(`Per device stop in the trace: ${REAL_LABEL} from its timestamps, beside the model's reset (modeled, default profile, ${f.kernel.generation} kernel, ${f.backing}):`);
  out.push(
    textTable(
      ['stop', 'trace line', 'stop span', 'stop -> start', 'start span', 'modeled reset (workaround)', 'modeled (persist)'],
      r.real.traceResets.map((t, i) => [String(t.reset), String(t.line), ms(t.stopSpanMs), ms(t.stopToStartMs), ms(t.startSpanMs), fmtDuration(w[i] ?? null), fmtDuration(p[i] ?? null)]),
    ),
  );
  const pinned = (flow: 0 | 1) => r.modeled.devices.reduce((s, d) => s + (d.flows[flow]?.whole?.pagesPinned ?? 0), 0);
  out.push(`Pages pinned over the whole trace (modeled): ${pinned(0).toLocaleString('en-US')} as traced, ${pinned(1).toLocaleString('en-US')} with IOTLB_PERSIST`);
  out.push('');
  out.push(`written: ${['trace.log', 'guest.log', 'results.json', 'stream-check'].map((x) => join(dir, x)).join(', ')}`);
  out.push(`replay it: vdpa-lab replay ${join(dir, 'trace.log')} --backing ${f.backing} --what-if persist`);
  return out.join('\n');
}
