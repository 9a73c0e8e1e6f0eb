/**
 * `vdpa-lab report`: read results files, build charts, write the report
 * directory. Everything is written into a sibling temp directory first and
 * renamed into place, so a failure leaves no partial report behind.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { readResults } from '../runner/index.js';
import { buildCharts } from './charts.js';
import { indexHtml } from './html.js';
import { summaryMd } from './markdown.js';
import { toPng, toSvg } from './render.js';
import { cellRows, type LabelledResults } from './rows.js';

export interface ReportOptions {
  out: string;
  /** Skip PNG rendering (faster; SVG and HTML only). */
  noPng?: boolean;
  onProgress?: (message: string) => void;
}

export function labelRuns(paths: string[]): LabelledResults[] {
  const runs = paths.map((path) => ({ path, file: readResults(path), run: '' }));
  const used = new Map<string, number>();
  for (const r of runs) {
    // Name each run by its workload and directory: "default (baseline)".
    const dir = basename(dirname(resolve(r.path)));
    let name = `${r.file.provenance.workload.name} (${dir === '.' ? basename(r.path) : dir})`;
    const n = used.get(name) ?? 0;
    used.set(name, n + 1);
    if (n) name += ` #${n + 1}`;
    r.run = name;
  }
  return runs;
}

export async function writeReport(paths: string[], opts: ReportOptions): Promise<{ charts: string[]; dir: string }> {
  if (paths.length === 0) throw new InputError('results', 'name at least one results.json');
  const runs = labelRuns(paths);
  const rows = cellRows(runs);
  const charts = buildCharts(rows, runs.map((r) => r.run));
  if (charts.length === 0) throw new InputError(paths[0], 'no cell in these results has figures to chart (all failed or n/a)');
  const out = resolve(opts.out);
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    for (const c of charts) {
      opts.onProgress?.(`rendering ${c.name}`);
      writeFileSync(join(tmp, `${c.name}.vl.json`), `${JSON.stringify(c.spec, null, 1)}\n`);
      const svg = await toSvg(c.spec);
      writeFileSync(join(tmp, `${c.name}.svg`), svg);
      if (!opts.noPng) writeFileSync(join(tmp, `${c.name}.png`), toPng(svg));
    }
    writeFileSync(join(tmp, 'index.html'), indexHtml(runs, charts));
    writeFileSync(join(tmp, 'summary.md'), summaryMd(runs, charts.map((c) => c.name)));
    if (existsSync(out)) {
      const old = `${out}.old-${process.pid}`;
      renameSync(out, old);
      renameSync(tmp, out);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, out);
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { charts: charts.map((c) => c.name), dir: out };
}
