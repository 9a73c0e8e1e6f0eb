/**
 * `vdpa-lab run`: load profiles, skip cells a resumed run already finished,
 * run the rest on the pool, stream each result to disk, then write
 * results.json atomically with the provenance.
 */
import { join, relative } from 'node:path';
import { canonicalJson } from '../canonical-json.js';
import { claimOutputDir } from '../output-path.js';
import { loadProfile, sha256, type CostProfile } from '../cost/index.js';
import { resolveProfilePath, type CellSpec, type LoadedWorkload } from '../workload/index.js';
import type { CellResult } from './cell-result.js';
import type { CellTask } from './cell-worker.js';
import { defaultThreads, runPool } from './pool.js';
import { gitCommit, hostFacts, labVersion } from './provenance.js';
import { ResultsStream } from './cell-journal.js';
import { RESULTS_SCHEMA, type ResultsFile } from './results-file.js';
import { acquireRunLock } from './run-lock.js';
import { cellsOfShard, shardName, shardRecord, type ShardSpec } from './shard.js';


/**
 * What runWorkload needs: the parsed workload and its cells. `hash` defaults
 * to the one loadWorkload computes (sha256 of the canonical JSON); `path`
 * (where relative profile paths start) defaults to the working directory.
 */
export type RunnableWorkload = Omit<LoadedWorkload, 'hash' | 'path'> & { hash?: string; path?: string };

export interface RunOptions {
  /** The results directory; without it nothing is written and the results are only returned (no resume). */
  out?: string;
  threads?: number;
  resume?: boolean;
  /** Without resume: replace a journal that holds an earlier run's cells. */
  force?: boolean;
  /** Overrides the workload's measure.samples. */
  samples?: number;
  onResult?: (r: CellResult, done: number, total: number) => void;
  /** Called once the directory is claimed and locked, before the first cell: how many cells will run. */
  onStart?: (toRun: number, threads: number) => void;
  /** Repairs and takeovers worth telling the user about (default: stderr). */
  onWarning?: (message: string) => void;
  /** Heap limit per worker in MiB (a cell beyond it fails alone). */
  maxOldGenerationSizeMb?: number;
  /**
   * Runs after every cell and before results.json is written, under the run's
   * lock: `run --backend` adds the real kernel's figures here.
   */
  augment?: (file: ResultsFile) => Promise<void>;
  /** Run only this shard's cells (shard.ts); results.json then records the shard and every cell of the whole run. */
  shard?: ShardSpec;
  /** Tests only: sabotage chosen cells. */
  sabotage?: (cell: CellSpec) => CellTask['sabotage'];
}

export async function runWorkload(given: RunnableWorkload, opts: RunOptions): Promise<ResultsFile> {
  const w: LoadedWorkload = { ...given, path: given.path ?? join(process.cwd(), `${given.workload.name}.json`), hash: given.hash ?? sha256(canonicalJson(given.workload)) };
  const startedAt = new Date().toISOString();
  const profiles = new Map<string, { profile: CostProfile; hash: string }>();
  for (const c of w.cells) {
    if (!profiles.has(c.params.profile)) profiles.set(c.params.profile, loadProfile(resolveProfilePath(c.params.profile, w.path)));
  }
  const onWarning = opts.onWarning ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  // Before the directory is claimed: a shard that would be empty is bad input, and nothing is written.
  const mine = opts.shard ? { ...w, cells: cellsOfShard(w.cells, opts.shard) } : w;
  if (opts.out === undefined) {
    if (opts.resume) throw new Error('runWorkload: resume needs an out directory');
    const file = await runCells(mine, opts, null, new Map(), profiles, startedAt);
    if (opts.shard) file.provenance.shard = shardRecord(w.cells, opts.shard);
    await opts.augment?.(file);
    return file;
  }
  const dir = claimOutputDir(opts.out, '--out', 'run');
  const lock = acquireRunLock(dir, '--out', onWarning);
  const stream = new ResultsStream(dir);
  try {
    const finished = stream.open(w.hash, { resume: opts.resume ?? false, force: opts.force ?? false, flag: '--out', onWarning, shard: opts.shard ? shardName(opts.shard) : null });
    const file = await runCells(mine, opts, stream, finished, profiles, startedAt);
    if (opts.shard) file.provenance.shard = shardRecord(w.cells, opts.shard);
    await opts.augment?.(file);
    stream.finish(file);
    return file;
  } finally {
    stream.close();
    lock.release();
  }
}

async function runCells(
  w: LoadedWorkload,
  opts: RunOptions,
  stream: ResultsStream | null,
  finished: Map<string, CellResult>,
  profiles: Map<string, { profile: CostProfile; hash: string }>,
  startedAt: string,
): Promise<ResultsFile> {
  const results = new Map<string, CellResult>();
  for (const c of w.cells) {
    const prior = finished.get(c.id);
    if (prior) results.set(c.id, prior);
  }
  const samples = opts.samples ?? w.workload.measure.samples;
  const tasks: CellTask[] = w.cells
    .filter((c) => !results.has(c.id))
    .map((cell) => {
      const p = profiles.get(cell.params.profile)!;
      return { cell, profile: p.profile, profileHash: p.hash, samples, sabotage: opts.sabotage?.(cell) };
    });
  const threads = opts.threads ?? defaultThreads();
  opts.onStart?.(tasks.length, threads);
  let done = results.size;
  await runPool(tasks, {
    threads,
    maxOldGenerationSizeMb: opts.maxOldGenerationSizeMb,
    onResult: (r) => {
      results.set(r.id, r);
      stream?.append(r);
      opts.onResult?.(r, ++done, w.cells.length);
    },
  });
  return {
    schema: RESULTS_SCHEMA,
    provenance: {
      labVersion: labVersion(),
      gitCommit: gitCommit(),
      ...hostFacts(),
      workload: { name: w.workload.name, path: relative(process.cwd(), w.path) || w.path, hash: w.hash },
      profiles: Object.fromEntries([...profiles].map(([k, v]) => [k, v.hash])),
      seed: w.workload.seed,
      threads,
      startedAt,
      finishedAt: new Date().toISOString(),
    },
    cells: w.cells.map((c) => results.get(c.id)!),
  };
}
