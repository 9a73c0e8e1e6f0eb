/**
 * Baseline vs current. Deterministic figures (status, counters, modeled ns)
 * must match exactly unless the config tolerates a change; simulator figures
 * change only when Mann-Whitney says so (p < alpha) AND the median moved by
 * at least minEffect. Each verdict says which rule fired.
 */
import { InputError } from '../errors.js';
import { PHASES } from '../cost/index.js';
import { makeCell } from '../workload/index.js';
import { notGated, type CellResult, type NotGated, type ResultsFile } from '../runner/index.js';
import { distinctLabels } from '../runner/summary.js';
import { toleranceFor, type GateConfig } from './config.js';
import { mannWhitney } from './mann-whitney.js';
import { median } from 'simple-statistics';

/**
 * slower / faster: a simulator or real figure that moved (by the same rule as
 * regressed / improved) between two machines or testbeds: reported, never gated.
 */
export type Verdict = 'regressed' | 'improved' | 'noise' | 'slower' | 'faster';

export interface GateRow {
  cell: string;
  metric: string;
  /** modeled: exact; simulator (the lab's own wall clock) and real (a real kernel's time): statistical. */
  kind: 'modeled' | 'simulator' | 'real';
  baseline: number | string | null;
  current: number | string | null;
  change: number | null;
  verdict: Verdict;
  rule: string;
}

export interface GateOutcome {
  rows: GateRow[];
  cellsCompared: number;
  /** Deterministic changes beyond tolerance (regressed or improved): any fails the gate. */
  modeledChanges: number;
  simulatorRegressions: number;
  simulatorImprovements: number;
  /** Why simulator and real figures are reported but not gated: the machine or the real testbed changed (null: same). */
  notGated: NotGated;
}

const STATUS_RANK: Record<string, number> = { ok: 0, 'n/a': 0, incorrect: 1, failed: 2 };

function deterministic(c: CellResult): Record<string, number | null> {
  const m = c.modeled;
  const out: Record<string, number | null> = {
    'modeled.totalNs': m?.totalNs ?? null,
    'modeled.perResetNs': m?.perResetNs ?? null,
    'modeled.perResetBlackoutNs': m?.perResetBlackoutNs ?? null,
    'modeled.perResetPagesPinned': m?.perResetPagesPinned ?? null,
  };
  for (const p of PHASES) out[`modeled.phases.${p}`] = m?.phases[p] ?? null;
  for (const [k, v] of Object.entries(c.counters)) out[`counters.${k}`] = v;
  return out;
}

/** Why two results files cannot be compared cell by cell, or null when they can. */
export function incomparable(baseline: ResultsFile, current: ResultsFile, paths: { baseline: string; current: string }): InputError | null {
  try {
    checkComparable(baseline, current, paths);
    return null;
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
}

/**
 * A cell's id is the hash of its params (workload/cell.ts): a cell whose
 * params were edited but whose id was kept would be gated against another
 * cell's figures. Refused, naming the cell, as a corrupt file is.
 */
export function checkCellIds(file: ResultsFile, path: string): void {
  file.cells.forEach((c, i) => {
    const id = makeCell(c.params).id;
    if (id !== c.id) throw new InputError(`${path}: cells[${i}].id`, `is ${c.id}, but its params give ${id}: the params were edited or the file is corrupt (re-run the workload)`);
  });
}

export function checkComparable(baseline: ResultsFile, current: ResultsFile, paths: { baseline: string; current: string }): void {
  const b = baseline.provenance;
  const c = current.provenance;
  if (b.workload.hash !== c.workload.hash) {
    throw new InputError(paths.current, `was run from another workload than the baseline (${c.workload.name} sha256 ${c.workload.hash.slice(0, 12)} vs ${b.workload.name} sha256 ${b.workload.hash.slice(0, 12)}): compare like with like, or rebase deliberately with --update (it replaces the baseline with the current results)`);
  }
  const names = new Set([...Object.keys(b.profiles), ...Object.keys(c.profiles)]);
  for (const n of names) {
    if (b.profiles[n] !== c.profiles[n]) throw new InputError(paths.current, `cost profile "${n}" differs from the baseline's (sha256 ${c.profiles[n]?.slice(0, 12) ?? 'none'} vs ${b.profiles[n]?.slice(0, 12) ?? 'none'}): modeled figures would not be comparable; rebase deliberately with --update (it replaces the baseline with the current results)`);
  }
  // Cells on one side only are listed, both ways: an extra current cell would otherwise go ungated without a word.
  const onlyIn = (a: ResultsFile, b: ResultsFile) => {
    const ids = new Set(b.cells.map((x) => x.id));
    const labels = distinctLabels(a.cells);
    return a.cells.filter((x) => !ids.has(x.id)).map((x) => labels.get(x.id)!);
  };
  const listed = (labels: string[]) => `${labels.slice(0, CELLS_LISTED).join(', ')}${labels.length > CELLS_LISTED ? ` and ${labels.length - CELLS_LISTED} more` : ''}`;
  const missing = onlyIn(baseline, current);
  const extra = onlyIn(current, baseline);
  const sides = [
    ...(missing.length ? [`${missing.length} only in the baseline: ${listed(missing)}`] : []),
    ...(extra.length ? [`${extra.length} only in the current file: ${listed(extra)}`] : []),
  ];
  if (sides.length) throw new InputError(`${paths.current}: cells`, `differ from the baseline's: ${sides.join('; ')} (gate runs of the same cells, e.g. without --filter, or rebase deliberately with --update)`);
  checkCellIds(baseline, paths.baseline);
  checkCellIds(current, paths.current);
}

/** How many cells of each side a refusal names before "and N more". */
const CELLS_LISTED = 5;

/** A figure the results schema would refuse (runner/results-file.ts): a file built in memory can still carry one. */
function checkFigures(file: ResultsFile, side: string): void {
  for (const c of file.cells) {
    for (const [metric, v] of Object.entries(deterministic(c))) {
      if (v !== null && !(Number.isFinite(v) && v >= 0)) throw new InputError(`${side}: ${c.label}: ${metric}`, `${v} is not a cost (negative or non-finite): the gate would read it as an improvement`);
    }
  }
}

export function compareResults(baseline: ResultsFile, current: ResultsFile, cfg: GateConfig): GateOutcome {
  checkFigures(baseline, 'baseline');
  checkFigures(current, 'current');
  const rows: GateRow[] = [];
  const why = notGated(baseline.provenance, current.provenance);
  const cur = new Map(current.cells.map((c) => [c.id, c]));
  const labels = distinctLabels(baseline.cells);
  for (const base of baseline.cells) {
    const b = { ...base, label: labels.get(base.id)! };
    const c = cur.get(b.id)!;
    if (b.status !== c.status) {
      const worse = STATUS_RANK[c.status] > STATUS_RANK[b.status] || (b.status === 'ok' && c.status === 'n/a');
      rows.push({ cell: b.label, metric: 'status', kind: 'modeled', baseline: b.status, current: c.status, change: null, verdict: worse ? 'regressed' : 'improved', rule: 'status changed (exact)' });
    }
    const bd = deterministic(b);
    const cd = deterministic(c);
    for (const metric of new Set([...Object.keys(bd), ...Object.keys(cd)])) {
      const x = bd[metric] ?? null;
      const y = cd[metric] ?? null;
      if (x === y) continue;
      const change = x !== null && y !== null && x !== 0 ? (y - x) / x : null;
      const tol = toleranceFor(cfg, metric);
      if (change !== null && Math.abs(change) <= tol.tolerance) continue;
      const rule = tol.pattern ? `beyond tolerance ${(tol.tolerance * 100).toFixed(2)}% (${tol.pattern})` : 'exact (deterministic)';
      const higher = (y ?? 0) > (x ?? 0);
      // Every figure here is a cost: higher is worse.
      rows.push({ cell: b.label, metric, kind: 'modeled', baseline: x, current: y, change, verdict: higher ? 'regressed' : 'improved', rule });
    }
    const bs = b.simulator?.wallNs?.samples ?? [];
    const cs = c.simulator?.wallNs?.samples ?? [];
    if (bs.length && cs.length) rows.push(statisticalRow(b.label, bs, cs, cfg, 'simulator', why.simulator));
    // A real kernel's reset cycles (run --backend) compare like the simulator's wall clock: never exactly.
    const rb = realSamples(b);
    const rc = realSamples(c);
    if (rb.length && rc.length) rows.push(statisticalRow(b.label, rb, rc, cfg, 'real', why.real));
  }
  const modeledChanges = rows.filter((r) => r.kind === 'modeled').length;
  return {
    rows,
    cellsCompared: baseline.cells.length,
    modeledChanges,
    simulatorRegressions: rows.filter((r) => r.kind === 'simulator' && r.verdict === 'regressed').length,
    simulatorImprovements: rows.filter((r) => r.kind === 'simulator' && r.verdict === 'improved').length,
    notGated: why,
  };
}

function realSamples(c: CellResult): number[] {
  return c.real?.status === 'agree' ? (c.real.resetCycleNs?.samples ?? []) : [];
}

/**
 * A simulator or real figure, by Mann-Whitney and the minimum effect. When
 * `unlike` says why the two sides ran on different machines (or testbeds),
 * a move is slower / faster, never regressed / improved, and the rule says why.
 */
function statisticalRow(cell: string, b: number[], c: number[], cfg: GateConfig, kind: 'simulator' | 'real', unlike: string | null): GateRow {
  const mb = median(b);
  const mc = median(c);
  const change = mb ? (mc - mb) / mb : null;
  const mw = mannWhitney(b, c);
  const p = `p=${mw.p.toPrecision(2)} (${mw.method}, n=${b.length}+${c.length})`;
  const effect = `median ${change === null ? '-' : `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)}%`}`;
  let verdict: Verdict = 'noise';
  let rule: string;
  if (mw.p >= cfg.alpha) rule = `noise: Mann-Whitney ${p} >= ${cfg.alpha}`;
  else if (change === null || Math.abs(change) < cfg.minEffect) rule = `noise: ${effect} is below the ${(cfg.minEffect * 100).toFixed(0)}% minimum effect (${p})`;
  else {
    verdict = change > 0 ? (unlike ? 'slower' : 'regressed') : unlike ? 'faster' : 'improved';
    rule = `Mann-Whitney ${p} < ${cfg.alpha} and ${effect} >= ${(cfg.minEffect * 100).toFixed(0)}%`;
  }
  if (unlike) rule = `not gated (${unlike}): ${rule}`;
  const metric = kind === 'real' ? 'real.resetCycleNs (real kernel)' : 'simulator.wallNs (reset cycle)';
  return { cell, metric, kind, baseline: mb, current: mc, change, verdict, rule };
}
