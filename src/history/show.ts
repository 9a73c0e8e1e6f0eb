/**
 * `history show`: the trend table (markdown) and, with an output directory,
 * a trend chart per cell. The directory is one `history show` made (its
 * marker lists the files it wrote): a re-run replaces those files only, and
 * refuses to write over a file someone else put there.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { InputError } from '../errors.js';
import { checkOwnDir, claimOutputDir, OUTPUT_MARKER } from '../output-path.js';
import { toSvg } from '../report/index.js';
import { fmtDuration, markdownTable } from '../text-format.js';
import { cellTrendChart } from './trend-chart.js';
import type { Series } from './trend.js';

const fmt = (figure: string, v: number) => (figure.endsWith('Ns') ? fmtDuration(v) : v.toLocaleString('en-US'));
const pct = (x: number | null) => (x === null ? '-' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`);

/** One row per series: where it stands, its last step, and the commits where it stepped. */
export function trendMarkdown(series: Series[], chartOf?: (s: Series) => string): string {
  const rows = series.map((s) => {
    const first = s.points[0];
    const last = s.points.at(-1)!;
    const changes = s.points.filter((p) => p.changePoint).map((p) => `${p.commit.slice(0, 10)} (${pct(p.step)})`);
    const cell = chartOf ? `[${s.label}](${chartOf(s)})` : s.label;
    return [cell, s.kind, s.figure, s.on || '-', String(s.points.length), fmt(s.figure, first.value), fmt(s.figure, last.value), pct(last.step), changes.join(', ') || 'none'];
  });
  const runs = new Set(series.flatMap((s) => s.points.map((p) => p.commit))).size;
  return [
    '# vdpa-lab history',
    '',
    `${series.length} series over ${runs} commit${runs === 1 ? '' : 's'}. Modeled figures are exact (any step beyond the gate's tolerance is a change point); simulator and real timings are kept per machine and step at the gate's minimum effect.`,
    '',
    markdownTable(['cell', 'kind', 'figure', 'machine', 'runs', 'first', 'latest', 'last step', 'change points'], rows),
    '',
  ].join('\n');
}

/** A cell's chart file: by workload file and cell id (labels can repeat across workloads). */
export function chartFileName(s: Pick<Series, 'workload' | 'cell'>): string {
  return `trend-${s.workload.replace(/\.jsonl$/, '')}-${s.cell}.svg`;
}

/** The files an earlier `history show` listed in its marker. */
function listedFiles(dir: string): Set<string> {
  try {
    const files = (JSON.parse(readFileSync(join(dir, OUTPUT_MARKER), 'utf8')) as { files?: unknown }).files;
    return new Set(Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string') : []);
  } catch {
    return new Set();
  }
}

/** Checks `--out` before anything is rendered: a new, empty or earlier trends directory, with no user file where a chart goes. */
export function checkTrendsDir(path: string, series: Series[]): string {
  const { path: abs, exists } = checkOwnDir(path, '--out', 'trends');
  if (!exists) return abs;
  const ours = listedFiles(abs);
  const clash = [...new Set(series.map(chartFileName)), 'history.md'].find((f) => existsSync(join(abs, f)) && !ours.has(f));
  if (clash) throw new InputError('--out', `${join(abs, clash)} exists and history show did not write it: move it or choose another directory`);
  return abs;
}

/** Renders every cell's chart and history.md into `dir` (checked by checkTrendsDir); returns the files written. */
export async function writeTrends(dir: string, series: Series[]): Promise<string[]> {
  const byChart = new Map<string, Series[]>();
  for (const s of series) byChart.set(chartFileName(s), [...(byChart.get(chartFileName(s)) ?? []), s]);
  // Rendered before anything is written: a chart that fails to render leaves the directory as it was.
  const svgs = new Map<string, string>();
  for (const [file, s] of byChart) svgs.set(file, await toSvg(cellTrendChart(s, `${s[0].label} (${s[0].workload})`)));
  const abs = claimOutputDir(dir, '--out', 'trends');
  const before = listedFiles(abs);
  const files = [...svgs.keys(), 'history.md'];
  for (const [file, svg] of svgs) writeFileAtomic(join(abs, file), svg);
  writeFileAtomic(join(abs, 'history.md'), trendMarkdown(series, chartFileName));
  writeFileAtomic(join(abs, OUTPUT_MARKER), `${JSON.stringify({ madeBy: 'vdpa-lab', command: 'trends', files })}\n`);
  // Charts of cells an earlier show drew and this one does not: the lab's own files, so removed.
  for (const f of before) if (!files.includes(f) && f !== OUTPUT_MARKER) rmSync(join(abs, f), { force: true });
  return files;
}
