/**
 * `gate --comment FILE`: the verdict as a pull-request comment, answer first.
 * Line 1 is the verdict in one sentence; then what changed and by how much;
 * then every compared figure, folded in <details>. The last line is a marker
 * (an HTML comment, invisible when rendered) by which a workflow finds the
 * comment it posted before and updates it instead of adding another.
 */
import { machineOf, machineText, type Provenance } from '../runner/index.js';
import type { GateOutcome, GateRow } from './compare.js';
import { fmtRowChange, fmtValue, gateFailed, MODELED_CHANGE_ADVICE, verdictTable } from './verdict.js';

/** The marker a workflow searches comments for (docs/ci.md). Stable: changing it orphans every posted comment. */
export const COMMENT_MARKER = '<!-- vdpa-lab-gate -->';

/** Is `text` a comment gate --comment wrote? (An existing --comment file is replaced only then, or with --force.) */
export function isGateComment(text: string): boolean {
  return text.startsWith('**vdpa-lab gate: ') && text.trimEnd().endsWith(COMMENT_MARKER);
}

/** Changes listed before the fold; the rest are in the table below it. */
const CHANGES_LISTED = 15;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "2 simulator timings slower (not gated: machine changed)", or null when nothing of that kind moved. */
function kindPhrase(rows: GateRow[], kind: 'simulator' | 'real', why: string | null, gated: boolean): string | null {
  const of = rows.filter((r) => r.kind === kind);
  const up = of.filter((r) => r.verdict === 'regressed' || r.verdict === 'slower').length;
  const down = of.filter((r) => r.verdict === 'improved' || r.verdict === 'faster').length;
  if (!up && !down) return null;
  const moves = up && down ? `moved (${up} slower, ${down} faster)` : up ? 'slower' : 'faster';
  const note = why ? `not gated: ${why.split(':')[0]}` : gated ? 'gated' : 'reported only';
  return `${plural(up + down, `${kind} timing`)} ${moves} (${note})`;
}

/** Line 1: the verdict, the modeled count, and what moved among the timings. */
export function commentHeadline(o: GateOutcome, opts: { simulatorGates: boolean }): string {
  const parts = [
    plural(o.modeledChanges, 'modeled change'),
    kindPhrase(o.rows, 'simulator', o.notGated.simulator, opts.simulatorGates),
    kindPhrase(o.rows, 'real', o.notGated.real, false),
  ].filter((x) => x !== null);
  if (parts.length === 1) parts.push(`no timing moved beyond noise in ${plural(o.cellsCompared, 'cell')}`);
  return `**vdpa-lab gate: ${gateFailed(o, opts) ? 'FAIL' : 'pass'}** — ${parts.join(', ')}`;
}

const changeLine = (r: GateRow) => `- \`${r.cell}\` ${r.metric} (${r.kind}): ${fmtValue(r, r.baseline)} → ${fmtValue(r, r.current)} (${fmtRowChange(r)}), ${r.verdict}`;

type Side = Pick<Provenance, 'gitCommit'> & Partial<Pick<Provenance, 'cpu' | 'cpus' | 'platform' | 'hostKernel' | 'node'>>;

export function commentMarkdown(o: GateOutcome, opts: { simulatorGates: boolean; baseline: Side; current: Side }): string {
  const lines = [commentHeadline(o, opts), ''];
  const moved = o.rows.filter((r) => r.verdict !== 'noise');
  if (moved.length) {
    lines.push('What changed:', '', ...moved.slice(0, CHANGES_LISTED).map(changeLine));
    if (moved.length > CHANGES_LISTED) lines.push(`- and ${moved.length - CHANGES_LISTED} more (table below)`);
    lines.push('');
  } else lines.push(`Nothing changed: ${plural(o.cellsCompared, 'cell')} compared, every modeled figure exact and every timing within noise.`, '');
  for (const why of new Set([o.notGated.simulator, o.notGated.real])) {
    if (why) lines.push(`${why[0].toUpperCase()}${why.slice(1)}: ${why === o.notGated.simulator ? 'simulator' : 'real'} timings reported, not gated.`, '');
  }
  if (o.modeledChanges > 0) lines.push(MODELED_CHANGE_ADVICE, '');
  const commit = (s: Side) => (s.gitCommit ? `\`${s.gitCommit.slice(0, 12)}\`` : 'unknown commit');
  lines.push(`Baseline ${commit(opts.baseline)} on ${machineText(machineOf(opts.baseline))}; current ${commit(opts.current)} on ${machineText(machineOf(opts.current))}.`, '');
  const compared = o.rows.filter((r) => r.verdict !== 'noise' || r.kind !== 'modeled');
  if (compared.length) lines.push('<details><summary>Every compared figure (' + plural(compared.length, 'row') + ')</summary>', '', verdictTable(compared), '', '</details>', '');
  lines.push(COMMENT_MARKER, '');
  return lines.join('\n');
}
