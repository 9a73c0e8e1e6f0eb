/** The gate's markdown verdict (stdout, and GITHUB_STEP_SUMMARY when set). */
import { fmtDuration, markdownTable } from '../text-format.js';
import type { GateOutcome, GateRow } from './compare.js';

export function fmtValue(r: GateRow, v: number | string | null): string {
  if (v === null) return '-';
  if (typeof v === 'string') return v;
  return r.metric.endsWith('Ns') || r.metric.startsWith('modeled.phases') || r.kind !== 'modeled' ? fmtDuration(v) : v.toLocaleString('en-US');
}

export const fmtRowChange = (r: GateRow) => (r.change === null ? '-' : `${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(2)}%`);

/** Does the outcome fail the gate? Modeled changes always; simulator regressions with --simulator gate (never across machines: those are 'slower'). */
export function gateFailed(o: GateOutcome, opts: { simulatorGates: boolean }): boolean {
  return o.modeledChanges > 0 || (opts.simulatorGates && o.simulatorRegressions > 0);
}

const count = (rows: GateRow[], ...verdicts: string[]) => rows.filter((r) => verdicts.includes(r.verdict)).length;

/** The simulator's sentence: gated or reported, or not comparable (another machine) and why. */
function simulatorLine(o: GateOutcome, simulatorGates: boolean): string {
  const sim = o.rows.filter((r) => r.kind === 'simulator');
  if (o.notGated.simulator) return `Simulator (the lab's wall clock): ${count(sim, 'slower')} slower, ${count(sim, 'faster')} faster of ${sim.length}, reported, not gated: ${o.notGated.simulator}.`;
  return `Simulator (the lab's wall clock): ${o.simulatorRegressions} regressed, ${o.simulatorImprovements} improved${simulatorGates ? '' : ' (reported only, not gated)'}.`;
}

/** Real-kernel rows are reported, never gated: they move with the host (and under TCG with its load). */
function realLine(o: GateOutcome): string {
  const real = o.rows.filter((r) => r.kind === 'real');
  if (!real.length) return '';
  if (o.notGated.real) return ` Real kernel: ${count(real, 'slower')} slower, ${count(real, 'faster')} faster of ${real.length} (reported only; ${o.notGated.real}).`;
  return ` Real kernel: ${count(real, 'regressed')} regressed, ${count(real, 'improved')} improved of ${real.length} (reported only).`;
}

/** Every row worth a line: modeled changes, and each simulator or real figure (noise included, with its rule). */
export function verdictTable(rows: GateRow[]): string {
  return markdownTable(
    ['cell', 'metric', 'kind', 'baseline', 'current', 'change', 'verdict', 'rule'],
    rows.map((r) => [r.cell, r.metric, r.kind, fmtValue(r, r.baseline), fmtValue(r, r.current), fmtRowChange(r), r.verdict, r.rule]),
  );
}

export const MODELED_CHANGE_ADVICE =
  'Modeled figures are deterministic: any change is a change in the model, the workload or the profile. If it is intended, refresh the baseline with `vdpa-lab gate --update` and say why in the commit.';

export function verdictMarkdown(o: GateOutcome, opts: { simulatorGates: boolean }): string {
  const head = gateFailed(o, opts) ? '### vdpa-lab gate: FAIL' : '### vdpa-lab gate: pass';
  const lines = [head, '', `${o.cellsCompared} cells compared. Deterministic (modeled) changes: ${o.modeledChanges}. ${simulatorLine(o, opts.simulatorGates)}${realLine(o)}`, ''];
  const shown = o.rows.filter((r) => r.verdict !== 'noise' || r.kind !== 'modeled');
  if (shown.length) lines.push(verdictTable(shown), '');
  if (o.modeledChanges > 0) lines.push(MODELED_CHANGE_ADVICE, '');
  return lines.join('\n');
}
