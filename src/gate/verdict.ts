/** The gate's markdown verdict (stdout, and GITHUB_STEP_SUMMARY when set). */
import { fmtDuration, markdownTable } from '../text-format.js';
import type { GateOutcome, GateRow } from './compare.js';

function fmtValue(r: GateRow, v: number | string | null): string {
  if (v === null) return '-';
  if (typeof v === 'string') return v;
  return r.metric.endsWith('Ns') || r.metric.startsWith('modeled.phases') || r.kind !== 'modeled' ? fmtDuration(v) : v.toLocaleString('en-US');
}

/** Real-kernel rows are reported, never gated: they move with the host (and under TCG with its load). */
function realLine(o: GateOutcome): string {
  const real = o.rows.filter((r) => r.kind === 'real');
  if (!real.length) return '';
  const n = (v: string) => real.filter((r) => r.verdict === v).length;
  return ` Real kernel: ${n('regressed')} regressed, ${n('improved')} improved of ${real.length} (reported only).`;
}

export function verdictMarkdown(o: GateOutcome, opts: { simulatorGates: boolean }): string {
  const failed = o.modeledChanges > 0 || (opts.simulatorGates && o.simulatorRegressions > 0);
  const head = failed ? '### vdpa-lab gate: FAIL' : '### vdpa-lab gate: pass';
  const lines = [
    head,
    '',
    `${o.cellsCompared} cells compared. Deterministic (modeled) changes: ${o.modeledChanges}. Simulator (the lab's wall clock): ${o.simulatorRegressions} regressed, ${o.simulatorImprovements} improved${opts.simulatorGates ? '' : ' (reported only, not gated)'}.${realLine(o)}`,
    '',
  ];
  const shown = o.rows.filter((r) => r.verdict !== 'noise' || r.kind !== 'modeled');
  if (shown.length) {
    lines.push(
      markdownTable(
        ['cell', 'metric', 'kind', 'baseline', 'current', 'change', 'verdict', 'rule'],
        shown.map((r) => [r.cell, r.metric, r.kind, fmtValue(r, r.baseline), fmtValue(r, r.current), r.change === null ? '-' : `${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(2)}%`, r.verdict, r.rule]),
      ),
      '',
    );
  }
  if (o.modeledChanges > 0) lines.push('Modeled figures are deterministic: any change is a change in the model, the workload or the profile. If it is intended, refresh the baseline with `vdpa-lab gate --update` and say why in the commit.', '');
  return lines.join('\n');
}
