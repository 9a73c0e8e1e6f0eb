/**
 * One row per reset of each `qemu record` recording: the inner guest's
 * downtime (real, nested TCG, its own clock), the trace's vhost-vdpa time for
 * that reset (real, nested TCG, QEMU's timestamps) and the model's replay of
 * the same trace (modeled, default profile). The three kinds stay in their own
 * fields: nothing here adds or divides one by another.
 */
import { basename, dirname, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { STDIN_NAME } from '../../json-file.js';
import type { ResetSteps } from '../../real/qemu/index.js';
import type { QemuRecordFile } from '../../runner/qemu-record/read.js';
import { modeledPagesPinned, modeledResetsNs, REAL_LABEL } from '../../runner/qemu-record/results.js';

export const MODELED_LABEL = 'modeled (default profile)';

export interface RecordingRow {
  /** How the report names the recording: `QEMU 7.2.22`, or --label. */
  label: string;
  file: QemuRecordFile;
  resets: ResetRow[];
  /** Pages the replay pinned over the whole trace (modeled): as traced, and with IOTLB_PERSIST; null without a replay. */
  pagesPinned: { workaround: number; persist: number } | null;
}

export interface ResetRow {
  reset: number;
  real: {
    label: typeof REAL_LABEL;
    /** Inner guest's clock: unbind (the reset) -> link up, -> first TX completed; null: never seen. */
    linkUpMs: number | null;
    firstTxMs: number | null;
    steps: ResetSteps | null;
    /** QEMU's trace timestamps for this reset's device stop and the start after it (a lower bound: the last ioctl of each is not timed). */
    traceStopSpanMs: number | null;
    traceStopToStartMs: number | null;
    traceStartSpanMs: number | null;
  };
  modeled: { label: typeof MODELED_LABEL; workaroundNs: number | null; persistNs: number | null } | null;
}

/** Release order: 7.2.22 before 10.0.13 before 11.1.3 (numbers, not text). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+~-]/).map((x) => Number(x));
  const pb = b.split(/[.+~-]/).map((x) => Number(x));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (Number.isFinite(pa[i]) ? pa[i] : -1) - (Number.isFinite(pb[i]) ? pb[i] : -1);
    if (d) return d;
  }
  return 0;
}

/** Each recording's name: --label if given, else its QEMU version (with --svq, and its directory when two share both). */
export function recordingLabels(files: QemuRecordFile[], labels?: string[]): string[] {
  if (labels && labels.length !== files.length) throw new InputError('--label', `${labels.length} label(s) for ${files.length} results file(s): give one per file, in order`);
  if (labels && new Set(labels).size !== labels.length) throw new InputError('--label', `labels must differ (got ${labels.map((l) => `'${l}'`).join(', ')})`);
  if (labels) return labels;
  const base = files.map((f) => `QEMU ${f.record.facts.qemu.version}${f.record.facts.svq ? ' x-svq' : ''}`);
  return base.map((b, i) => {
    if (base.filter((x) => x === b).length === 1) return b;
    const p = files[i].path;
    return `${b} (${p === STDIN_NAME ? 'stdin' : basename(dirname(resolve(p)))})`;
  });
}

export function recordingRows(files: QemuRecordFile[], labels?: string[]): RecordingRow[] {
  const names = recordingLabels(files, labels);
  const rows = files.map((file, i): RecordingRow => {
    const { real } = file.record;
    const w = file.modeled ? modeledResetsNs(file.modeled, 0) : [];
    const p = file.modeled ? modeledResetsNs(file.modeled, 1) : [];
    const resets = real.downtime.map((d): ResetRow => {
      // Guest reset k is the trace's k-th device stop: the first start is the guest's bring-up, each unbind stops it once.
      const t = real.traceResets[d.reset - 1];
      return {
        reset: d.reset,
        real: {
          label: REAL_LABEL,
          linkUpMs: d.linkUpMs,
          firstTxMs: d.firstTxMs,
          steps: d.steps ?? null,
          traceStopSpanMs: t?.stopSpanMs ?? null,
          traceStopToStartMs: t?.stopToStartMs ?? null,
          traceStartSpanMs: t?.startSpanMs ?? null,
        },
        modeled: file.modeled ? { label: MODELED_LABEL, workaroundNs: w[d.reset - 1] ?? null, persistNs: p[d.reset - 1] ?? null } : null,
      };
    });
    return { label: names[i], file, resets, pagesPinned: file.modeled ? { workaround: modeledPagesPinned(file.modeled, 0), persist: modeledPagesPinned(file.modeled, 1) } : null };
  });
  // Side by side by release: oldest first, whatever order the files came in.
  return rows.sort((a, b) => compareVersions(a.file.record.facts.qemu.version, b.file.record.facts.qemu.version));
}
