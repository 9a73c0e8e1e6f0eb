/** The stream check as text: what was compared, the named expected differences, the unexplained ones, and the side-by-side. */
import type { StreamCheck, StreamRow } from './stream-check.js';

const MiB = 2 ** 20;

function bytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / MiB).toFixed(2)} MiB`;
}

function runs(events: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < events.length; ) {
    let j = i;
    while (j < events.length && events[j] === events[i]) j++;
    out.push(j - i > 1 ? `${events[i]} x${j - i}` : events[i]);
    i = j;
  }
  return out.join(', ');
}

const MARK = { same: ' ', expected: '~', unexplained: '!' } as const;

function table(rows: readonly { row: StreamRow; index: number }[], devices: number): string[] {
  const w = Math.max(24, ...rows.map((r) => (r.row.model ?? '').length));
  const v = Math.max(24, ...rows.map((r) => (r.row.real ?? '').length));
  const lines = [`   ${'#'.padStart(5)}  ${devices > 1 ? 'fd ' : ''}${'model'.padEnd(w)} | ${'real'.padEnd(v)}  ${'line'.padStart(5)}  notes`];
  for (const { row, index } of rows) {
    const fd = devices > 1 ? `${String(row.device).padEnd(2)} ` : '';
    lines.push(`${MARK[row.verdict]}  ${String(index + 1).padStart(5)}  ${fd}${(row.model ?? '-').padEnd(w)} | ${(row.real ?? '-').padEnd(v)}  ${String(row.realLine ?? '').padStart(5)}  ${row.notes.join('; ')}`);
  }
  return lines;
}

/**
 * The check as the CLI prints it. With `firstDifferences`, only that many
 * differing rows (unexplained first) with the summary; else every row.
 */
export function formatStreamCheck(check: StreamCheck, opts: { firstDifferences?: number } = {}): string {
  const g = check.guest;
  const counts = { same: 0, expected: 0, unexplained: 0 };
  for (const r of check.rows) counts[r.verdict]++;
  const out = [
    `Stream check: the model's QEMU ${check.release}${check.qemu !== check.release ? ` (${check.qemu})` : ''} beside a ${check.traceFormat} trace`,
    `Guest from the trace: ${g.sections} RAM section(s), ${bytes(g.mappedBytes)} mapped; ${g.devices} fd(s), ${g.queuePairs} queue pair(s) + CVQ${g.cvqIsolated ? ' (in ASID 1)' : ''}; ${g.starts} start(s), ${g.stops} stop(s); shadow virtqueues ${g.svq.every((x) => x) && g.svq.length ? 'at every start' : g.svq.some((x) => x) ? `at starts ${g.svq.flatMap((x, i) => (x ? [i + 1] : [])).join(', ')}` : 'off'}`,
    `The model ran: ${runs(g.events)}`,
    `Rows: ${check.rows.length} (${counts.same} same, ${counts.expected} with an expected difference, ${counts.unexplained} unexplained)`,
    'Expected differences:',
    ...check.expected.map((e) => `  ${e.name} (${e.count}): ${e.reason}`),
    check.unexplained.length ? `Unexplained differences: ${check.unexplained.length}` : 'Unexplained differences: none',
    ...check.unexplained.filter((u) => u.row === null).map((u) => `  ${u.what}`),
  ];
  const indexed = check.rows.map((row, index) => ({ row, index }));
  if (opts.firstDifferences !== undefined) {
    const diffs = [...indexed.filter((r) => r.row.verdict === 'unexplained'), ...indexed.filter((r) => r.row.verdict === 'expected')].slice(0, opts.firstDifferences);
    if (diffs.length) out.push('', `First differences (! unexplained, ~ expected; every row: --out FILE):`, ...table(diffs.sort((a, b) => a.index - b.index), g.devices));
  } else out.push('', 'Side by side (! unexplained, ~ expected):', ...table(indexed, g.devices));
  return out.join('\n');
}
