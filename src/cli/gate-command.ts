/** `vdpa-lab gate --baseline FILE --current FILE`: the CI regression gate. */
import { appendFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { writeFileAtomic } from '../atomic-file.js';
import { InputError } from '../errors.js';
import { readInput, STDIN_NAME } from '../json-file.js';
import { checkOutputFile } from '../output-path.js';
import { checkCellIds, commentMarkdown, compareResults, defaultGateConfig, gateFailed, incomparable, isGateComment, isJunitVerdict, junitXml, loadGateConfig, verdictMarkdown } from '../gate/index.js';
import { distinctLabels } from '../runner/summary.js';
import { readResults, RESULTS_SCHEMA } from '../runner/index.js';
import { action, EXIT_FAILURE, EXIT_OK } from './run-action.js';

interface GateFlags {
  baseline: string;
  current: string;
  config?: string;
  /** Absent: report (defaulted in the action, so a clash with --measured can be told). */
  simulator?: string;
  /** The old name of --simulator (results@1), still taken. */
  measured?: string;
  update?: boolean;
  json?: boolean;
  junit?: string;
  comment?: string;
  force?: boolean;
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
    .description("compare results against a baseline: modeled figures exactly; the simulator's wall clock and real-kernel time (Mann-Whitney + minimum effect) reported, the simulator's gated only on request")
    .requiredOption('-b, --baseline <file>', 'baseline results.json (e.g. reports/baseline.json)')
    .requiredOption('-c, --current <file>', 'current results.json')
    .option('--config <file>', 'gate config: {"tolerances": {"modeled.perResetNs": 0.01}, "alpha": 0.01, "minEffect": 0.1}')
    .option('--simulator <mode>', "report (default): the simulator's wall clock is only reported; gate: its regressions fail too")
    .addOption(new Option('--measured <mode>', 'old name of --simulator').hideHelp())
    .option('--update', 'rebase: replace the baseline with the current results (atomically) and exit 0, even when the workload, a profile or the cells changed')
    .option('--json', 'print the verdict rows as JSON instead of markdown')
    .option('--junit <file>', 'also write the verdict as JUnit XML (a testcase per cell) for CI test views')
    .option('--comment <file>', 'also write the verdict as a pull-request comment (markdown, verdict on line 1, tables folded, a marker to update it by)')
    .option('--force', 'replace an existing --junit or --comment file that vdpa-lab did not write')
    .addHelpText(
      'after',
      `
Rules: a modeled figure (status, counters, modeled ns) that changes beyond its
tolerance (default: exact) fails the gate, as regressed (higher) or improved
(lower): either way the model changed. A simulator figure (the lab's own
wall time, noisy on a shared machine) is reported; with --simulator gate it
regresses only when Mann-Whitney p < alpha AND the median moved by at least
minEffect, and a regression fails the gate. When the two runs were timed on
different machines (CPU model, cores, host kernel, platform or Node, from
their provenance), simulator figures are reported (slower/faster), never
gated, and the verdict says what changed; real figures likewise when the
machine or the real testbed (real kernel, accel, backend) changed.
Real-kernel figures (run --backend) compare the same way and are reported only.
Exit codes: 0 pass (or baseline updated), 1 modeled change (or, with --simulator
gate, a simulator regression), 2 bad input (unreadable or foreign results,
another workload or profile, missing cells: --update rebases deliberately).
When GITHUB_STEP_SUMMARY is set the verdict is appended there too.

Examples:
  vdpa-lab gate --baseline reports/baseline.json --current reports/latest/results.json
  vdpa-lab gate -b reports/baseline.json -c reports/latest/results.json --simulator gate
  vdpa-lab gate -b reports/baseline.json -c reports/latest/results.json --update
  vdpa-lab gate -b reports/baseline.json -c reports/latest/results.json --comment comment.md
  vdpa-lab run --json --quiet --out reports/pipe --force | vdpa-lab gate -b reports/baseline.json -c - --junit gate.xml`,
    )
    .action(
      action((o: GateFlags) => {
        if (o.measured !== undefined && o.simulator !== undefined) throw new InputError('--measured', 'is the old name of --simulator: give one of them');
        const flag = o.measured !== undefined ? '--measured' : '--simulator';
        o.simulator = o.measured ?? o.simulator ?? 'report';
        if (o.simulator !== 'gate' && o.simulator !== 'report') throw new InputError(flag, `must be gate or report, got '${o.simulator}'`);
        if (o.baseline === STDIN_NAME && (o.current === STDIN_NAME || o.update)) throw new InputError('--baseline', "'-' (stdin) can be read once, and --update cannot write it: name a file");
        if (o.update) o.baseline = checkOutputFile(o.baseline, '--baseline');
        if (o.update && o.junit) throw new InputError('--junit', '--update rebases the baseline and gives no verdict to write: run the gate without --update for the JUnit file');
        if (o.update && o.comment) throw new InputError('--comment', '--update rebases the baseline and gives no verdict to comment: run the gate without --update for the comment');
        if (o.junit) o.junit = checkOutputFile(o.junit, '--junit', { what: 'JUnit verdict', isOurs: isJunitVerdict, force: o.force });
        if (o.comment) o.comment = checkOutputFile(o.comment, '--comment', { what: 'gate comment', isOurs: isGateComment, force: o.force });
        if (o.junit && o.comment && o.junit === o.comment) throw new InputError('--comment', `${o.comment} is also the --junit file: name two files`);
        const cfg = o.config ? loadGateConfig(o.config) : defaultGateConfig();
        const current = readResults(o.current);
        // Even a rebase: a baseline whose ids do not match its params would never gate cleanly again.
        if (o.update) checkCellIds(current, o.current);
        if (o.update) return rebase(o, current);
        const baseline = readResults(o.baseline);
        const refused = incomparable(baseline, current, { baseline: o.baseline, current: o.current });
        if (refused) throw refused;
        const outcome = compareResults(baseline, current, cfg);
        const md = verdictMarkdown(outcome, { simulatorGates: o.simulator === 'gate' });
        if (o.json) process.stdout.write(`${JSON.stringify(outcome, null, 1)}\n`);
        else process.stdout.write(`${md}\n`);
        if (process.env.GITHUB_STEP_SUMMARY) appendStepSummary(process.env.GITHUB_STEP_SUMMARY, md);
        const simulatorGates = o.simulator === 'gate';
        if (o.junit) writeFileAtomic(o.junit, junitXml(outcome, [...distinctLabels(baseline.cells).values()], { simulatorGates }));
        if (o.comment) writeFileAtomic(o.comment, commentMarkdown(outcome, { simulatorGates, baseline: baseline.provenance, current: current.provenance }));
        return gateFailed(outcome, { simulatorGates }) ? EXIT_FAILURE : EXIT_OK;
      }),
    );
}

/**
 * --update: the current results become the baseline. What changed is shown
 * first when the two are comparable; when they are not (another workload,
 * profile or set of cells), the reason is said and the rebase goes ahead:
 * that is what the user asked for.
 */
function rebase(o: GateFlags, current: ReturnType<typeof readResults>): number {
  let old: ReturnType<typeof readResults> | null = null;
  try {
    old = readResults(o.baseline);
  } catch (e) {
    // A missing or unreadable baseline is what --update repairs; say so and write it.
    process.stderr.write(`note: no usable baseline to compare first (${(e as Error).message})\n`);
  }
  if (old) {
    const refused = incomparable(old, current, { baseline: o.baseline, current: o.current });
    if (refused) process.stderr.write(`note: rebasing across a change: ${refused.message}\n`);
    else {
      const outcome = compareResults(old, current, o.config ? loadGateConfig(o.config) : defaultGateConfig());
      const md = verdictMarkdown(outcome, { simulatorGates: o.simulator === 'gate' });
      process.stdout.write(o.json ? `${JSON.stringify(outcome, null, 1)}\n` : `${md}\n`);
      if (process.env.GITHUB_STEP_SUMMARY) appendStepSummary(process.env.GITHUB_STEP_SUMMARY, md);
    }
  }
  // A file of an older schema (results@1, @2) is written as read (upgraded to
  // the current one): a byte copy would keep the old schema in the baseline for good.
  const bytes = readInput(o.current);
  const older = (JSON.parse(bytes.toString('utf8')) as { schema?: unknown }).schema !== RESULTS_SCHEMA;
  writeFileAtomic(o.baseline, older ? `${JSON.stringify(current, null, 1)}\n` : bytes);
  process.stderr.write(`baseline updated: ${o.baseline}\n`);
  return EXIT_OK;
}
