/** `vdpa-lab report RESULTS.json... --out DIR`. */
import type { Command } from 'commander';
import { STDIN_NAME } from '../json-file.js';
import { writeFileAtomic } from '../atomic-file.js';
import { InputError } from '../errors.js';
import { checkOutputFile } from '../output-path.js';
import { makeProgress } from './progress.js';
import { action } from './run-action.js';

interface ReportFlags {
  out: string;
  png: boolean;
  quiet?: boolean;
  label?: string[];
  match?: string;
  export?: string[];
  json?: boolean;
  force?: boolean;
}

/**
 * `-` reads an input from stdin, once: a pipe cannot be read twice. The
 * readers take `-` as a path (json-file.ts keeps its bytes in memory;
 * reports name that run "stdin").
 */
export function stdinOnce(paths: string[], flag: string): void {
  if (paths.filter((p) => p === STDIN_NAME).length > 1) throw new InputError(flag, "'-' (stdin) can be given once");
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('build a comparison report (Vega-Lite charts as SVG/PNG, index.html, summary.md) from results files')
    .argument('<results...>', 'results.json files written by vdpa-lab run (the first is the reference for deltas), or by vdpa-lab qemu record (or a shipped recording\'s record.json): set side by side by release')
    .option('-o, --out <dir>', 'report directory (replaced as a whole; never left half-written)', 'reports/latest/report')
    .option('--label <name>', 'a name for each results file, in order (repeat: --label before --label after)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--match <fields>', 'pair cells of different runs by these fields instead of by id: setup, parent, kernel, flow, guest, backing, profile, events (e.g. setup,guest,flow)')
    .option('--export <format=file>', 'also write the cells as csv, github-action-benchmark (customSmallerIsBetter) or bmf (bencher); file - is stdout; repeat for several', (v: string, prev: string[] = []) => [...prev, v])
    .option('--force', 'replace an existing --export file that is not an export of that format vdpa-lab wrote')
    .option('--json', 'print what was written (directory, charts, exports) as JSON on stdout')
    .option('--no-png', 'skip PNG rendering')
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      `
Cells of several runs pair by id (every parameter equal); another workload or
cost profile pairs nothing unless --match names the fields to pair by. The
report says how many cells paired ("8 of 8 cells of B matched a cell of A").

qemu record results (schema vdpa-lab/qemu-record@1) get their own report: per
reset, the inner guest's downtime and the trace's vhost-vdpa time (real, nested
TCG) beside the model's replay of the same trace (modeled), each kind on its
own axis. A shipped record.json is replayed from the trace.log beside it.

Examples:
  vdpa-lab report reports/latest/results.json
  vdpa-lab report workloads/traces/qemu-7.2.22-vdpa_sim-6.12-plain/record.json workloads/traces/qemu-11.1.3-vdpa_sim-6.12-plain/record.json --out reports/qemu-downtime
  vdpa-lab report reports/baseline.json reports/latest/results.json --label baseline --label now --out reports/compare
  vdpa-lab report reports/real/vdpa-sim-1g2g/results.json reports/real/vdpa-sim-4cell/results.json --match setup,kernel,guest,flow
  vdpa-lab run --json --quiet --out reports/pipe --force | vdpa-lab report - --export bmf=bmf.json --export csv=cells.csv
Exit codes: 0 written, 2 bad input (corrupt, truncated or foreign results file).`,
    )
    .action(
      action(async (results: string[], o: ReportFlags) => {
        // vega and vega-lite load only when a report is asked for: every other command starts faster.
        const { writeReport, parseMatch, parseExport, exportRuns, isExportOf, inputKind } = await import('../report/index.js');
        const match = o.match === undefined ? null : parseMatch(o.match);
        const exports = (o.export ?? []).map(parseExport);
        if (exports.filter((e) => e.path === '-').length + (o.json ? 1 : 0) > 1) throw new InputError('--export', 'stdout can take one of --json and the exports: name a file for the others');
        for (const e of exports) {
          if (e.path !== '-') e.path = checkOutputFile(e.path, '--export', { what: `${e.format} export`, isOurs: (t) => isExportOf(e.format, t), force: o.force });
        }
        stdinOnce(results, 'results');
        if (exports.length && results.some((p) => inputKind(p) === 'qemu-record')) throw new InputError('--export', 'exports the cells of runs; qemu record results have none (their figures are in summary.md and --json)');
        const progress = makeProgress(o.quiet);
        const r = await writeReport(results, { out: o.out, noPng: !o.png, labels: o.label, match, onProgress: (m) => progress.update(m) });
        progress.done();
        // The exports use the runs the report read (stdin cannot be read twice).
        for (const e of exports) {
          const text = exportRuns(e.format, r.runs);
          if (e.path === '-') process.stdout.write(text);
          else writeFileAtomic(e.path, text);
        }
        if (o.json) process.stdout.write(`${JSON.stringify({ dir: r.dir, index: `${r.dir}/index.html`, summary: `${r.dir}/summary.md`, charts: r.charts, exports, ...(r.recordings ? { recordings: r.recordings } : {}) }, null, 1)}\n`);
        else if (!exports.some((e) => e.path === '-')) process.stdout.write(`report: ${r.dir}/index.html (${r.charts.length} charts: ${r.charts.join(', ')})\n`);
      }),
    );
}
