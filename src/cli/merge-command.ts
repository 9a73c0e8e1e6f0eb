/** `vdpa-lab merge DIR... --out DIR`: the shards of one `run --shard I/N` back into one results file. */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../atomic-file.js';
import { claimOutputDir } from '../output-path.js';
import { mergeParts, readPart, summaryRows, summaryText } from '../runner/index.js';
import { action, EXIT_FAILURE, EXIT_OK } from './run-action.js';

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description('join the results of every shard of one run (run --shard I/N) into the results file the unsharded run would have written')
    .argument('<dirs...>', "each shard's results directory (its run --out), or its results.json")
    .requiredOption('-o, --out <dir>', 'directory for the merged results.json (new, empty, or an earlier merge)')
    .option('--json', 'print the merged results file to stdout instead of the summary table')
    .addHelpText(
      'after',
      `
Checks, each refused with exit 2 and the reason: every part comes from the same
workload (by its sha256), cost profiles and lab version (and git commit); the
parts are shards of one count and one cell set (else they overlap); no shard
is given twice; no shard and no cell is missing (the missing cells are named).
Cells are copied unchanged, in the unsharded run's order: modeled figures,
statuses and counters are the unsharded run's. provenance.parts keeps each
shard's host, machine and times. report and gate read the merged file as is.
Exit codes: 0 merged, 1 merged but some cell failed, 2 bad input (nothing written).

Examples:
  vdpa-lab merge parts/shard-1 parts/shard-2 parts/shard-3 --out reports/merged
  vdpa-lab merge parts/shard-* --out reports/merged && vdpa-lab report reports/merged/results.json --out reports/merged-report`,
    )
    .action(
      action((dirs: string[], o: { out: string; json?: boolean }) => {
        // Everything is read and checked before the output directory is touched.
        const parts = dirs.map(readPart);
        const merged = mergeParts(parts);
        const dir = claimOutputDir(o.out, '--out', 'merge');
        const path = join(dir, 'results.json');
        writeFileAtomic(path, `${JSON.stringify(merged, null, 1)}\n`);
        if (o.json) process.stdout.write(`${JSON.stringify(merged, null, 1)}\n`);
        else {
          const count = (s: string) => merged.cells.filter((c) => c.status === s).length;
          const hosts = merged.provenance.parts!.map((p) => `${p.shard} on ${p.host}`).join(', ');
          process.stdout.write(`${summaryText(summaryRows(merged.cells))}\n\n`);
          process.stdout.write(`merged ${parts.length} shards (${hosts}): ${merged.cells.length} cells: ${count('ok')} ok, ${count('incorrect')} incorrect, ${count('n/a')} n/a, ${count('failed')} failed\n`);
          process.stdout.write(`results: ${resolve(path)}\n`);
        }
        return merged.cells.some((c) => c.status === 'failed') ? EXIT_FAILURE : EXIT_OK;
      }),
    );
}
