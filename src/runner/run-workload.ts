/**
 * `vdpa-lab run`: load profiles, skip cells a resumed run already finished,
 * run the rest on the pool, stream each result to disk, then write
 * results.json atomically with the provenance.
 */
import { relative } from 'node:path';
import { loadProfile, type CostProfile } from '../cost/index.js';
import { resolveProfilePath, type CellSpec, type LoadedWorkload } from '../workload/index.js';
import type { CellResult } from './cell-result.js';
import type { CellTask } from './cell-worker.js';
import { defaultThreads, runPool } from './pool.js';
import { gitCommit, hostFacts, labVersion } from './provenance.js';
import { RESULTS_SCHEMA, ResultsStream, type ResultsFile } from './results-file.js';

export interface RunOptions {
  out: string;
  threads?: number;
  resume?: boolean;
  /** Overrides the workload's measure.samples. */
  samples?: number;
  onResult?: (r: CellResult, done: number, total: number) => void;
  /** Heap limit per worker in MiB (a cell beyond it fails alone). */
  maxOldGenerationSizeMb?: number;
  /** Tests only: sabotage chosen cells. */
  sabotage?: (cell: CellSpec) => CellTask['sabotage'];
}

export async function runWorkload(w: LoadedWorkload, opts: RunOptions): Promise<ResultsFile> {
  const startedAt = new Date().toISOString();
  const profiles = new Map<string, { profile: CostProfile; hash: string }>();
  for (const c of w.cells) {
    if (!profiles.has(c.params.profile)) profiles.set(c.params.profile, loadProfile(resolveProfilePath(c.params.profile, w.path)));
  }
  const stream = new ResultsStream(opts.out);
  const finished = opts.resume ? stream.readFinished(w.hash) : new Map<string, CellResult>();
  stream.open(w.hash, opts.resume ?? false);
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
  let done = results.size;
  await runPool(tasks, {
    threads,
    maxOldGenerationSizeMb: opts.maxOldGenerationSizeMb,
    onResult: (r) => {
      results.set(r.id, r);
      stream.append(r);
      opts.onResult?.(r, ++done, w.cells.length);
    },
  });
  const file: ResultsFile = {
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
  stream.finish(file);
  return file;
}
