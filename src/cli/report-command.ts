/** `vdpa-lab report RESULTS.json... --out DIR`. */
import type { Command } from 'commander';
import { makeProgress } from './progress.js';
import { action } from './run-action.js';

interface ReportFlags {
  out: string;
  png: boolean;
  quiet?: boolean;
  label?: string[];
  match?: string;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('build a comparison report (Vega-Lite charts as SVG/PNG, index.html, summary.md) from results files')
    .argument('<results...>', 'results.json files written by vdpa-lab run; the first is the reference for deltas')
    .option('-o, --out <dir>', 'report directory (replaced as a whole; never left half-written)', 'reports/latest/report')
    .option('--label <name>', 'a name for each results file, in order (repeat: --label before --label after)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--match <fields>', 'pair cells of different runs by these fields instead of by id: setup, parent, kernel, flow, guest, backing, profile, events (e.g. setup,guest,flow)')
    .option('--no-png', 'skip PNG rendering')
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      `
Cells of several runs pair by id (every parameter equal); another workload or
cost profile pairs nothing unless --match names the fields to pair by. The
report says how many cells paired ("8 of 8 cells of B matched a cell of A").

Examples:
  vdpa-lab report reports/latest/results.json
  vdpa-lab report reports/baseline.json reports/latest/results.json --label baseline --label now --out reports/compare
  vdpa-lab report a/results.json b/results.json --match setup,kernel,guest,flow
Exit codes: 0 written, 2 bad input (corrupt, truncated or foreign results file).`,
    )
    .action(
      action(async (results: string[], o: ReportFlags) => {
        // vega and vega-lite load only when a report is asked for: every other command starts faster.
        const { writeReport, parseMatch } = await import('../report/index.js');
        const match = o.match === undefined ? null : parseMatch(o.match);
        const progress = makeProgress(o.quiet);
        const r = await writeReport(results, { out: o.out, noPng: !o.png, labels: o.label, match, onProgress: (m) => progress.update(m) });
        progress.done();
        process.stdout.write(`report: ${r.dir}/index.html (${r.charts.length} charts: ${r.charts.join(', ')})\n`);
      }),
    );
}
