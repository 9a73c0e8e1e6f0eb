/** `vdpa-lab gate --baseline FILE --current FILE`: the CI regression gate. */
import { appendFileSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { writeFileAtomic } from '../atomic-file.js';
import { InputError } from '../errors.js';
import { checkOutputFile } from '../output-path.js';
import { checkComparable, compareResults, defaultGateConfig, loadGateConfig, verdictMarkdown } from '../gate/index.js';
import { readResults } from '../runner/index.js';
import { action, EXIT_FAILURE, EXIT_OK } from './run-action.js';

interface GateFlags {
  baseline: string;
  current: string;
  config?: string;
  measured: string;
  update?: boolean;
  json?: boolean;
}

/** The verdict for the CI job page: a summary that cannot be written is a warning, never a change of verdict. */
function appendStepSummary(path: string, md: string): void {
  try {
    appendFileSync(path, `${md}\n`);
  } catch (e) {
    process.stderr.write(`warning: GITHUB_STEP_SUMMARY ${path}: cannot append the verdict (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); the gate's exit code stands\n`);
  }
}

export function registerGate(program: Command): void {
  program
    .command('gate')
    .description('compare results against a baseline: modeled figures exactly, measured ones by Mann-Whitney + minimum effect')
    .requiredOption('-b, --baseline <file>', 'baseline results.json (e.g. reports/baseline.json)')
    .requiredOption('-c, --current <file>', 'current results.json')
    .option('--config <file>', 'gate config: {"tolerances": {"modeled.perResetNs": 0.01}, "alpha": 0.01, "minEffect": 0.1}')
    .option('--measured <mode>', 'gate: measured regressions fail; report: only reported', 'gate')
    .option('--update', 'after comparing, replace the baseline with the current results (atomically) and exit 0')
    .option('--json', 'print the verdict rows as JSON instead of markdown')
    .addHelpText(
      'after',
      `
Rules: a modeled figure (status, counters, modeled ns) that changes beyond its
tolerance (default: exact) fails the gate, as regressed (higher) or improved
(lower): either way the model changed. A measured figure (the simulator's wall
time) regresses only when Mann-Whitney p < alpha AND the median moved by at
least minEffect; anything less is noise.
Exit codes: 0 pass, 1 regression or modeled change, 2 bad input (unreadable or
foreign results, another workload or profile, missing cells).
When GITHUB_STEP_SUMMARY is set the verdict is appended there too.

Examples:
  vdpa-lab gate --baseline reports/baseline.json --current reports/latest/results.json
  vdpa-lab gate -b reports/baseline.json -c reports/latest/results.json --measured report
  vdpa-lab gate -b reports/baseline.json -c reports/latest/results.json --update`,
    )
    .action(
      action((o: GateFlags) => {
        if (o.measured !== 'gate' && o.measured !== 'report') throw new InputError('--measured', `must be gate or report, got '${o.measured}'`);
        if (o.update) checkOutputFile(o.baseline, '--baseline');
        const cfg = o.config ? loadGateConfig(o.config) : defaultGateConfig();
        const baseline = readResults(o.baseline);
        const current = readResults(o.current);
        checkComparable(baseline, current, { baseline: o.baseline, current: o.current });
        const outcome = compareResults(baseline, current, cfg);
        const md = verdictMarkdown(outcome, { measuredGates: o.measured === 'gate' });
        if (o.json) process.stdout.write(`${JSON.stringify(outcome, null, 1)}\n`);
        else process.stdout.write(`${md}\n`);
        if (process.env.GITHUB_STEP_SUMMARY) appendStepSummary(process.env.GITHUB_STEP_SUMMARY, md);
        if (o.update) {
          writeFileAtomic(o.baseline, readFileSync(o.current));
          process.stderr.write(`baseline updated: ${o.baseline}\n`);
          return EXIT_OK;
        }
        const failed = outcome.modeledChanges > 0 || (o.measured === 'gate' && outcome.measuredRegressions > 0);
        return failed ? EXIT_FAILURE : EXIT_OK;
      }),
    );
}
