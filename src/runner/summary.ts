/**
 * The table a vDPA engineer reads first: per setup (everything but the flow),
 * what one reset costs under the workaround and under persist, and the ratio.
 * All figures here are MODELED.
 *
 * Cells are told apart by every parameter that varies in the workload: a
 * cell's own label ("mlx5 reset-map qemu-10.0 workaround 64GiB thp x2") leaves out the
 * cost profile, queue pairs, events and the like, so two cells of a workload
 * that sweeps the profile would share it. `distinctLabels` appends those
 * parameters (as `name=value` tokens) wherever they vary, and the summary
 * table gets a column for each.
 */
import { fmtDuration, fmtRatio, markdownTable, textTable } from '../text-format.js';
import { formatBytes, setupLabel, type CellParams } from '../workload/index.js';
import { DEFAULT_QEMU } from '../vmm/index.js';
import type { CellResult } from './cell-result.js';

/** A parameter that a cell's label leaves out, and how a label or table shows it. */
interface ExtraParam {
  name: string;
  show: (p: CellParams) => string;
}

/** Repeated events as "guest-reset*3", so the token stays short and has no spaces. */
function eventsToken(events: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < events.length; ) {
    let j = i;
    while (j < events.length && events[j] === events[i]) j++;
    out.push(j - i > 1 ? `${events[i]}*${j - i}` : events[i]);
    i = j;
  }
  return out.join(',');
}

const EXTRA_PARAMS: ExtraParam[] = [
  { name: 'profile', show: (p) => p.profile },
  { name: 'events', show: (p) => eventsToken(p.events) },
  { name: 'addr', show: (p) => (p.useVa ? 'va' : 'pa') },
  { name: 'qp', show: (p) => String(p.queuePairs) },
  { name: 'nas', show: (p) => String(p.nas) },
  { name: 'run', show: (p) => String(p.meanRun) },
  { name: 'dimms', show: (p) => (p.dimms.length ? p.dimms.map(formatBytes).join(',') : 'none') },
  { name: 'seed', show: (p) => String(p.seed) },
  { name: 'memlock', show: (p) => (p.memlockBytes === null ? 'unlimited' : formatBytes(p.memlockBytes)) },
  { name: 'iotlb-limit', show: (p) => (p.iotlbLimit === null ? 'none' : String(p.iotlbLimit)) },
  { name: 'readers', show: (p) => String(p.dmaReaders ?? 0) },
  { name: 'shards', show: (p) => String(p.pinShards ?? 1) },
];

/** The parameters a label leaves out that take more than one value among these cells. */
export function varyingParams(cells: readonly { params: CellParams }[]): ExtraParam[] {
  return EXTRA_PARAMS.filter((x) => new Set(cells.map((c) => x.show(c.params))).size > 1);
}

/** Each cell's label plus `name=value` for every parameter that varies among `cells`; keyed by cell id. */
export function distinctLabels(cells: readonly { id: string; label: string; params: CellParams }[]): Map<string, string> {
  const extras = varyingParams(cells);
  return new Map(cells.map((c) => [c.id, [c.label, ...extras.map((x) => `${x.name}=${x.show(c.params)}`)].join(' ')]));
}

/**
 * Does a label hold every word of `filter` as a whole token? A label token
 * also matches by its '/'-separated parts ("vdpa_sim" matches
 * "vdpa_sim/dma_map"), never by a substring: "4GiB" does not match "64GiB".
 */
export function labelMatches(label: string, filter: string): boolean {
  const tokens = new Set(label.toLowerCase().split(/\s+/).flatMap((t) => [t, ...t.split('/')]));
  return filter.toLowerCase().split(/\s+/).filter(Boolean).every((w) => tokens.has(w));
}

export interface SummaryRow {
  setup: string;
  kernel: string;
  guest: string;
  /** Values of the parameters that vary in these cells beyond setup, kernel and guest, in `extraNames` order. */
  extras: string[];
  extraNames: string[];
  workaroundNs: number | null;
  persistNs: number | null;
  /** workaround / persist, per reset. */
  ratio: number | null;
  /** workaround - persist, per reset: what persist saves each time the guest resets. */
  savedNs: number | null;
  /** workaround - persist over the cell's whole event list (boot to close): what one VM lifetime saves. */
  savedLifetimeNs: number | null;
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
  // useVa is in the setup column already ("(va)").
  const extras = varyingParams(cells).filter((x) => x.name !== 'addr');
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
    const total = (f: string) => (cellCell(by(f)).ns === null ? null : by(f)?.modeled?.totalNs ?? null);
    const wt = total('workaround');
    const pt = total('persist');
    return {
      setup: setupLabel(p),
      // The kernel and the QEMU release together: both decide the message stream.
      kernel: `${p.kernel} qemu-${p.qemu ?? DEFAULT_QEMU}`,
      guest: `${formatBytes(p.guestBytes)}${p.dimms.length ? `+${p.dimms.length} DIMM` : ''} ${p.backing}${p.backing === '4k' ? ` run${p.meanRun}` : ''}${p.prealloc ? ' prealloc' : ''}`,
      extras: extras.map((x) => x.show(p)),
      extraNames: extras.map((x) => x.name),
      workaroundNs: w.ns,
      persistNs: s.ns,
      ratio: w.ns !== null && s.ns ? w.ns / s.ns : null,
      savedNs: w.ns !== null && s.ns !== null ? w.ns - s.ns : null,
      savedLifetimeNs: wt !== null && pt !== null ? wt - pt : null,
      naive: naive ? naive.status : '-',
      workaroundPagesPinned: by('workaround')?.modeled?.perResetPagesPinned ?? null,
      notes: [w.note, s.note].filter((x): x is string => !!x),
    };
  });
}

/** The columns every summary has; `summaryHeader` inserts the varying parameters after guest. */
export const SUMMARY_HEADER = ['setup', 'kernel, QEMU', 'guest', 'workaround/reset', 'persist/reset', 'saved/reset', 'ratio', 'saved/VM lifetime', 'naive', 'pages re-pinned/reset'];

export function summaryHeader(rows: SummaryRow[]): string[] {
  return [...SUMMARY_HEADER.slice(0, 3), ...(rows[0]?.extraNames ?? []), ...SUMMARY_HEADER.slice(3)];
}

/** One summary row as printed cells, in `summaryHeader` order (text, markdown and HTML tables all use it). */
export function summaryCells(r: SummaryRow): string[] {
  const persistNa = r.persistNs === null && r.notes.some((n) => n.startsWith('persist n/a'));
  return [
    r.setup,
    r.kernel,
    r.guest,
    ...r.extras,
    fmtDuration(r.workaroundNs),
    persistNa ? 'n/a' : fmtDuration(r.persistNs),
    persistNa ? 'n/a' : fmtDuration(r.savedNs),
    persistNa ? 'n/a' : fmtRatio(r.ratio),
    persistNa ? 'n/a' : fmtDuration(r.savedLifetimeNs),
    r.naive,
    r.workaroundPagesPinned === null ? '-' : r.workaroundPagesPinned.toLocaleString('en-US'),
  ];
}

export function summaryText(rows: SummaryRow[]): string {
  return `Modeled cost of one device reset, and what persist saves per reset and per VM lifetime (boot to close) (virtual time from the cost profile):\n${textTable(summaryHeader(rows), rows.map(summaryCells))}`;
}

export function summaryMarkdown(rows: SummaryRow[]): string {
  return markdownTable(summaryHeader(rows), rows.map(summaryCells));
}
