/** `vdpa-lab history add|show`: a run's figures appended to a history, and trend charts across commits. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { defaultGateConfig, loadGateConfig } from '../gate/index.js';
import { buildSeries, checkTrendsDir, DirStore, GIT_PREFIX, GitStore, historyFileName, recordOf, trendMarkdown, writeTrends, type HistoryStore } from '../history/index.js';
import { readResults } from '../runner/index.js';
import { action, EXIT_OK } from './run-action.js';

/** A git commit as `--commit` takes it: hex, abbreviated (7) to full SHA-256 (64). */
const COMMIT = /^[0-9a-f]{7,64}$/;

function storeOf(spec: string, flag: string, remote: string | undefined): HistoryStore {
  if (spec.startsWith(GIT_PREFIX)) return new GitStore(spec.slice(GIT_PREFIX.length), remote, flag);
  if (remote !== undefined) throw new InputError('--remote', `applies to a git:BRANCH history, not the directory ${spec}`);
  return new DirStore(spec, flag);
}

interface AddFlags {
  into: string;
  commit?: string;
  date?: string;
  remote?: string;
  json?: boolean;
}

function addRun(results: string, o: AddFlags): number {
  const file = readResults(results);
  const commit = (o.commit ?? file.provenance.gitCommit ?? '').toLowerCase();
  if (!commit) throw new InputError('--commit', `${results} records no git commit: give the commit it ran (e.g. --commit $(git rev-parse HEAD))`);
  if (!COMMIT.test(commit)) throw new InputError(o.commit === undefined ? `${results}: provenance.gitCommit` : '--commit', `'${commit}' is not a git commit (7 to 64 hex digits)`);
  const when = o.date ?? file.provenance.finishedAt ?? file.provenance.startedAt;
  if (!when) throw new InputError('--date', `${results} records no date: give one (ISO 8601, e.g. 2026-12-07T12:00:00Z)`);
  const ms = Date.parse(when);
  if (!/^\d{4}-\d{2}-\d{2}/.test(when) || Number.isNaN(ms)) throw new InputError(o.date === undefined ? `${results}: provenance.finishedAt` : '--date', `'${when}' is not an ISO 8601 date (e.g. 2026-12-07T12:00:00Z)`);
  const record = recordOf(file, { commit, date: new Date(ms).toISOString() });
  const store = storeOf(o.into, '--into', o.remote);
  // A directory is checked before anything is created; a branch is checked as it is read.
  if (store instanceof DirStore) store.check();
  const name = historyFileName(record.workload);
  const line = JSON.stringify(record);
  if (store instanceof GitStore) store.append(name, line, `vdpa-lab history: ${record.workload.name} at ${commit.slice(0, 12)} (${record.date})`);
  else store.append(name, line);
  const counts = { modeled: Object.keys(record.modeled).length, simulator: Object.keys(record.simulator).length, real: Object.keys(record.real).length };
  if (o.json) process.stdout.write(`${JSON.stringify({ store: store.name, file: name, commit, date: record.date, machineKey: record.machineKey, cells: counts }, null, 1)}\n`);
  else process.stdout.write(`added ${commit.slice(0, 12)} (${record.date}) to ${store.name}/${name}: ${counts.modeled} cells modeled, ${counts.simulator} timed, ${counts.real} real\n`);
  return EXIT_OK;
}

interface ShowFlags {
  out?: string;
  remote?: string;
  config?: string;
  json?: boolean;
}

async function show(spec: string, o: ShowFlags): Promise<number> {
  const cfg = o.config ? loadGateConfig(o.config) : defaultGateConfig();
  const files = storeOf(spec, 'HISTORY', o.remote).read();
  const series = buildSeries(files, cfg);
  if (series.length === 0) throw new InputError(spec, 'holds no runs with figures (history add appends them)');
  const out = o.out ? checkTrendsDir(o.out, series) : null;
  if (out) await writeTrends(out, series);
  if (o.json) process.stdout.write(`${JSON.stringify({ series }, null, 1)}\n`);
  else process.stdout.write(trendMarkdown(series));
  if (out) process.stderr.write(`trends: ${resolve(out)}\n`);
  return EXIT_OK;
}

export function registerHistory(program: Command): void {
  const history = program.command('history').description("keep each run's figures across commits (a directory or a git branch) and chart their trends");
  history
    .command('add')
    .description("append a run's figures to a history, keyed by commit, date, machine and workload hash")
    .argument('<results>', 'results.json of the run')
    .requiredOption('--into <history>', 'a directory (made if missing) or git:BRANCH (a branch of the current repository)')
    .option('--commit <sha>', 'the commit the run measured (default: the results file\'s provenance.gitCommit)')
    .option('--date <iso>', 'when (default: the run\'s finishedAt)')
    .option('--remote <name>', 'with git:BRANCH: fetch the branch from this remote first and push the new commit to it')
    .option('--json', 'print what was added as JSON')
    .addHelpText(
      'after',
      `
One JSON line per run goes to FILE = <workload>-<hash>.jsonl: modeled,
simulator and real figures in separate maps, the machine (CPU model, cores,
platform, host kernel, Node) and the real testbed beside them. A git:BRANCH
history is written without a work tree (hash-object, mktree, commit-tree,
update-ref); a branch holding other files is refused. A commit added twice
keeps its last line in trends. Exit codes: 0 added, 1 a git fault, 2 bad input.

Examples:
  vdpa-lab history add reports/baseline.json --into history
  vdpa-lab history add reports/baseline.json --into history --commit 0123abc --date 2026-12-01T09:00:00Z`,
    )
    .action(action((results: string, o: AddFlags) => addRun(results, o)));
  history
    .command('show')
    .description('trend charts per cell and figure (modeled and real on separate axes, change points marked) and a markdown table')
    .argument('<history>', 'a history directory or git:BRANCH')
    .option('--out <dir>', 'write trend-*.svg (one per cell) and history.md here (new, empty, or an earlier history show)')
    .option('--remote <name>', 'with git:BRANCH: read the branch as this remote has it (fetched first)')
    .option('--config <file>', "gate config whose tolerances and minEffect set the change-point thresholds")
    .option('--json', 'print the series (points, steps, change points) as JSON instead of the table')
    .addHelpText(
      'after',
      `
A series is one figure of one cell: modeled figures one per workload,
simulator timings one per machine, real ones per machine and testbed. A point
is a change point when it differs from the median of up to 5 earlier points
of its series (since the last change point) by more than the gate's
threshold: the tolerance for modeled figures (exact by default), minEffect
(10%) for timings. Exit codes: 0 shown, 2 bad input (no history, a malformed line).

Examples:
  vdpa-lab history add reports/baseline.json --into history && vdpa-lab history show history --out reports/trends`,
    )
    .action(action((spec: string, o: ShowFlags) => show(spec, o)));
}
