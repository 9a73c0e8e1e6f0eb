/**
 * `vdpa-lab profile [WORKLOAD]`: profile one cell. clinic (flame) when it is
 * installed and produces a report; otherwise, with a note saying why,
 * `node --cpu-prof` (open the .cpuprofile in Chrome DevTools or speedscope),
 * plus the hottest functions by self time printed here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { claimOutputDir } from '../output-path.js';
import { textTable } from '../text-format.js';
import { distinctLabels, labelMatches } from '../runner/summary.js';
import { loadWorkload, PACKAGE_ROOT, type CellSpec } from '../workload/index.js';
import { DEFAULT_WORKLOAD } from './run-command.js';
import { action, EXIT_FAILURE, EXIT_OK } from './run-action.js';
import { readInput, STDIN_NAME } from '../json-file.js';

const TARGET = fileURLToPath(new URL('./profile-target.js', import.meta.url));

function pickCell(cells: CellSpec[], which: string | undefined): CellSpec {
  if (which === undefined) return cells[0];
  if (/^\d+$/.test(which)) {
    const c = cells[Number(which)];
    if (!c) throw new InputError('--cell', `index ${which} is out of range (the workload has ${cells.length} cells)`);
    return c;
  }
  const labels = distinctLabels(cells);
  const byId = cells.find((c) => c.id === which);
  if (byId) return byId;
  const matches = cells.filter((c) => labelMatches(labels.get(c.id)!, which));
  if (matches.length === 1) return matches[0];
  const shown = matches.slice(0, 4).map((c) => `${cells.indexOf(c)}: ${labels.get(c.id)}`).join('; ');
  throw new InputError('--cell', `'${which}' matches ${matches.length} cells${matches.length ? ` (${shown}${matches.length > 4 ? '; ...' : ''})` : ''}: give an index, an id, or whole words of one label`);
}

function findClinic(): string | null {
  const local = resolve(PACKAGE_ROOT, 'node_modules/.bin/clinic');
  if (existsSync(local)) return local;
  const r = spawnSync('clinic', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? 'clinic' : null;
}

/** Self time per function from a V8 .cpuprofile. */
export function hottest(profilePath: string, n = 12): [string, string][] {
  const p = JSON.parse(readFileSync(profilePath, 'utf8')) as { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop() ?? ''}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => [k, `${(us / 1000).toFixed(0)} ms (${((100 * us) / total).toFixed(1)}%)`]);
}

export function registerProfile(program: Command): void {
  program
    .command('profile')
    .description('profile one cell of a workload: clinic flame if it works here, else node --cpu-prof')
    .argument('[workload]', 'a workload JSON file (- reads it from stdin)', DEFAULT_WORKLOAD)
    .option('--cell <which>', 'cell index, id, or whole words of its label, e.g. "mlx5 persist 4GiB profile=mlx5-2024" (default: the first cell)')
    .option('-o, --out <dir>', 'output directory', 'reports/profiles')
    .option('--tool <tool>', 'auto | clinic | cpu-prof', 'auto')
    .option('--json', 'print the cell, the tool, the output file and the hottest functions as JSON')
    .addHelpText(
      'after',
      `
clinic is not a dependency (unmaintained since 2023; clinic doctor gives no report
on Node >= 21.7, and clinic flame exits silently on some Node 20 builds). Install it
yourself to try it; when it is missing or produces nothing, the lab says so and uses
node --cpu-prof, whose .cpuprofile opens in Chrome DevTools or speedscope.

Examples:
  vdpa-lab profile --cell 0
  vdpa-lab profile workloads/guest-size-sweep.json --cell "persist 256GiB" --tool cpu-prof
  cat workloads/migration.json | vdpa-lab profile - --cell "mlx5 persist profile=mlx5-2024" --json`,
    )
    .action(
      action((workloadPath: string, o: { cell?: string; out: string; tool: string; json?: boolean }) => {
        if (!['auto', 'clinic', 'cpu-prof'].includes(o.tool)) throw new InputError('--tool', `must be auto, clinic or cpu-prof, got '${o.tool}'`);
        const w = loadWorkload(workloadPath);
        const cell = pickCell(w.cells, o.cell);
        const out = claimOutputDir(o.out, '--out', 'profile');
        // A workload read from stdin reaches the profiled process on its stdin too (no temp file).
        const input = w.path === STDIN_NAME ? readInput(STDIN_NAME) : undefined;
        const label = distinctLabels(w.cells).get(cell.id)!;
        process.stderr.write(`profiling ${label} (${cell.id})\n`);
        if (o.tool !== 'cpu-prof') {
          const clinic = findClinic();
          if (clinic) {
            const dest = join(out, `clinic-${cell.id}`);
            const r = spawnSync(clinic, ['flame', '--dest', dest, '--', process.execPath, TARGET, w.path, cell.id], { stdio: [input ? 'pipe' : 'ignore', 'inherit', 'inherit'], input });
            const html = existsSync(dest) ? readdirSync(dest, { recursive: true }).map(String).filter((f) => f.endsWith('.html')) : [];
            if (r.status === 0 && html.length) {
              const report = join(dest, html[0]);
              process.stdout.write(o.json ? `${JSON.stringify({ cell: label, id: cell.id, tool: 'clinic', report }, null, 1)}\n` : `clinic flame: ${report}\n`);
              return EXIT_OK;
            }
            process.stderr.write(`note: clinic ran but produced no report (exit ${r.status}); falling back to node --cpu-prof\n`);
          } else {
            if (o.tool === 'clinic') throw new InputError('--tool', 'clinic is not installed (npm install -g clinic)');
            process.stderr.write('note: clinic is not installed (it is unmaintained and optional); using node --cpu-prof\n');
          }
        }
        const before = new Set(readdirSync(out));
        const r = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${out}`, `--cpu-prof-name=vdpa-lab-${cell.id}-${Date.now()}.cpuprofile`, TARGET, w.path, cell.id], { encoding: 'utf8', input });
        if (r.status !== 0) {
          process.stderr.write(r.stderr);
          return EXIT_FAILURE;
        }
        const made = readdirSync(out).filter((f) => f.endsWith('.cpuprofile') && !before.has(f)).sort((a, b) => statSync(join(out, b)).mtimeMs - statSync(join(out, a)).mtimeMs);
        const file = join(out, made[0]);
        const hot = hottest(file);
        if (o.json) process.stdout.write(`${JSON.stringify({ cell: label, id: cell.id, tool: 'cpu-prof', cpuprofile: file, hottest: hot.map(([fn, time]) => ({ function: fn, selfTime: time })) }, null, 1)}\n`);
        else process.stdout.write(`${textTable(['function (self time)', 'time'], hot)}\n\ncpu profile: ${file}\n`);
        return EXIT_OK;
      }),
    );
}
