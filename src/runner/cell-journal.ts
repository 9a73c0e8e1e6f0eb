/**
 * The results directory's journal: `cells.jsonl` gets one line per finished
 * cell as soon as it lands (a kill loses nothing already done; `--resume`
 * reads it back), and `results.json` is written atomically at the end.
 *
 * A journal is read as untrusted input. A kill mid-write can leave a torn
 * last line: it is cut off before anything is appended, or the next record
 * would be glued onto the fragment and lost. A damaged line elsewhere costs
 * only its cell (re-run, said on stderr), and every line must pass the cell
 * schema before its figures are trusted. An existing journal is replaced only
 * with `--force`.
 */
import { closeSync, existsSync, fdatasyncSync, fstatSync, ftruncateSync, lstatSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { lazySchema, z } from '../lazy-zod.js';
import { writeFileAtomic } from '../atomic-file.js';
import { InputError, writeFault } from '../errors.js';
import { parseJson } from '../json-file.js';
import type { CellResult } from './cell-result.js';
import { cellSchema, upgradeCell, type ResultsFile } from './results-file.js';

/** `shard` ("2/3") is absent for an unsharded run, so journals written before sharding still resume. */
const headerSchema = lazySchema(() => z.object({ kind: z.literal('header'), workloadHash: z.string(), shard: z.string().optional() }));

export interface JournalOpenOptions {
  /** Continue the journal an earlier run of this workload left. */
  resume: boolean;
  /** Without resume: replace an existing journal (its cells are lost). */
  force: boolean;
  /** The flag that named the directory, for errors. */
  flag: string;
  /** The shard this run is ("2/3"), or null: a journal resumes only the same shard's run. */
  shard?: string | null;
  onWarning: (message: string) => void;
}

interface ParsedJournal {
  header: z.infer<typeof headerSchema> | null;
  /** Valid cell lines, in order (a later line for the same id wins). */
  cells: CellResult[];
  damaged: { line: number; why: string }[];
  /** Bytes up to the end of the last complete (newline-terminated) line. */
  completeBytes: number;
  tornBytes: number;
}

function firstIssue(err: z.ZodError): string {
  const i = err.issues[0];
  return `${i.path.map(String).join('.') || 'line'}: ${i.message}`;
}

function parseJournal(bytes: Buffer): ParsedJournal {
  const completeBytes = bytes.lastIndexOf(0x0a) + 1;
  const lines = bytes.subarray(0, completeBytes).toString('utf8').split('\n').slice(0, -1);
  const out: ParsedJournal = { header: null, cells: [], damaged: [], completeBytes, tornBytes: bytes.length - completeBytes };
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = parseJson(line);
    } catch (e) {
      out.damaged.push({ line: i + 1, why: `not JSON: ${(e as Error).message}` });
      return;
    }
    if (i === 0) {
      const h = headerSchema.safeParse(value);
      if (h.success) out.header = h.data;
      else out.damaged.push({ line: 1, why: 'not a vdpa-lab journal header' });
      return;
    }
    const c = cellSchema.safeParse(upgradeCell(value));
    if (c.success) out.cells.push(c.data as CellResult);
    else out.damaged.push({ line: i + 1, why: `not a cell result (${firstIssue(c.error)})` });
  });
  return out;
}

/** A path the run writes as a file must be a file or nothing (not a directory, fifo or symlink). */
function refuseNonFile(path: string, flag: string): void {
  let what: string;
  try {
    const st = lstatSync(path);
    if (st.isFile()) return;
    what = st.isDirectory() ? 'a directory' : st.isSymbolicLink() ? 'a symlink' : 'not a regular file';
  } catch {
    return;
  }
  throw new InputError(flag, `${path} is ${what}, where the run writes a file: move it away, or choose another directory`);
}

/** Streams finished cells to DIR/cells.jsonl. The first line identifies the run. */
export class ResultsStream {
  readonly jsonlPath: string;
  readonly resultsPath: string;
  private fd: number | null = null;

  constructor(readonly dir: string) {
    this.jsonlPath = join(dir, 'cells.jsonl');
    this.resultsPath = join(dir, 'results.json');
  }

  /**
   * Starts the journal, or continues it when resuming; returns the cells an
   * earlier run of the same workload finished (failed ones are run again).
   */
  open(workloadHash: string, opts: JournalOpenOptions): Map<string, CellResult> {
    // Before any cell runs: a results.json that is a directory would fail only at the end, the cells' work lost.
    for (const path of [this.jsonlPath, this.resultsPath]) refuseNonFile(path, opts.flag);
    const finished = new Map<string, CellResult>();
    const shard = opts.shard ?? null;
    if (!existsSync(this.jsonlPath)) return this.startFresh(workloadHash, shard, finished);
    const j = parseJournal(readFileSync(this.jsonlPath));
    if (!opts.resume) {
      // A journal without cells loses nothing when replaced; one with cells only on --force.
      if (j.cells.length > 0 && !opts.force) {
        throw new InputError(opts.flag, `${this.jsonlPath} holds ${j.cells.length} finished cells of an earlier run: --resume continues it, --force discards it and starts over`);
      }
      return this.startFresh(workloadHash, shard, finished);
    }
    if (j.completeBytes === 0) return this.startFresh(workloadHash, shard, finished); // killed while writing its header
    if (j.header === null) throw new InputError(`${this.jsonlPath}: line 1`, 'is not a vdpa-lab journal header: --force starts over, or choose another directory');
    if (j.header.workloadHash !== workloadHash) throw new InputError(this.jsonlPath, 'holds cells of a different workload (its hash differs): use another --out, or run without --resume');
    const theirs = j.header.shard ?? null;
    if (theirs !== shard) {
      const what = (s: string | null) => (s === null ? 'an unsharded run' : `shard ${s}`);
      throw new InputError(this.jsonlPath, `is the journal of ${what(theirs)}, not of ${what(shard)}: each shard resumes in its own directory (its own --out)`);
    }
    if (j.tornBytes > 0) {
      truncateSync(this.jsonlPath, j.completeBytes);
      opts.onWarning(`${this.jsonlPath}: cut off a torn last line (${j.tornBytes} bytes of an interrupted write); its cell is run again`);
    }
    for (const d of j.damaged) opts.onWarning(`${this.jsonlPath}: line ${d.line} is damaged (${d.why}); skipped, its cell is run again`);
    for (const c of j.cells) {
      if (c.status === 'failed') finished.delete(c.id);
      else finished.set(c.id, c);
    }
    this.fd = openSync(this.jsonlPath, 'a');
    return finished;
  }

  private startFresh(workloadHash: string, shard: string | null, finished: Map<string, CellResult>): Map<string, CellResult> {
    writeFileAtomic(this.jsonlPath, `${JSON.stringify({ kind: 'header', workloadHash, ...(shard === null ? {} : { shard }) })}\n`);
    this.fd = openSync(this.jsonlPath, 'a');
    return finished;
  }

  /** One line, written whole and flushed to disk before the next cell is counted done. */
  append(r: CellResult): void {
    if (this.fd === null) throw new Error('ResultsStream.append before open');
    const line = Buffer.from(`${JSON.stringify(r)}\n`);
    const before = fstatSync(this.fd).size;
    try {
      for (let off = 0; off < line.length; ) off += writeSync(this.fd, line, off, line.length - off);
      fdatasyncSync(this.fd);
    } catch (e) {
      // A fault mid-line (disk full): the part written is cut off, so the journal stays whole lines.
      try {
        ftruncateSync(this.fd, before);
      } catch {
        // The torn line is then cut off when the run resumes.
      }
      throw writeFault(e, this.jsonlPath);
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  finish(file: ResultsFile): void {
    writeFileAtomic(this.resultsPath, `${JSON.stringify(file, null, 1)}\n`);
  }
}
