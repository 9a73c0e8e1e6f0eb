/** `exec --compare`: both answers of every line side by side, with a verdict, as text. */
import type { ScriptComparison } from '../real/compare.js';
import type { BackendAnswer } from '../real/model-run.js';
import type { BackendRun } from '../real/run-scripts.js';

/** Left-aligned columns: ops and verdicts read as words, not numbers. */
function leftTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function cell(a: BackendAnswer | null): string {
  if (!a) return '(no answer)';
  const pinned = a.pinnedVm === undefined ? '' : ` pin ${a.pinnedVm}`;
  const faults = a.faults ? ` flt ${a.faults}` : '';
  return `${a.ret} ${a.errno ?? 'ok'}${pinned}${faults}`;
}

/** The kernel a backend was, in one line: which kernel, under what. */
export function describeRun(run: BackendRun): string {
  return `${run.backend}: ${run.kernel}${run.accel ? `, ${run.accel.toUpperCase()}` : ''}${run.clock ? ` (${run.clock} clock)` : ''}`;
}

export function formatComparison(a: BackendRun, b: BackendRun, results: ScriptComparison[]): string {
  const out: string[] = [`comparing ${describeRun(a)}  with  ${describeRun(b)}`];
  for (const c of results) {
    const count = (v: string) => c.lines.filter((l) => l.verdict === v).length;
    out.push('', `${c.script}: ${c.lines.length} lines, ${count('agree')} agree, ${count('differ')} differ, ${count('missing')} missing, ${count('skipped')} skipped`);
    const rows = c.lines.map((l) => [
      String(l.line),
      l.op,
      cell(l.a),
      cell(l.b),
      l.verdict === 'differ' ? `DIFFER (${l.differs.join(', ')})` : l.verdict === 'agree' ? 'agree' : `${l.verdict}: ${l.reason ?? ''}`,
    ]);
    out.push(leftTable(['line', 'op', a.backend, b.backend, 'verdict'], rows));
  }
  const total = results.reduce((s, c) => s + c.differences, 0);
  out.push('', total === 0 ? 'verdict: the two backends agree on every line both can answer' : `verdict: ${total} line(s) differ`);
  return out.join('\n') + '\n';
}
