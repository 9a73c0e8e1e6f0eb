/**
 * Two backends' answers to one script, line by line. A line agrees when
 * every compared field that both sides report is equal; a line one side
 * cannot answer (the model's `check` on a real kernel) is skipped, with the
 * reason; a line only one side answered is missing. Where the model and a
 * real kernel differ, the kernel is right: the lab fixes its model, it never
 * special-cases the comparison.
 */
import { answerFields } from '../kernel/index.js';
import type { BackendAnswer } from './model-run.js';

/** Fields whose values must match: what userspace can see on both sides (the op table names each op's own). */
export const COMPARED_FIELDS: readonly string[] = ['ret', 'errno', 'pinnedVm', 'faults', ...answerFields()];

export type Verdict = 'agree' | 'differ' | 'skipped' | 'missing';

export interface PairedLine {
  line: number;
  op: string;
  a: BackendAnswer | null;
  b: BackendAnswer | null;
  verdict: Verdict;
  /** The fields that differ (verdict differ), or why the line was skipped. */
  differs: string[];
  reason?: string;
}

export interface ScriptComparison {
  script: string;
  lines: PairedLine[];
  differences: number;
}

function same(x: unknown, y: unknown): boolean {
  return JSON.stringify(x) === JSON.stringify(y);
}

/** The compared fields both answers report and disagree on (a field one side does not report is not compared). */
export function differingFields(x: object, y: object): string[] {
  const a = x as Record<string, unknown>;
  const b = y as Record<string, unknown>;
  return COMPARED_FIELDS.filter((f) => f in a && f in b && !same(a[f], b[f]));
}

export function compareAnswers(script: string, a: BackendAnswer[], b: BackendAnswer[]): ScriptComparison {
  const byLine = new Map<number, { a: BackendAnswer | null; b: BackendAnswer | null }>();
  for (const x of a) byLine.set(x.line, { a: x, b: null });
  for (const y of b) byLine.set(y.line, { a: byLine.get(y.line)?.a ?? null, b: y });
  const lines: PairedLine[] = [];
  for (const line of [...byLine.keys()].sort((p, q) => p - q)) {
    const { a: x, b: y } = byLine.get(line)!;
    const op = (x ?? y)!.op;
    if (!x || !y) {
      lines.push({ line, op, a: x, b: y, verdict: 'missing', differs: [], reason: `${x ? 'second' : 'first'} backend gave no answer` });
      continue;
    }
    const unsupported = x.unsupported ?? y.unsupported;
    if (unsupported !== undefined) {
      lines.push({ line, op, a: x, b: y, verdict: 'skipped', differs: [], reason: unsupported });
      continue;
    }
    const differs = differingFields(x, y);
    lines.push({ line, op, a: x, b: y, verdict: differs.length ? 'differ' : 'agree', differs });
  }
  const differences = lines.filter((l) => l.verdict === 'differ' || l.verdict === 'missing').length;
  return { script, lines, differences };
}
