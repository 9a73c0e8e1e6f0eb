/**
 * `vdpa-lab report` on `qemu record` results (results.json, or the
 * record.json a shipped recording carries): the downtime chart, summary.md
 * and index.html, written as every report is (emitReport: all or nothing).
 */
import { InputError } from '../../errors.js';
import { readQemuRecord } from '../../runner/qemu-record/read.js';
import type { RenderedChart } from '../html.js';
import { downtimeChart } from './chart.js';
import { recordIndexHtml, recordSummaryMd } from './pages.js';
import { recordingRows, type RecordingRow, type ResetRow } from './rows.js';

/** What --json prints per recording: its name and facts, and per reset the real and modeled figures apart. */
export interface RecordingJson {
  label: string;
  path: string;
  qemu: { release: string; version: string };
  kernel: string;
  svq: boolean;
  modeledFrom: 'results' | 'trace.log' | null;
  resets: ResetRow[];
  pagesPinned: RecordingRow['pagesPinned'];
}

export function recordingsJson(rows: RecordingRow[]): RecordingJson[] {
  return rows.map((r) => {
    const f = r.file.record.facts;
    return { label: r.label, path: r.file.path, qemu: { release: f.qemu.release, version: f.qemu.version }, kernel: f.kernel.release, svq: f.svq, modeledFrom: r.file.modeledFrom, resets: r.resets, pagesPinned: r.pagesPinned };
  });
}

/**
 * Reads every recording, then writes the report through `emit` (write-report.ts's
 * emitReport, passed in so this module does not import the module that calls it).
 */
export async function writeQemuRecordReport(
  paths: string[],
  opts: { labels?: string[] },
  emit: (charts: NonNullable<ReturnType<typeof downtimeChart>>[], pages: { html: (r: RenderedChart[]) => string; md: string }) => Promise<void>,
): Promise<{ charts: string[]; recordings: RecordingJson[] }> {
  const rows = recordingRows(paths.map(readQemuRecord), opts.labels);
  const chart = downtimeChart(rows);
  if (!chart) throw new InputError(paths[0], 'real.downtime: no reset recorded, nothing to report');
  await emit([chart], { html: (rendered) => recordIndexHtml(rows, rendered), md: recordSummaryMd(rows, [chart.name]) });
  return { charts: [chart.name], recordings: recordingsJson(rows) };
}
