#!/usr/bin/env node
/** The `vdpa-lab` command: parse, hand over to one command module, set the exit code. */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { registerBench } from './bench-command.js';
import { registerBenchKernel } from './bench-kernel-command.js';
import { registerExec } from './exec-command.js';
import { registerRun } from './run-command.js';
import { registerCalibrate } from './calibrate-command.js';
import { registerReport } from './report-command.js';
import { registerGate } from './gate-command.js';
import { registerProfile } from './profile-command.js';
import { registerReplay } from './replay-command.js';
import { registerKernels } from './kernels-command.js';
import { registerMerge } from './merge-command.js';
import { registerQemu } from './qemu-command.js';
import { EXIT_BAD_INPUT, reportError } from './run-action.js';

const pkg = createRequire(import.meta.url)('../../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('vdpa-lab')
    .description('What does a vDPA device reset cost? Simulate guests through the remap-around-reset workaround and the reset_map / VHOST_BACKEND_F_IOTLB_PERSIST flow, and report it.')
    .version(pkg.version)
    // Usage errors are one line with a hint (printed in main), not the whole help.
    .configureOutput({ outputError: () => {} })
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  vdpa-lab run                                          # workloads/default.json -> reports/latest/results.json
  vdpa-lab report reports/latest/results.json           # charts, index.html, summary.md
  vdpa-lab gate -b reports/baseline.json -c reports/latest/results.json
  vdpa-lab exec workloads/sessions/legacy-reset-wipes.jsonl

Figures are MODELED (counters x cost-profile prices: deterministic), REAL (time
in a real kernel's syscalls, --backend) or SIMULATOR (this lab's wall clock),
never mixed. Exit codes: 0 ok, 1 failure or regression, 2 bad input.`,
    );
  registerRun(program);
  registerReport(program);
  registerGate(program);
  registerProfile(program);
  registerExec(program);
  registerCalibrate(program);
  registerBench(program);
  registerReplay(program);
  registerKernels(program);
  registerBenchKernel(program);
  registerMerge(program);
  registerQemu(program);
  return program;
}

// `vdpa-lab run | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

/** The (sub)command the arguments name, for the hint after a usage error: "vdpa-lab bench iotlb". */
function commandPath(program: Command, args: string[]): string {
  const names = [program.name()];
  let cmd = program;
  for (const a of args) {
    const sub = cmd.commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (!sub) break;
    names.push(sub.name());
    cmd = sub;
  }
  return names.join(' ');
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  for (const c of program.commands) c.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; usage errors are bad input.
      if (err.exitCode !== 0 && err.code !== 'commander.help') process.stderr.write(`${err.message} (see '${commandPath(program, argv.slice(2))} --help')\n`);
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
      return;
    }
    process.exitCode = reportError(err);
  }
}

await main(process.argv);
