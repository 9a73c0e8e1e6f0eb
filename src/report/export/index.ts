/**
 * Exports of a report's runs in the formats other tools take, one small
 * module per format behind one function (as hyperfine's exporters).
 */
import { InputError } from '../../errors.js';
import { labelsOf, type LabelledResults } from '../rows.js';
import { bmf } from './bmf.js';
import { csv } from './csv.js';
import { githubActionBenchmark } from './github-action-benchmark.js';
import type { ExportCell, Exporter } from './types.js';

export type { ExportCell, Exporter } from './types.js';

const EXPORTERS: Exporter[] = [csv, githubActionBenchmark, bmf];
export const EXPORT_FORMATS = EXPORTERS.map((e) => e.format);

/** The runs' cells as `format` (csv, github-action-benchmark, bmf). */
export function exportRuns(format: string, runs: LabelledResults[]): string {
  const exporter = EXPORTERS.find((e) => e.format === format);
  if (!exporter) throw new InputError('--export', `unknown format '${format}' (choose from ${EXPORT_FORMATS.join(', ')})`);
  const labels = labelsOf(runs);
  const cells: ExportCell[] = runs.flatMap((r) => r.file.cells.map((cell) => ({ run: r.run, name: runs.length > 1 ? `${r.run}: ${labels.get(cell.id)}` : labels.get(cell.id)!, cell })));
  return exporter.serialize(cells);
}

/** Is `text` a file the exporter of `format` wrote? */
export function isExportOf(format: string, text: string): boolean {
  return EXPORTERS.find((e) => e.format === format)?.isOurs(text) ?? false;
}

/** `--export csv=out.csv` (or `csv=-` for stdout) as format and path. */
export function parseExport(text: string): { format: string; path: string } {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1) throw new InputError('--export', `expected FORMAT=FILE (e.g. csv=results.csv, bmf=-), got '${text}'`);
  const format = text.slice(0, at);
  if (!EXPORT_FORMATS.includes(format)) throw new InputError('--export', `unknown format '${format}' (choose from ${EXPORT_FORMATS.join(', ')})`);
  return { format, path: text.slice(at + 1) };
}
