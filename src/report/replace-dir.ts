/**
 * Putting a freshly written report directory in place of an earlier report
 * while keeping whatever the user put inside it (notes, a README): the old
 * directory is swapped out whole, the user's entries are moved (renamed, the
 * same filesystem) into the new one, and only the files the old report wrote
 * are deleted. Nothing the lab did not write is ever removed.
 */
import { readdirSync, readFileSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir, uniqueSibling } from '../atomic-file.js';
import { InputError } from '../errors.js';
import { OUTPUT_MARKER } from '../output-path.js';

/** What a report's marker records: the command and every file it wrote. */
export interface ReportMarker {
  madeBy: 'vdpa-lab';
  command: 'report';
  files: string[];
}

/**
 * A report made before markers listed their files wrote only these: charts
 * (NAME.vl.json, .svg, .png), index.html, summary.md and the marker.
 */
const LEGACY_REPORT_FILE = /^([a-z0-9]+(-[a-z0-9]+)*\.(vl\.json|svg|png)|index\.html|summary\.md)$/;

/** The entries of an earlier report directory its report wrote. */
export function reportFiles(dir: string): Set<string> {
  let listed: unknown;
  try {
    listed = (JSON.parse(readFileSync(join(dir, OUTPUT_MARKER), 'utf8')) as { files?: unknown }).files;
  } catch {
    listed = undefined;
  }
  const files = Array.isArray(listed) && listed.every((f) => typeof f === 'string') ? (listed as string[]) : readdirSync(dir).filter((f) => LEGACY_REPORT_FILE.test(f));
  return new Set([...files, OUTPUT_MARKER]);
}

/** The user's entries of an earlier report directory (what its report did not write). */
export function userEntries(dir: string): string[] {
  const ours = reportFiles(dir);
  return readdirSync(dir).filter((f) => !ours.has(f));
}

/**
 * Refuses (before anything is written) a user's entry whose name the new
 * report would write: keeping it would mean not writing that chart.
 */
export function refuseClashes(dir: string, newFiles: string[], flag: string): void {
  const clash = userEntries(dir).find((f) => newFiles.includes(f));
  if (clash !== undefined) throw new InputError(flag, `${join(dir, clash)} is not a file the earlier report wrote, and the new report writes that name: move it, or choose another directory`);
}

/** Swaps `fresh` (a complete report) in at `out`, carrying the user's entries of the old `out` over. */
export function replaceReportDir(fresh: string, out: string): void {
  const old = uniqueSibling(out, 'old');
  const keep = userEntries(out);
  const ours = reportFiles(out);
  renameSync(out, old);
  renameSync(fresh, out);
  for (const f of keep) renameSync(join(old, f), join(out, f));
  for (const f of ours) {
    try {
      rmSync(join(old, f), { force: true });
    } catch {
      // Not a file (a user's directory under a report file's name): it stays, and so does `old`.
    }
  }
  try {
    rmdirSync(old);
  } catch (e) {
    // Someone put a file there in between: it is theirs, so it stays (said, not deleted).
    process.stderr.write(`warning: ${old}: left in place (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): it holds files written while the report was replaced\n`);
  }
  fsyncDir(out);
}
