/** `vdpa-lab bench ...`: benchmarks of the lab's own machinery (measured figures). */
import type { Command } from 'commander';
import { RUN_SCENARIOS, defaultScalingRounds, runRunBench, type RunScenario, defaultIotlbBatch, defaultIotlbBuildMs, defaultIotlbColdSizes, defaultIotlbRounds, defaultIotlbSizes, defaultIotlbTimeMs, defaultPinRegionBytes, renderIotlbTable, renderPinTable, runIotlbBench, runPinBench, type IotlbLayout } from '../bench/index.js';
import { BACKINGS, gib, hostMemoryLimitBytes, mmapProblem, type Backing } from '../host/index.js';
import { InputError } from '../errors.js';
import { ENTRY_BYTES } from '../iotlb/layout.js';
import { MAX_TREE_ENTRIES } from '../workload/index.js';
import { renderReadersTable, runReadersBench } from '../bench/iotlb-readers.js';
import { makeProgress } from './progress.js';
import { action } from './run-action.js';
import { defaultThreads } from '../runner/index.js';
import { textTable } from '../text-format.js';
import { choiceList, countList, nonNegativeInt, positiveInt } from './parse-options.js';

const LAYOUTS: readonly IotlbLayout[] = ['dense', 'sparse'];

/** Where bench pin maps its region (pin-bench.ts: startPage 2^20). */
const PIN_BENCH_UADDR = 2n ** 32n;

/**
 * Entry counts the IOTLB core can hold here, checked before anything is
 * allocated: at most MAX_TREE_ENTRIES (its record pool is one growable
 * SharedArrayBuffer), and records within this machine's memory limit.
 */
function entryCounts(flag: string) {
  const parse = countList(flag);
  return (text: string): number[] => {
    const counts = parse(text);
    const max = Math.min(MAX_TREE_ENTRIES, Math.floor(hostMemoryLimitBytes() / ENTRY_BYTES));
    const over = counts.find((n) => n > max);
    if (over !== undefined) throw new InputError(flag, `${over} entries is more than the ${max} the IOTLB core can hold here (${ENTRY_BYTES} bytes a record; at most ${MAX_TREE_ENTRIES} entries, and this machine's limit is ${gib(hostMemoryLimitBytes())})`);
    return counts;
  };
}

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('benchmark the lab itself (measured wall-clock figures)');

  bench
    .command('iotlb')
    .description('radix IOTLB vs @flatten-js/interval-tree, sorted-btree and a native C radix: hot and cold insert, translate, query, delete')
    .option('--sizes <list>', 'entry counts of the hot rows, e.g. 1K,100K,1M,4M', entryCounts('--sizes'), defaultIotlbSizes)
    .option('--cold-sizes <list>', 'entry counts of the cold rows (accesses over the whole table)', entryCounts('--cold-sizes'), defaultIotlbColdSizes)
    .option('--no-cold', 'skip the cold rows')
    .option('--build-ms <ms>', 'cold rows: budget per build from empty per round, ms', positiveInt('--build-ms'), defaultIotlbBuildMs)
    .option('--no-native', 'skip the native C reference of the cold rows')
    .option('--readers <n>', 'instead of the table: n worker threads translating cold while the writer maps and unmaps (entries: the first --cold-sizes; --time: ms per phase)', positiveInt('--readers'))
    .option('--layouts <list>', 'dense (consecutive pages) and/or sparse (random pages over 1 TiB)', choiceList('--layouts', LAYOUTS), [...LAYOUTS])
    .option('--time <ms>', 'time budget per task in ms, split over the rounds', positiveInt('--time'), defaultIotlbTimeMs)
    .option('--batch <n>', 'operations per timed sample', positiveInt('--batch'), defaultIotlbBatch)
    .option('--rounds <n>', 'rounds in which radix and the peer alternate; each figure is the median round', positiveInt('--rounds'), defaultIotlbRounds)
    .option('--seed <n>', 'seed for the inputs', nonNegativeInt('--seed'), 1)
    .option('--no-peer', 'skip the JS peers (flatten-js, sorted-btree)')
    .option('--json', 'print rows as JSON: [{temp, suite, op, pattern, workingSet, impl, entries, opsPerSec, rme, ops, bytesPerEntry}]')
    .option('--quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      `
Examples:
  vdpa-lab bench iotlb                          all sizes, both layouts, with the peer
  vdpa-lab bench iotlb --sizes 1M --layouts dense --json > iotlb.json
  vdpa-lab bench iotlb --sizes 1M --cold-sizes 1M --layouts dense    #14's rows only
  vdpa-lab bench iotlb --readers 1 --cold-sizes 1M --time 1000        readers under the seqlock

Hot rows repeat one batch of 1,024 pages (their entries stay cached); cold rows
span the whole table. Builds from empty run in reused memory (radix: its
fresh build's table, emptied; the JS peers: V8's heap) and in fresh memory
(radix and the native reference: every page a first-touch fault), each
against its like.
The native reference (native/bench/iotlb-ref.c) is compiled with gcc -O2 into
a temp dir when a compiler exists.`,
    )
    .action(
      action(async (o: { readers?: number; sizes: number[]; coldSizes: number[]; cold: boolean; buildMs: number; native: boolean; layouts: IotlbLayout[]; time: number; batch: number; rounds: number; seed: number; peer: boolean; json?: boolean; quiet?: boolean }) => {
        const progress = makeProgress(o.quiet);
        if (o.readers !== undefined) {
          const opts = { readers: o.readers, entries: o.coldSizes[0], phaseMs: o.time, rounds: o.rounds, seed: o.seed, onProgress: (m: string) => progress.update(`bench iotlb: ${m}`) };
          const rows = await runReadersBench(opts);
          progress.done();
          process.stdout.write(o.json ? JSON.stringify(rows, null, 2) + '\n' : renderReadersTable(rows, opts));
          return;
        }
        const notes: string[] = [];
        const rows = runIotlbBench({
          sizes: o.sizes,
          coldSizes: o.cold ? o.coldSizes : [],
          buildMs: o.buildMs,
          native: o.native,
          onNote: (m) => notes.push(m),
          layouts: o.layouts,
          timeMs: o.time,
          batch: o.batch,
          rounds: o.rounds,
          seed: o.seed,
          peer: o.peer,
          onProgress: (m) => progress.update(`bench iotlb: ${m}`),
        });
        progress.done();
        for (const m of o.json ? notes : []) process.stderr.write(m + '\n');
        process.stdout.write(o.json ? JSON.stringify(rows, null, 2) + '\n' : renderIotlbTable(rows, notes));
      }),
    );

  bench
    .command('pin')
    .description('pages pinned+unpinned per second per backing, beside a bare per-page Int32 loop (the floor)')
    .option('--gib <n>', 'region size in GiB', positiveInt('--gib'), defaultPinRegionBytes / 2 ** 30)
    .option('--backings <list>', `backings to time (${BACKINGS.join(', ')})`, choiceList('--backings', BACKINGS), [...BACKINGS])
    .option('--mean-run <pages>', '4k backing: mean physically contiguous run', positiveInt('--mean-run'), 1)
    .option('--time <ms>', 'time budget per task in ms', positiveInt('--time'), 2000)
    .option('--json', 'print rows as JSON: [{impl, pages, pagesPerSec, rme, ofFloor}]')
    .option('--quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      '\nWith a 4k backing of mean run 1 a row floor-4k-order runs the floor\'s loop over the frames in\nthat layout\'s order: the share of the floor any pinning in that layout can reach.\n\nExamples:\n  vdpa-lab bench pin\n  vdpa-lab bench pin --gib 8 --backings 4k --mean-run 1 --json',
    )
    .action(
      action((o: { gib: number; backings: Backing[]; meanRun: number; time: number; json?: boolean; quiet?: boolean }) => {
        for (const b of o.backings) {
          const problem = mmapProblem(PIN_BENCH_UADDR, BigInt(o.gib) * 2n ** 30n, b);
          if (problem) throw new InputError('--gib', `${o.gib} GiB: ${problem}`);
        }
        const progress = makeProgress(o.quiet);
        const rows = runPinBench({ regionBytes: o.gib * 2 ** 30, backings: o.backings, timeMs: o.time, meanRun: o.meanRun, onProgress: (m) => progress.update(`bench pin: ${m}`) });
        progress.done();
        process.stdout.write(o.json ? JSON.stringify(rows, null, 2) + '\n' : renderPinTable(rows));
      }),
    );

  bench
    .command('run')
    .description('the run targets: default workload, 1 TiB THP guest, 128 GiB and 512 GiB 4k guests (wall, peak RSS), 16 cells on 1 vs 2 threads')
    .option('--scenarios <list>', `which (${RUN_SCENARIOS.join(', ')})`, choiceList('--scenarios', RUN_SCENARIOS), [...RUN_SCENARIOS])
    .option('-t, --threads <n>', 'threads for the single-setting scenarios (default: cores)', positiveInt('--threads'))
    .option('--rounds <n>', 'scaling-16: rounds of 1 thread then 2; the row is the median round', positiveInt('--rounds'), defaultScalingRounds)
    .option('--json', 'print rows as JSON: [{scenario, threads, wallSeconds, maxRssMiB, target, met}]')
    .option('--quiet', 'no progress on stderr')
    .addHelpText('after', '\nEach scenario is a shipped workload (workloads/default.json, workloads/bench/*.json) run in a child process.\n\nExamples:\n  vdpa-lab bench run\n  vdpa-lab bench run --scenarios tib-thp,128g-4k --json')
    .action(
      action((o: { scenarios: RunScenario[]; threads?: number; rounds: number; json?: boolean; quiet?: boolean }) => {
        const progress = makeProgress(o.quiet);
        const rows = runRunBench(o.scenarios, o.threads ?? defaultThreads(), (m) => progress.update(`bench run: ${m}`), o.rounds);
        progress.done();
        if (o.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        else {
          const table = rows.map((r) => [r.scenario, String(r.threads), `${r.wallSeconds.toFixed(1)} s`, `${r.maxRssMiB} MiB`, r.target, r.met === null ? '' : r.met ? 'met' : 'MISSED']);
          process.stdout.write(`Measured: wall clock and peak RSS of vdpa-lab itself\n${textTable(['scenario', 'threads', 'wall', 'peak RSS', 'target', ''], table)}\n`);
        }
      }),
    );
}
