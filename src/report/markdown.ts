/** summary.md: what a PR comment needs, in GitHub-flavoured markdown. */
import { summaryMarkdown, summaryRows } from '../runner/index.js';
import { fmtDuration, markdownTable } from '../text-format.js';
import { deltaRows, fmtChange } from './deltas.js';
import type { LabelledResults } from './rows.js';

export function summaryMd(runs: LabelledResults[], chartNames: string[]): string {
  const out: string[] = ['# vdpa-lab report', ''];
  for (const r of runs) {
    const p = r.file.provenance;
    out.push(`## ${r.run}`, '', `Workload \`${p.workload.name}\` (sha256 ${p.workload.hash.slice(0, 12)}), lab ${p.labVersion}${p.gitCommit ? ` @ ${p.gitCommit.slice(0, 12)}` : ''}, Node ${p.node}, ${p.cpus} x ${p.cpu}.`, '');
    out.push('Modeled cost of one device reset (virtual time from the cost profile):', '', summaryMarkdown(summaryRows(r.file.cells)), '');
    const bad = r.file.cells.filter((c) => c.status === 'incorrect' || c.status === 'failed');
    if (bad.length) out.push(...bad.map((c) => `- **${c.status}**: ${c.label}: ${c.reason}`), '');
  }
  if (runs.length > 1) {
    const { rows, unmatched } = deltaRows(runs);
    out.push(`## Changes against ${runs[0].run} (modeled cost per reset)`, '');
    const changed = rows.filter((r) => r.referenceNs !== r.otherNs);
    out.push(changed.length ? markdownTable(['cell', 'run', runs[0].run, 'this run', 'change'], changed.map((r) => [r.cell, r.run, fmtDuration(r.referenceNs), fmtDuration(r.otherNs), fmtChange(r.change)])) : 'No modeled figure changed.', '');
    if (unmatched.length) out.push('Cells without a counterpart:', '', ...unmatched.map((u) => `- ${u}`), '');
  }
  out.push(`Charts: ${chartNames.map((n) => `\`${n}.svg\``).join(', ')}. Modeled figures are deterministic; measured figures are the simulator's own wall clock.`, '');
  return out.join('\n');
}
