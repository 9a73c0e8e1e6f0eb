/**
 * `vdpa-lab report`: read results files, build charts, write the report
 * directory. Everything is written (and fsynced) into a sibling temp
 * directory first and renamed into place, so a failure leaves no partial
 * report behind. The directory it replaces must be a report the lab made
 * (its marker) holding none of the inputs: nothing else is ever removed.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fsyncDir, writeFileDurable } from '../atomic-file.js';
import { InputError, writeFault } from '../errors.js';
import { STDIN_NAME } from '../json-file.js';
import { checkOutputDir, isInside, OUTPUT_MARKER, refuseForeignDir } from '../output-path.js';
import { readResults, RESULTS_SCHEMA } from '../runner/index.js';
import { RECORD_SCHEMA } from '../runner/qemu-record/results.js';
import { readJsonFile } from '../json-file.js';
import { writeQemuRecordReport, type RecordingJson } from './qemu-record/write.js';
import { buildCharts, deltaChart, type Chart } from './charts.js';
import { deltaRows } from './deltas.js';
import { eventRows, eventsChart } from './events.js';
import { realChart, realRows } from './real.js';
import type { MatchField } from './match.js';
import { indexHtml, type RenderedChart } from './html.js';
import { summaryMd } from './markdown.js';
import { toPng, toSvg } from './render.js';
import { cellRows, type LabelledResults } from './rows.js';
import { refuseClashes, replaceReportDir, type ReportMarker } from './replace-dir.js';

export interface ReportOptions {
  out: string;
  /** Skip PNG rendering (faster; SVG and HTML only). */
  noPng?: boolean;
  onProgress?: (message: string) => void;
  /** A name per results file (`--label`), in the same order; default: workload (directory). */
  labels?: string[];
  /** Pair cells of different runs by these fields instead of by id (`--match`). */
  match?: MatchField[] | null;
}

export function labelRuns(paths: string[], labels?: string[]): LabelledResults[] {
  if (labels && labels.length !== paths.length) throw new InputError('--label', `${labels.length} label(s) for ${paths.length} results file(s): give one per file, in order`);
  if (labels && new Set(labels).size !== labels.length) throw new InputError('--label', `labels must differ (got ${labels.map((l) => `'${l}'`).join(', ')})`);
  const runs = paths.map((path) => ({ path, file: readResults(path), run: '' }));
  if (labels) return runs.map((r, i) => ({ ...r, run: labels[i] }));
  const used = new Map<string, number>();
  for (const r of runs) {
    // Name each run by its workload and directory: "default (baseline)".
    const dir = r.path === STDIN_NAME ? 'stdin' : basename(dirname(resolve(r.path)));
    let name = `${r.file.provenance.workload.name} (${dir === '.' ? basename(r.path) : dir})`;
    const n = used.get(name) ?? 0;
    used.set(name, n + 1);
    if (n) name += ` #${n + 1}`;
    r.run = name;
  }
  return runs;
}

/**
 * Where the report goes: checked before any input is read, refused when
 * replacing it would lose something. With `files` (what the new report
 * writes), a user's entry of that name is refused too: the user's entries
 * are carried into the new report, never deleted (replace-dir.ts).
 */
function checkReportDir(paths: string[], outPath: string, files?: string[]): { out: string; exists: boolean } {
  const { path: out, exists } = checkOutputDir(outPath, '--out');
  if (!exists) return { out, exists };
  const input = paths.find((p) => p !== STDIN_NAME && isInside(p, out));
  if (input !== undefined) throw new InputError('--out', `${out} holds this report's input ${resolve(input)}: choose another directory`);
  refuseForeignDir(out, '--out', 'report');
  if (files) refuseClashes(out, files, '--out');
  return { out, exists };
}

/**
 * Removes the temp directory if the process is interrupted while it exists,
 * then dies of the same signal. Returns the function that disarms it.
 */
function cleanUpOnSignal(tmp: string): () => void {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const handler = (sig: NodeJS.Signals) => {
    disarm();
    rmSync(tmp, { recursive: true, force: true });
    process.kill(process.pid, sig);
  };
  const disarm = () => signals.forEach((s) => process.off(s, handler));
  signals.forEach((s) => process.on(s, handler));
  return disarm;
}

/** What a report writes beside its charts: index.html (given the rendered charts) and summary.md. */
export interface ReportPages {
  html: (rendered: RenderedChart[]) => string;
  md: string;
}

/**
 * Renders `charts` and writes them with the pages into a temp directory
 * beside `out`, then swaps it into place: `out` is never left half-written.
 */
export async function emitReport(paths: string[], out: string, charts: Chart[], pages: ReportPages, opts: Pick<ReportOptions, 'noPng' | 'onProgress'>): Promise<void> {
  const files = [...charts.flatMap((c) => [`${c.name}.vl.json`, `${c.name}.svg`, ...(opts.noPng ? [] : [`${c.name}.png`])]), 'index.html', 'summary.md'];
  checkReportDir(paths, out, files);
  mkdirSync(dirname(out), { recursive: true });
  const tmp = mkdtempSync(`${out}.partial-`);
  const disarm = cleanUpOnSignal(tmp);
  try {
    const rendered: RenderedChart[] = [];
    for (const c of charts) {
      opts.onProgress?.(`rendering ${c.name}`);
      writeFileDurable(join(tmp, `${c.name}.vl.json`), `${JSON.stringify(c.spec, null, 1)}\n`);
      const svg = await toSvg(c.spec);
      rendered.push({ ...c, svg });
      writeFileDurable(join(tmp, `${c.name}.svg`), svg);
      if (!opts.noPng) writeFileDurable(join(tmp, `${c.name}.png`), await toPng(svg));
      // Rendering is synchronous work behind resolved promises: without a turn of the event
      // loop a SIGINT would only be seen after the report was done (and its handler gone).
      await new Promise((resolve) => setImmediate(resolve));
    }
    writeFileDurable(join(tmp, 'index.html'), pages.html(rendered));
    writeFileDurable(join(tmp, 'summary.md'), pages.md);
    const marker: ReportMarker = { madeBy: 'vdpa-lab', command: 'report', files };
    writeFileDurable(join(tmp, OUTPUT_MARKER), `${JSON.stringify(marker)}\n`);
    fsyncDir(tmp);
    // Checked again right before the swap: the directory may have changed while the charts rendered.
    const { exists } = checkReportDir(paths, out, files);
    if (exists) replaceReportDir(tmp, out);
    else renameSync(tmp, out);
    fsyncDir(dirname(out));
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw writeFault(e, out);
  } finally {
    disarm();
  }
}

/**
 * What an input is, by its schema: a run's results (`run`, `replay --out`;
 * readResults checks them) or a `qemu record` recording. Anything else is
 * refused here, naming both.
 */
export function inputKind(path: string): 'run' | 'qemu-record' {
  const schema = (readJsonFile(path, 'results file').value as { schema?: unknown } | null)?.schema;
  if (schema === RECORD_SCHEMA) return 'qemu-record';
  if (typeof schema === 'string' && !schema.startsWith('vdpa-lab/results@')) {
    throw new InputError(`${path}: schema`, `expected "${RESULTS_SCHEMA}" (vdpa-lab run or replay) or "${RECORD_SCHEMA}" (vdpa-lab qemu record), found ${JSON.stringify(schema)}`);
  }
  return 'run';
}

export interface WrittenReport {
  charts: string[];
  dir: string;
  /** The runs read (exports use them); none for recordings. */
  runs: LabelledResults[];
  /** `qemu record` recordings: per reset, the real and modeled figures apart. */
  recordings?: RecordingJson[];
}

export async function writeReport(paths: string[], opts: ReportOptions): Promise<WrittenReport> {
  if (paths.length === 0) throw new InputError('results', 'name at least one results.json');
  const { out } = checkReportDir(paths, opts.out);
  const kinds = paths.map(inputKind);
  if (kinds.includes('qemu-record')) {
    const runAt = kinds.indexOf('run');
    if (runAt >= 0) throw new InputError(paths[runAt], "a run's results cannot share a report with qemu record results: report them apart");
    if (opts.match) throw new InputError('--match', 'pairs the cells of runs; qemu record results have none (recordings are set side by side by release)');
    const r = await writeQemuRecordReport(paths, opts, (charts, pages) => emitReport(paths, out, charts, pages, opts));
    return { charts: r.charts, dir: out, runs: [], recordings: r.recordings };
  }
  const runs = labelRuns(paths, opts.labels);
  const match = opts.match ?? null;
  const names = runs.map((r) => r.run);
  const deltas = runs.length > 1 ? deltaRows(runs, match) : null;
  const charts = buildCharts(cellRows(runs, match), names);
  const delta = deltas && deltaChart(deltas, names);
  if (delta) charts.splice(2, 0, delta);
  const events = eventRows(runs);
  const eventChart = eventsChart(events, names);
  if (eventChart) charts.splice(charts.findIndex((c) => c.name === 'phases') + 1, 0, eventChart);
  const real = realChart(realRows(runs));
  if (real) charts.push(real);
  if (charts.length === 0) throw new InputError(paths[0], 'no cell in these results has figures to chart (all failed or n/a)');
  await emitReport(paths, out, charts, { html: (rendered) => indexHtml(runs, rendered, deltas, events), md: summaryMd(runs, charts.map((c) => c.name), deltas, events) }, opts);
  return { charts: charts.map((c) => c.name), dir: out, runs };
}
