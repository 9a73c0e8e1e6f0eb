/** `vdpa-lab report RESULTS.json... --out DIR`. */
import type { Command } from 'commander';
import { makeProgress } from './progress.js';
import { action } from './run-action.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('build a comparison report (Vega-Lite charts as SVG/PNG, offline index.html, summary.md) from results files')
    .argument('<results...>', 'results.json files written by vdpa-lab run; the first is the reference for deltas')
    .option('-o, --out <dir>', 'report directory (replaced as a whole; never left half-written)', 'reports/latest/report')
    .option('--no-png', 'skip PNG rendering')
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      `
Examples:
  vdpa-lab report reports/latest/results.json
  vdpa-lab report reports/baseline.json reports/latest/results.json --out reports/compare
Exit codes: 0 written, 2 bad input (corrupt, truncated or foreign results file).`,
    )
    .action(
      action(async (results: string[], o: { out: string; png: boolean; quiet?: boolean }) => {
        // vega and vega-lite load only when a report is asked for: every other command starts faster.
        const { writeReport } = await import('../report/index.js');
        const progress = makeProgress(o.quiet);
        const r = await writeReport(results, { out: o.out, noPng: !o.png, onProgress: (m) => progress.update(m) });
        progress.done();
        process.stdout.write(`report: ${r.dir}/index.html (${r.charts.length} charts: ${r.charts.join(', ')})\n`);
      }),
    );
}
