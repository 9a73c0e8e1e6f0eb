/** summary.md: what a PR comment needs, in GitHub-flavoured markdown. */
import { summaryRows } from '../runner/index.js';
import { summaryMarkdown } from '../runner/summary.js';
import { fmtDuration, markdownTable } from '../text-format.js';
import { fmtChange, pairingLine, type Deltas } from './deltas.js';
import type { LabelledResults } from './rows.js';
import { EVENT_HEADER, eventTable, type EventRow } from './events.js';
import { REAL_HEADER, realRows, realSavings, realTable, SAVINGS_HEADER } from './real.js';

export const DELTA_HEADER = (ref: string) => ['cell', 'run', ref, 'this run', 'change', 'change %'];

export function summaryMd(runs: LabelledResults[], chartNames: string[], deltas: Deltas | null, events: EventRow[]): string {
  const out: string[] = ['# vdpa-lab report', ''];
  for (const r of runs) {
    const p = r.file.provenance;
    out.push(`## ${r.run}`, '', `Workload \`${p.workload.name}\` (sha256 ${p.workload.hash.slice(0, 12)}), lab ${p.labVersion}${p.gitCommit ? ` @ ${p.gitCommit.slice(0, 12)}` : ''}, Node ${p.node}, ${p.cpus} x ${p.cpu}.`, '');
    out.push('Modeled cost of one device reset, and what persist saves per reset and per VM lifetime (virtual time from the cost profile):', '', summaryMarkdown(summaryRows(r.file.cells)), '');
    const ev = eventTable(events, r.run);
    if (ev.length) out.push('Modeled cost per event (one occurrence; mean when it repeats):', '', markdownTable(EVENT_HEADER, ev), '');
    const real = realRows([r]);
    if (real.length) {
      out.push(`Modeled beside REAL: the same cells on a real kernel (\`run --backend\`), time in its syscalls per reset (${[...new Set(real.map((x) => x.where).filter((w) => w))].join('; ')}):`, '', markdownTable(REAL_HEADER, realTable(real, r.run)), '');
      const saved = realSavings(real, r.run);
      if (saved.length) out.push('What PERSIST saves per reset, as the real kernel measured it and as modeled:', '', markdownTable(SAVINGS_HEADER, saved), '');
    }
    const bad = r.file.cells.filter((c) => c.status === 'incorrect' || c.status === 'failed');
    if (bad.length) out.push(...bad.map((c) => `- **${c.status}**: ${c.label}: ${c.reason}`), '');
  }
  if (deltas) {
    const ref = runs[0].run;
    out.push(`## Changes against ${ref} (modeled cost per reset)`, '', ...deltas.pairings.map((p) => `${pairingLine(p, ref)}.`), '');
    const changed = deltas.rows.filter((r) => r.referenceNs !== r.otherNs);
    const paired = deltas.rows.length;
    if (changed.length) out.push(markdownTable(DELTA_HEADER(ref), changed.map(deltaCells)), '');
    else if (paired) out.push(`No modeled figure changed in the ${paired} paired cell(s).`, '');
    if (deltas.unmatched.length) out.push('Cells without a counterpart:', '', ...deltas.unmatched.map((u) => `- ${u}`), '');
  }
  out.push(`Charts: ${chartNames.map((n) => `\`${n}.svg\``).join(', ')}. Modeled figures are deterministic; simulator figures are the lab's own wall clock; real figures are a real kernel's.`, '');
  return out.join('\n');
}

export function deltaCells(r: Deltas['rows'][number]): string[] {
  return [r.cell, r.run, fmtDuration(r.referenceNs), fmtDuration(r.otherNs), r.deltaNs === null ? '-' : `${r.deltaNs > 0 ? '+' : ''}${fmtDuration(r.deltaNs)}`, fmtChange(r.change)];
}
