/**
 * The table a vDPA engineer reads first: per setup (everything but the flow),
 * what one reset costs under the workaround and under persist, and the ratio.
 * All figures here are MODELED.
 */
import { fmtDuration, fmtRatio, markdownTable, textTable } from '../text-format.js';
import { formatBytes, setupLabel } from '../workload/index.js';
import type { CellResult } from './cell-result.js';

export interface SummaryRow {
  setup: string;
  kernel: string;
  guest: string;
  workaroundNs: number | null;
  persistNs: number | null;
  /** workaround / persist, per reset. */
  ratio: number | null;
  /** What the naive flow did: ok (parent keeps maps), incorrect (view lost), or '-'. */
  naive: string;
  workaroundPagesPinned: number | null;
  notes: string[];
}

function setupKey(c: CellResult): string {
  const { flow: _flow, ...rest } = c.params;
  return JSON.stringify(rest);
}

function cellCell(c: CellResult | undefined): { ns: number | null; note?: string } {
  if (!c) return { ns: null };
  if (c.status === 'n/a') return { ns: null, note: `persist n/a: ${c.reason}` };
  if (c.status === 'failed') return { ns: null, note: `${c.params.flow} failed: ${c.reason}` };
  return { ns: c.modeled?.perResetNs ?? null };
}

export function summaryRows(cells: CellResult[]): SummaryRow[] {
  const groups = new Map<string, CellResult[]>();
  for (const c of cells) {
    const k = setupKey(c);
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  return [...groups.values()].map((g) => {
    const p = g[0].params;
    const by = (f: string) => g.find((c) => c.params.flow === f);
    const w = cellCell(by('workaround'));
    const s = cellCell(by('persist'));
    const naive = by('naive');
    return {
      setup: setupLabel(p),
      kernel: p.kernel,
      guest: `${formatBytes(p.guestBytes)}${p.dimms.length ? `+${p.dimms.length} DIMM` : ''} ${p.backing}${p.backing === '4k' ? ` run${p.meanRun}` : ''}`,
      workaroundNs: w.ns,
      persistNs: s.ns,
      ratio: w.ns !== null && s.ns ? w.ns / s.ns : null,
      naive: naive ? naive.status : '-',
      workaroundPagesPinned: by('workaround')?.modeled?.perResetPagesPinned ?? null,
      notes: [w.note, s.note].filter((x): x is string => !!x),
    };
  });
}

export const SUMMARY_HEADER = ['setup', 'kernel', 'guest', 'workaround/reset', 'persist/reset', 'ratio', 'naive', 'pages re-pinned/reset'];

/** One summary row as printed cells (text, markdown and HTML tables all use it). */
export function summaryCells(r: SummaryRow): string[] {
  return [
    r.setup,
    r.kernel,
    r.guest,
    fmtDuration(r.workaroundNs),
    r.persistNs === null && r.notes.some((n) => n.startsWith('persist n/a')) ? 'n/a' : fmtDuration(r.persistNs),
    fmtRatio(r.ratio),
    r.naive,
    r.workaroundPagesPinned === null ? '-' : r.workaroundPagesPinned.toLocaleString('en-US'),
  ];
}

export function summaryText(rows: SummaryRow[]): string {
  return `Modeled cost of one device reset (virtual time from the cost profile):\n${textTable(SUMMARY_HEADER, rows.map(summaryCells))}`;
}

export function summaryMarkdown(rows: SummaryRow[]): string {
  return markdownTable(SUMMARY_HEADER, rows.map(summaryCells));
}
