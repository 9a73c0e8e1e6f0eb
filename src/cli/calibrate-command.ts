/** `vdpa-lab calibrate OBSERVATIONS.json`: fit prices and write a profile. */
import type { Command } from 'commander';
import { writeFileAtomic } from '../atomic-file.js';
import { checkOutputFile } from '../output-path.js';
import { calibrate } from '../runner/index.js';
import { textTable } from '../text-format.js';
import { action } from './run-action.js';

export function registerCalibrate(program: Command): void {
  program
    .command('calibrate')
    .description('fit per-counter prices from observed (setup, seconds) pairs and write a cost profile')
    .argument('<observations>', 'a calibration JSON file (see workloads/calibration/)')
    .option('-o, --out <file>', 'write the fitted profile here (atomically); default: print it')
    .option('--json', 'print the fit as JSON')
    .addHelpText(
      'after',
      `
The lab runs each observation's setup, takes the counters of the observed steps,
holds every price of the base profile except those named in "fit", and solves
(least squares) for the free prices. The fitted prices carry the observation as
their source.

Examples:
  vdpa-lab calibrate workloads/calibration/qemu-39g.json
  vdpa-lab calibrate workloads/calibration/qemu-39g.json --out workloads/profiles/default.json`,
    )
    .action(
      action((path: string, o: { out?: string; json?: boolean }) => {
        if (o.out) checkOutputFile(o.out, '--out');
        const r = calibrate(path);
        const text = `${JSON.stringify(r.profile, null, 2)}\n`;
        if (o.out) writeFileAtomic(o.out, text);
        if (o.json) {
          process.stdout.write(`${JSON.stringify({ prices: r.fit.prices, rmsResidualSeconds: r.fit.rmsResidualSeconds, rows: r.fit.rows }, null, 2)}\n`);
          return;
        }
        const fitted = Object.entries(r.fit.prices).map(([k, ns]) => [k, `${ns.toFixed(3)} ns`]);
        process.stderr.write(`${textTable(['price', 'fitted'], fitted)}\n\n`);
        process.stderr.write(`${textTable(['observation', 'observed', 'modeled'], r.fit.rows.map((x) => [x.label, `${x.observedSeconds} s`, `${x.modeledSeconds.toFixed(3)} s`]))}\n`);
        if (!o.out) process.stdout.write(text);
        else process.stderr.write(`profile written: ${o.out}\n`);
      }),
    );
}
