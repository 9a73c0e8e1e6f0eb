/**
 * `qemu record`'s text: the recording's facts, the real figures (the trace's
 * own timestamps per reset, the inner guest's downtime per reset on its own
 * clock) and the model's replay beside them. What results.json holds, and
 * how it is made, is runner/qemu-record/results.ts.
 */
import { join } from 'node:path';
import { fmtDuration, textTable } from '../text-format.js';
import { modeledPagesPinned, modeledResetsNs, NESTED_TCG_NOTE, REAL_LABEL, type RecordResults } from '../runner/qemu-record/results.js';

export { recordResults, replayRecording, RECORD_SCHEMA, REAL_LABEL, NESTED_TCG_NOTE } from '../runner/qemu-record/results.js';
export type { RecordFacts, RecordResults } from '../runner/qemu-record/results.js';

const ms = (x: number | null) => (x === null ? '-' : `${x.toLocaleString('en-US')} ms`);

export function recordText(r: RecordResults, dir: string): string {
  const f = r.facts;
  const out: string[] = [];
  out.push(`QEMU ${f.qemu.version} (${f.qemu.versionLine}, Debian ${f.qemu.suite}) on vdpa_sim (use_va=0) in a ${f.kernel.release} VM (${r.vm.accel}, ${r.vm.memMiB} MiB): ${f.ramMiB} MiB ${f.backing} guest, ${f.resets} reset(s)${f.svq ? ', x-svq=on' : ''}`);
  out.push(`VM wall time ${(r.vm.wallMs / 1000).toFixed(0)} s (boot to /init ${(r.vm.bootMs / 1000).toFixed(1)} s)`);
  out.push(NESTED_TCG_NOTE);
  out.push('');
  out.push(`Guest-visible downtime per reset, ${REAL_LABEL}, on the inner guest's clock (driver unbind = reset):`);
  out.push(
    textTable(
      ['reset', 'to link up', 'to first TX completed', 'unbind (remove, reset)', 'bind (probe, DRIVER_OK)', 'to carrier', 'trace: stop + start messages'],
      r.real.downtime.map((d) => {
        const t = r.real.traceResets[d.reset - 1];
        const s = d.steps;
        return [String(d.reset), ms(d.linkUpMs), ms(d.firstTxMs), ms(s?.unbindMs ?? null), ms(s?.bindMs ?? null), ms(s?.carrierMs ?? null), t ? ms(Math.round((t.stopSpanMs + (t.startSpanMs ?? 0)) * 1000) / 1000) : '-'];
      }),
    ),
  );
  // The evidence that the downtime is TCG time: QEMU's vhost-vdpa messages are a small part of it, the guest's driver steps the rest.
  out.push("Of the guest's downtime, QEMU's vhost-vdpa messages (the trace's stop and start blocks) take the last column; the rest is the inner guest's own driver work, emulated twice over (nested TCG).");
  if (r.real.downtime.some((d) => d.firstTxMs === null)) out.push("No TX completed after some reset: if QEMU's stderr (qemu-stderr.log) says a map failed, the device had no map for the rings.");
  out.push('');
  const w = modeledResetsNs(r.modeled, 0);
  const p = modeledResetsNs(r.modeled, 1);
  out.push(`Per device stop in the trace: ${REAL_LABEL} from its timestamps, beside the model's reset (modeled, default profile, ${f.kernel.generation} kernel, ${f.backing}):`);
  out.push(
    textTable(
      ['stop', 'trace line', 'stop span', 'stop -> start', 'start span', 'modeled reset (workaround)', 'modeled (persist)'],
      r.real.traceResets.map((t, i) => [String(t.reset), String(t.line), ms(t.stopSpanMs), ms(t.stopToStartMs), ms(t.startSpanMs), fmtDuration(w[i] ?? null), fmtDuration(p[i] ?? null)]),
    ),
  );
  const pinned = (flow: 0 | 1) => modeledPagesPinned(r.modeled, flow);
  out.push(`Pages pinned over the whole trace (modeled): ${pinned(0).toLocaleString('en-US')} as traced, ${pinned(1).toLocaleString('en-US')} with IOTLB_PERSIST`);
  out.push('');
  out.push(`written: ${['trace.log', 'guest.log', 'results.json', 'stream-check'].map((x) => join(dir, x)).join(', ')}`);
  out.push(`replay it: vdpa-lab replay ${join(dir, 'trace.log')} --backing ${f.backing} --what-if persist`);
  return out.join('\n');
}
