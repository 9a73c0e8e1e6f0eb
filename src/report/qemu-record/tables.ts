/**
 * The recordings' tables, side by side by release (a column group per
 * recording, oldest release first), one table per kind of figure: the same
 * header and rows feed summary.md and index.html.
 */
import { fmtDuration } from '../../text-format.js';
import { NESTED_TCG_NOTE, REAL_LABEL } from '../../runner/qemu-record/results.js';
import { MODELED_LABEL, type RecordingRow, type ResetRow } from './rows.js';

export interface Table {
  title: string;
  header: string[];
  rows: string[][];
}

const ms = (x: number | null, none = '-') => (x === null ? none : `${x.toLocaleString('en-US')} ms`);
const maxResets = (rows: RecordingRow[]) => Math.max(0, ...rows.map((r) => r.resets.length));

/** A table with one row per reset number and, per recording, the columns `cols` gives. */
function sideBySide(title: string, rows: RecordingRow[], names: string[], cols: (x: ResetRow | undefined) => string[]): Table {
  const header = ['reset', ...rows.flatMap((r) => names.map((n) => `${r.label}: ${n}`))];
  const body = Array.from({ length: maxResets(rows) }, (_, i) => [String(i + 1), ...rows.flatMap((r) => cols(r.resets[i]))]);
  return { title, header, rows: body };
}

export function recordingsTable(rows: RecordingRow[]): Table {
  return {
    title: 'Recordings',
    header: ['recording', 'QEMU', 'kernel VM', 'inner guest', 'resets', 'recorded', 'results file', 'modeled from'],
    rows: rows.map((r) => {
      const { facts: f, vm, recordedAt } = r.file.record;
      return [
        r.label,
        `${f.qemu.versionLine} (Debian ${f.qemu.suite})`,
        `${vm.release} (${vm.accel.toUpperCase()}, ${vm.memMiB} MiB)`,
        `${f.ramMiB} MiB ${f.backing}${f.svq ? ', x-svq=on' : ''}, ${f.innerKernel}`,
        String(f.resets),
        recordedAt.slice(0, 10),
        r.file.path,
        r.file.modeledFrom === 'results' ? 'the results file' : r.file.modeledFrom === 'trace.log' ? 'trace.log beside it (replayed now)' : 'nothing: no replay, no trace.log',
      ];
    }),
  };
}

export function downtimeTable(rows: RecordingRow[]): Table {
  return sideBySide(`Guest-visible downtime per reset, ${REAL_LABEL}, on the inner guest's clock (driver unbind = the reset)`, rows, ['to link up', 'to first TX completed'], (x) => (x ? [ms(x.real.linkUpMs, 'never'), ms(x.real.firstTxMs, 'never')] : ['', '']));
}

export function stepsTable(rows: RecordingRow[]): Table {
  return {
    title: `Where the guest's downtime went, ${REAL_LABEL}, step by step on its clock`,
    header: ['recording', 'reset', 'unbind (remove, device reset)', 'bind (probe, DRIVER_OK)', 'to carrier', 'link up -> TX completed'],
    rows: rows.flatMap((r) => r.resets.map((x) => {
      const s = x.real.steps;
      return [r.label, String(x.reset), ...(s ? [ms(s.unbindMs), ms(s.bindMs), ms(s.carrierMs), ms(s.txMs)] : ['-', '-', '-', '-'])];
    })),
  };
}

export function traceTable(rows: RecordingRow[]): Table {
  return sideBySide(`The trace's vhost-vdpa time per reset, ${REAL_LABEL}, from QEMU's timestamps (first to last message of the stop and of the next start: the last ioctl of each is not timed)`, rows, ['device stop', 'stop -> next start', 'device start'], (x) =>
    x ? [ms(x.real.traceStopSpanMs), ms(x.real.traceStopToStartMs), ms(x.real.traceStartSpanMs)] : ['', '', ''],
  );
}

export function modeledTable(rows: RecordingRow[]): Table {
  return sideBySide(`The model's reset per reset, ${MODELED_LABEL}, replaying the same trace`, rows, ['as traced (workaround)', 'with IOTLB_PERSIST'], (x) =>
    x ? (x.modeled ? [fmtDuration(x.modeled.workaroundNs), fmtDuration(x.modeled.persistNs)] : ['n/a', 'n/a']) : ['', ''],
  );
}

export function pinnedTable(rows: RecordingRow[]): Table {
  return {
    title: `Pages pinned over the whole trace, ${MODELED_LABEL}`,
    header: ['recording', 'as traced', 'with IOTLB_PERSIST'],
    rows: rows.map((r) => [r.label, ...(r.pagesPinned ? [r.pagesPinned.workaround.toLocaleString('en-US'), r.pagesPinned.persist.toLocaleString('en-US')] : ['n/a', 'n/a'])]),
  };
}

export function allTables(rows: RecordingRow[]): Table[] {
  return [recordingsTable(rows), downtimeTable(rows), stepsTable(rows), traceTable(rows), modeledTable(rows), pinnedTable(rows)];
}

export const KINDS_NOTE = `${NESTED_TCG_NOTE} Modeled figures are the lab's kernel model replaying the recorded trace (counters x the default cost profile): deterministic, and unaffected by how slowly the messages were sent. The kinds are never added, divided or drawn on one axis.`;

/** Findings a reader should not miss, read off the figures. */
export function notes(rows: RecordingRow[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    const never = r.resets.filter((x) => x.real.firstTxMs === null).map((x) => x.reset);
    if (never.length) out.push(`${r.label}: no TX completed after reset ${never.join(', ')}. Recordings made before RLIMIT_MEMLOCK was lifted for QEMU (Dec 2026) had every guest RAM map over 8 MiB refused by the kernel, so the device never reached the rings (docs/qemu-in-the-loop.md); re-record.`);
    if (r.file.modeledFrom === null) out.push(`${r.label}: no modeled figures: the file has no replay and no trace.log sits beside it.`);
  }
  return out;
}
