/**
 * `vdpa-lab calibrate`: fit prices and write a profile, from published
 * observations (a calibration file) or from real-kernel runs (`--from`), and
 * check a profile against real runs (`--check`).
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../atomic-file.js';
import { loadProfile, profileSchema } from '../cost/index.js';
import { parseJson } from '../json-file.js';
import { InputError } from '../errors.js';
import { checkOutputFile } from '../output-path.js';
import { calibrate } from '../runner/index.js';
import { calibrateFromReal, checkAgainstReal, runsClock, type PredictionRow } from '../runner/calibrate-real.js';
import { boundProblems, ProfileMissesBound, recipeClock, refitProfile } from '../runner/calibrate-refit.js';
import { fmtDuration, textTable } from '../text-format.js';
import { resolveProfilePath } from '../workload/index.js';
// A --profile/--base path is the user's, relative to the working directory (a bare name is workloads/profiles/NAME.json).
import { action } from './run-action.js';

interface Options {
  out?: string;
  json?: boolean;
  from?: string[];
  fit: string;
  base: string;
  name: string;
  check?: string[];
  profile?: string;
  refit?: string;
  force?: boolean;
  byPhase?: boolean;
}

/** A cost profile (what calibrate writes, and what a user may replace with a fit). */
function isProfileText(text: string): boolean {
  return profileSchema.safeParse(parseJson(text)).success;
}

/** Real runs' default free prices: what a reset's time on a real kernel scales with. */
const DEFAULT_REAL_FIT = 'pagesPinned,pagesUnpinned,resets,iotlbInserts';

const signedPct = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`;

/** A probe phase's real time and the model's error on it ("-" where the real kernel spent no time there). */
function phaseCell(r: PredictionRow, k: 'map' | 'unmap'): string {
  const real = r.phases.real[k];
  return real > 0 ? `${fmtDuration(real)} ${signedPct(((r.phases.modeled[k] - real) / real) * 100)}` : '-';
}

function predictionText(rows: PredictionRow[]): string {
  const worst = Math.max(...rows.map((r) => Math.abs(r.errorPct)));
  return (
    `${textTable(['cell (per reset)', 'real', 'modeled', 'error', 'map: real, error', 'unmap: real, error'], rows.map((r) => [r.label, fmtDuration(r.realNs), fmtDuration(r.modeledNs), signedPct(r.errorPct), phaseCell(r, 'map'), phaseCell(r, 'unmap')]))}\n` +
    `worst: ${worst.toFixed(1)}% over ${rows.length} cells\n`
  );
}

export function registerCalibrate(program: Command): void {
  program
    .command('calibrate')
    .description('fit per-counter prices from observed (setup, seconds) pairs or real-kernel runs and write a cost profile')
    .argument('[observations]', 'a calibration JSON file (see workloads/calibration/)')
    .option('--from <results...>', 'fit to real-kernel figures: results.json files of `run --backend vm:KERNEL|device:PATH`')
    .option('--fit <counters>', 'with --from: the prices to fit (comma-separated counters)', DEFAULT_REAL_FIT)
    .option('--base <profile>', 'with --from: the profile whose other prices are held', 'default')
    .option('--name <name>', 'with --from: the fitted profile\'s name', 'calibrated')
    .option('--by-phase', "with --from: one observation per phase the probe times (map, unmap, reset, other) of each event, not one per event: prices that always come together in a reset but land in different phases (an UPDATE's write and an INVALIDATE's) come apart")
    .option('--check <results...>', 'price these real runs\' cells with the fitted profile (or --profile) and show how far each lands from the real kernel, per reset')
    .option('--profile <profile>', 'with --check alone: the profile to check')
    .option('--refit <profile>', "make a profile fitted to real runs again from its own recipe (its fittedTo: steps, check runs, bound) with today's model; exit 1 past its bound")
    .option('-o, --out <file>', 'write the fitted profile here (atomically); default: print it')
    .option('--force', 'replace an existing --out file that is not a cost profile')
    .option('--json', 'print the fit (and the check) as JSON')
    .addHelpText(
      'after',
      `
From observations: the lab runs each observation's setup, takes the counters of the
observed steps, holds every price of the base profile except those named in "fit",
and solves (least squares) for the free prices; the fitted prices carry the
observation as their source.
From real runs (--from): every cell whose real answers agreed with the model gives one
observation per event (boot, each reset, close): its model counters against the real
kernel's time; each fitted price names the files, kernel, accelerator, CPU and date.

Examples:
  vdpa-lab calibrate workloads/calibration/qemu-39g.json
  vdpa-lab calibrate --from reports/real/vdpa-sim-1g2g/results.json --out my-profile.json --check reports/real/vdpa-sim-4g8g/results.json
  vdpa-lab calibrate --check reports/real/vdpa-sim-4g8g/results.json --profile workloads/profiles/vdpa-sim-tcg-6.12.json
  vdpa-lab calibrate --refit vdpa-sim-tcg-6.12 --out refitted.json`,
    )
    .action(
      action((path: string | undefined, o: Options) => {
        if (o.out) o.out = checkOutputFile(o.out, '--out', { what: 'cost profile', isOurs: isProfileText, force: o.force });
        if (o.refit) {
          if (path || o.from || o.check) throw new InputError('--refit', 'takes the runs from the profile\'s own recipe: drop the observations file, --from and --check');
          const profilePath = resolveProfilePath(o.refit, 'workloads/x.json');
          const r = refitProfile(loadProfile(profilePath).profile, profilePath);
          const text = `${JSON.stringify(r.profile, null, 2)}\n`;
          if (o.out) writeFileAtomic(o.out, text);
          if (o.json) process.stdout.write(`${JSON.stringify({ check: r.check, worstPct: r.worstPct, boundPct: r.boundPct }, null, 2)}\n`);
          else {
            const stated = r.profile.fittedTo?.misses ?? [];
            process.stderr.write(`Checked against real runs:\n${predictionText(r.check)}bound: ${r.boundPct}%, ${r.misses.length ? `missed by ${r.misses.length} reset(s)` : 'met by every reset'}\n`);
            for (const m of stated) process.stderr.write(`stated miss: ${m.cell} (${m.errorPct}%): ${m.why}\n`);
            if (o.out) process.stderr.write(`profile written: ${o.out}\n`);
            else process.stdout.write(text);
          }
          const problems = boundProblems(r, r.profile.fittedTo?.misses);
          if (problems.length) throw new ProfileMissesBound(`${o.refit}: ${problems.join('; ')}`);
          return;
        }
        if (path && o.from) throw new InputError('--from', 'fits to real runs; drop the observations file, or drop --from');
        if (o.byPhase && !o.from) throw new InputError('--by-phase', 'splits the observations of real runs: it needs --from RESULTS.json');
        if (!path && !o.from && !o.check) throw new InputError('<observations>', 'name a calibration file, or --from RESULTS.json, or --check RESULTS.json --profile P');
        if (!path && !o.from) {
          if (!o.profile) throw new InputError('--profile', 'names the profile --check prices the cells with');
          const profile = loadProfile(resolveProfilePath(o.profile, join(process.cwd(), 'cli'))).profile;
          // A profile fitted to one clock's runs is checked against that clock's runs only.
          runsClock(o.check!, process.cwd(), profile.fittedTo ? recipeClock(profile.fittedTo) : undefined);
          const rows = checkAgainstReal(profile, o.check!);
          process.stdout.write(o.json ? `${JSON.stringify(rows, null, 2)}\n` : predictionText(rows));
          return;
        }
        if (o.from) runsClock([...o.from, ...(o.check ?? [])]);
        const r = path
          ? (() => {
              const c = calibrate(path);
              return { profile: c.profile, fit: c.fit };
            })()
          : calibrateFromReal(loadProfile(resolveProfilePath(o.base, join(process.cwd(), 'cli'))).profile, o.from!, o.fit.split(',').map((s) => s.trim()), o.name, process.cwd(), o.byPhase);
        const text = `${JSON.stringify(r.profile, null, 2)}\n`;
        if (o.out) writeFileAtomic(o.out, text);
        const check = o.check ? checkAgainstReal(r.profile, o.check) : null;
        if (o.json) {
          process.stdout.write(`${JSON.stringify({ prices: r.fit.prices, rmsResidualSeconds: r.fit.rmsResidualSeconds, rows: r.fit.rows, ...(check ? { check } : {}) }, null, 2)}\n`);
          return;
        }
        const fitted = Object.entries(r.fit.prices).map(([k, ns]) => [k, `${ns.toFixed(3)} ns`]);
        process.stderr.write(`${textTable(['price', 'fitted'], fitted)}\n\n`);
        process.stderr.write(`${textTable(['observation', 'observed', 'modeled'], r.fit.rows.map((x) => [x.label, `${x.observedSeconds.toPrecision(4)} s`, `${x.modeledSeconds.toPrecision(4)} s`]))}\n`);
        if (check) process.stderr.write(`\nChecked against real runs:\n${predictionText(check)}`);
        if (!o.out) process.stdout.write(text);
        else process.stderr.write(`profile written: ${o.out}\n`);
      }),
    );
}
