/** What every exporter gets: the runs of a report, each cell with the label readers see. */
import type { CellResult } from '../../runner/index.js';

export interface ExportCell {
  run: string;
  /** The distinct label (every varying parameter); prefixed by the run when there are several. */
  name: string;
  cell: CellResult;
}

export interface Exporter {
  /** The --export name: csv, github-action-benchmark, bmf. */
  format: string;
  serialize(cells: ExportCell[]): string;
  /** Is `text` a file this exporter wrote? (An existing file is replaced only then, or with --force.) */
  isOurs(text: string): boolean;
}
