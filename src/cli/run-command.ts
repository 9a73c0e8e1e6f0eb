/** `vdpa-lab run [WORKLOAD]`: the lab's main job. */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { defaultThreads, MAX_THREADS_PER_CORE, parseShard, threadsProblem, runWorkload, shardName, SHARD_COUNT_ENV, type ShardSpec, summaryRows, summaryText, type CellResult, type ResultsFile } from '../runner/index.js';
import type { CellSpec } from '../workload/index.js';
import { fmtDuration } from '../text-format.js';
import { InputError } from '../errors.js';
import { DEFAULT_MAX_CELLS, entryLimitWarnings, loadWorkload, MAX_SAMPLES, PACKAGE_ROOT } from '../workload/index.js';
import { EVENT_HELP, EVENT_NAMES } from '../vmm/index.js';
import { accelOption, checkClock, clockOption, nonNegativeInt, positiveInt } from './parse-options.js';
import { makeProgress } from './progress.js';
import { distinctLabels, labelMatches } from '../runner/summary.js';
import { action, EXIT_FAILURE, EXIT_OK } from './run-action.js';
import { backendLabel, parseBackend, type BackendSpec } from '../real/backend-spec.js';
import { createBackend } from '../backends/index.js';
import { addRealFigures } from '../runner/real/run-real.js';
import { realDiverged } from '../runner/real-result.js';
import { realSummaryText } from './run-real-text.js';
import { emitCellTrace } from '../runner/emit-trace.js';
import { checkOwnDir, claimOutputDir } from '../output-path.js';
import { writeFileAtomic } from '../atomic-file.js';

export const DEFAULT_WORKLOAD = resolve(PACKAGE_ROOT, 'workloads/default.json');

interface RunFlags {
  out: string;
  threads?: number;
  maxCells: number;
  resume?: boolean;
  force?: boolean;
  samples?: number;
  json?: boolean;
  quiet?: boolean;
  filter?: string[];
  shard?: ShardSpec;
  backend?: RealBackendSpec;
  emitTrace?: string;
  realCycles: number;
  accel: 'auto' | 'kvm' | 'tcg';
  clock: 'wall' | 'icount';
}

type RealBackendSpec = Exclude<BackendSpec, { kind: 'model' }>;

function realBackend(text: string): RealBackendSpec {
  const b = parseBackend(text);
  // The model is the one backend with nothing real to add (createBackend(b).capabilities.real says the same).
  if (b.kind === 'model') throw new InputError('--backend', 'run always runs the model; name a real backend (vm:KERNEL or device:PATH) to run the cells there too');
  return b;
}

function progressLine(r: CellResult, done: number, total: number, startMs: number): string {
  const elapsed = (Date.now() - startMs) / 1000;
  const eta = done < total ? ` eta ${Math.ceil((elapsed / done) * (total - done))} s` : '';
  const what = r.status === 'ok' || r.status === 'incorrect' ? `${fmtDuration(r.modeled?.perResetNs ?? r.modeled?.totalNs ?? null)}/reset (modeled)` : (r.reason ?? '');
  return `[${done}/${total}]${eta} ${r.label}: ${r.status} ${what}`;
}

/** Sends the modeled cells to the real backend and records what answered in the provenance (the summary reads it there). */
async function augmentReal(file: ResultsFile, specs: CellSpec[], backend: RealBackendSpec, o: RunFlags, say: (line: string) => void): Promise<void> {
  const r = await addRealFigures(file.cells, specs, { backend: createBackend(backend, { accel: o.accel, clock: o.clock, onProgress: say }), cycles: o.realCycles, onProgress: say });
  file.cells = r.cells;
  file.provenance.real = { backend: backendLabel(backend), kernel: r.kernel, accel: r.accel, ...(r.clock === 'icount' ? { clock: r.clock } : {}), cycles: o.realCycles };
}

/** A positive integer that this machine's cores can carry (pool.ts threadsProblem says why not). */
function threadsOption(text: string): number {
  const n = positiveInt('--threads')(text);
  const problem = threadsProblem(n);
  if (problem) throw new InputError('--threads', problem);
  return n;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a workload matrix: every cell boots a synthetic guest, resets its devices and closes; writes results.json')
    .argument('[workload]', 'a workload JSON file', DEFAULT_WORKLOAD)
    .option('-o, --out <dir>', 'results directory (cells.jsonl as cells finish, results.json at the end)', 'reports/latest')
    .option('-t, --threads <n>', `worker threads (default: cores, here ${defaultThreads()}; at most ${MAX_THREADS_PER_CORE} per core)`, threadsOption)
    .option('--max-cells <n>', 'refuse a workload whose matrix expands to more cells than this (counted before any cell is built)', positiveInt('--max-cells'), DEFAULT_MAX_CELLS)
    .option('--resume', 'skip cells the results directory already holds for this workload')
    .option('--force', "without --resume: start over in a results directory whose journal holds an earlier run's cells (they are discarded)")
    .option('--samples <n>', "tinybench samples of each cell's reset cycle (overrides the workload; 0: no simulator figures)", nonNegativeInt('--samples', MAX_SAMPLES))
    .option('-f, --filter <text>', 'run only cells whose label holds these whole words (case-insensitive: 4GiB is not 64GiB; varying parameters as name=value, e.g. profile=mlx5-2024; repeat to require several)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--backend <backend>', 'also run every cell on a real kernel: vm:6.1, vm:6.12, vm:7.2 (see kernels prepare) or device:/dev/vhost-vdpa-N', realBackend)
    .option('--real-cycles <n>', 'with --backend: reset cycles repeated on the real kernel for a distribution', positiveInt('--real-cycles'), 3)
    .option('--accel <accel>', 'with --backend vm:: auto, kvm or tcg', accelOption, 'auto')
    .option('--clock <clock>', "with --backend vm:: the guest clock the probe times by: wall, or icount (TCG's instruction counter, 1 ns per guest instruction: the same figures on every run, whatever the host's load; TCG only)", clockOption, 'wall')
    .option('--shard <I/N|k8s>', `run only shard I of N (numbered from 1; round-robin over the cells sorted by id), in its own --out; k8s: the index from JOB_COMPLETION_INDEX (0-based) and N from ${SHARD_COUNT_ENV}. Join the shards with vdpa-lab merge`, (t: string) => parseShard(t))
    .option('--emit-trace <dir>', "write each cell's message stream as the QEMU trace (vhost_vdpa_* log lines) a real QEMU would have logged: DIR/<cell id>.log, for `vdpa-lab replay`")
    .option('--json', 'print results.json to stdout instead of the summary table')
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      `
Events: ${EVENT_NAMES.map((e) => `\n  ${e.padEnd(14)} ${EVENT_HELP[e]}`).join('')}

Figures: "modeled" = counters x cost-profile prices (deterministic for the same
workload and seed); "simulator" = wall clock of this simulator (tinybench samples;
"measured" in results@1 files, which are still read).
Exit codes: 0 every cell ran (n/a and incorrect are findings, not failures),
1 a cell failed, 2 bad input (named by its JSON path; nothing is written).

Examples:
  vdpa-lab run --force                           # workloads/default.json into reports/latest, replacing the run there
  vdpa-lab run workloads/guest-size-sweep.json --threads 2 --out reports/sweep
  vdpa-lab run workloads/parent-comparison.json --resume --out reports/parents
  vdpa-lab run --filter mlx5 --filter reset-map --out reports/mlx5   # only the mlx5 cells on v6.7+
  vdpa-lab run --json --quiet --out reports/json --force > results.json
  vdpa-lab run workloads/parent-comparison.json --shard 2/3 --out parts/shard-2   # then vdpa-lab merge parts/* --out merged`,
    )
    .action(
      action(async (workloadPath: string, o: RunFlags) => {
        checkClock(o.clock, o.accel, o.backend?.kind);
        if (o.resume && o.force) throw new InputError('--force', 'discards the journal in --out that --resume continues: give one of them');
        const w = loadWorkload(workloadPath, { maxCells: o.maxCells });
        if (o.filter) {
          const labels = distinctLabels(w.cells);
          const kept = w.cells.filter((c) => o.filter!.every((f) => labelMatches(labels.get(c.id)!, f)));
          if (kept.length === 0) throw new InputError('--filter', `${o.filter.map((f) => `'${f}'`).join(' and ')} matches none of the ${w.cells.length} cells`);
          w.cells = kept;
        }
        for (const line of entryLimitWarnings(w.cells)) process.stderr.write(`${line}\n`);
        // Every output is checked before any is created (or any cell runs): a bad path is bad input, nothing written.
        const outDir = checkOwnDir(o.out, '--out', 'run').path;
        const traceDir = o.emitTrace ? checkOwnDir(o.emitTrace, '--emit-trace', 'trace').path : null;
        if (traceDir !== null && traceDir === outDir) throw new InputError('--emit-trace', `${traceDir} is also --out: the traces go in a directory of their own`);
        const progress = makeProgress(o.quiet);
        const backend = o.backend;
        const start = Date.now();
        const file = await runWorkload(w, {
          out: o.out,
          threads: o.threads,
          resume: o.resume,
          force: o.force,
          samples: o.samples,
          shard: o.shard,
          onStart: (toRun, threads) => progress.update(`${w.workload.name}${o.shard ? ` shard ${shardName(o.shard)}` : ''}: ${toRun} of ${w.cells.length} cells to run on ${threads} threads`),
          onResult: (r, done, total) => progress.update(progressLine(r, done, total, start)),
          augment: backend ? (f) => augmentReal(f, w.cells, backend, o, (l) => progress.update(l)) : undefined,
        });
        progress.done();
        if (traceDir) {
          claimOutputDir(traceDir, '--emit-trace', 'trace');
          const byId = new Map(w.cells.map((c) => [c.id, c]));
          for (const c of file.cells.filter((x) => x.status === 'ok' || x.status === 'incorrect')) writeFileAtomic(join(traceDir, `${c.id}.log`), emitCellTrace(byId.get(c.id)!));
        }
        if (o.json) process.stdout.write(`${JSON.stringify(file, null, 1)}\n`);
        else {
          const count = (s: string) => file.cells.filter((c) => c.status === s).length;
          process.stdout.write(`${summaryText(summaryRows(file.cells))}\n\n`);
          const shard = o.shard ? `shard ${shardName(o.shard)}: ${file.cells.length} of ${w.cells.length} cells` : `${file.cells.length} cells`;
          process.stdout.write(`${shard}: ${count('ok')} ok, ${count('incorrect')} incorrect, ${count('n/a')} n/a, ${count('failed')} failed in ${((Date.now() - start) / 1000).toFixed(1)} s\n`);
          for (const c of file.cells.filter((x) => x.status === 'incorrect' || x.status === 'failed')) process.stdout.write(`  ${c.status}: ${c.label}: ${c.reason}\n`);
          process.stdout.write(`results: ${resolve(o.out, 'results.json')}\n`);
        }
        if (file.provenance.real && !o.json) process.stdout.write(`\n${realSummaryText(file.cells, file.provenance.real)}\n`);
        const diverged = file.cells.some((c) => realDiverged(c.real));
        return file.cells.some((c) => c.status === 'failed') || diverged ? EXIT_FAILURE : EXIT_OK;
      }),
    );
}
