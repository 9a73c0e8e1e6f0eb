/**
 * Series across commits, and where they step. A series is one figure of one
 * cell: modeled figures form one series per workload (they depend only on
 * the commit), simulator figures one per machine, real figures one per
 * machine and testbed: a new CI runner starts a new line, never a step.
 *
 * Change points (documented in docs/ci.md): a point is one when it differs
 * from the median of its reference window (up to REFERENCE_WINDOW earlier
 * points of its series, since the last change point) by more than the gate's
 * threshold: for modeled figures the gate's tolerance (exact by default:
 * any change), for simulator and real figures the gate's minimum effect
 * (10% by default). A history holds one median per run, so Mann-Whitney
 * cannot be asked: the effect is the whole rule.
 */
import { median } from 'simple-statistics';
import { machineText, type Machine, type Testbed } from '../runner/index.js';
import { toleranceFor, type GateConfig } from '../gate/index.js';
import { FIGURE_KINDS, type FigureKind, type HistoryRecord } from './record.js';
import type { HistoryFile } from './store.js';

/** Earlier points of a series a new point is compared with (their median). */
export const REFERENCE_WINDOW = 5;

export interface TrendPoint {
  commit: string;
  date: string;
  value: number;
  /** Relative step against the reference median (null for the first point, or a zero reference). */
  step: number | null;
  changePoint: boolean;
}

export interface Series {
  workload: string;
  cell: string;
  label: string;
  kind: FigureKind;
  figure: string;
  /** '' for modeled figures; the machine (and testbed) the timings came from otherwise. */
  on: string;
  /** The threshold a step must exceed to be a change point (relative). */
  threshold: number;
  points: TrendPoint[];
}

function where(kind: FigureKind, r: HistoryRecord): { key: string; text: string } {
  if (kind === 'modeled') return { key: '', text: '' };
  const tb = (t: Testbed | null) => (t ? `; ${t.backend} ${t.kernel} ${t.accel}` : '');
  const m: Machine = r.machine;
  return kind === 'simulator' ? { key: r.machineKey, text: machineText(m) } : { key: `${r.machineKey}|${tb(r.testbed)}`, text: `${machineText(m)}${tb(r.testbed)}` };
}

/** The gate's metric name of a history figure, so a gate config's tolerances apply to it. */
const gateMetric = (kind: FigureKind, figure: string) => `${kind === 'real' && figure === 'resetCycleNs' ? 'real' : kind}.${figure}`;

export function thresholdOf(kind: FigureKind, figure: string, cfg: GateConfig): number {
  return kind === 'modeled' ? toleranceFor(cfg, gateMetric(kind, figure)).tolerance : cfg.minEffect;
}

/** Marks each point's step against the median of its reference window. */
function markSteps(points: Omit<TrendPoint, 'step' | 'changePoint'>[], threshold: number, kind: FigureKind): TrendPoint[] {
  const out: TrendPoint[] = [];
  let since = 0;
  points.forEach((p, i) => {
    const window = points.slice(Math.max(since, i - REFERENCE_WINDOW), i).map((x) => x.value);
    if (window.length === 0) {
      out.push({ ...p, step: null, changePoint: false });
      return;
    }
    const ref = median(window);
    const step = ref === 0 ? null : (p.value - ref) / ref;
    // A modeled figure leaving zero (or any step of an exact figure) is a change; a timing needs a known step.
    const changePoint = step === null ? kind === 'modeled' && p.value !== ref : kind === 'modeled' ? Math.abs(step) > threshold : Math.abs(step) >= threshold;
    if (changePoint) since = i;
    out.push({ ...p, step, changePoint });
  });
  return out;
}

/**
 * Every series of the history's files. Runs are ordered by date (then as
 * added); a commit added twice for one series keeps its last line.
 */
export function buildSeries(files: HistoryFile[], cfg: GateConfig): Series[] {
  const out: Series[] = [];
  for (const f of files) {
    const runs = f.records.map((r, i) => ({ r, i })).sort((a, b) => a.r.date.localeCompare(b.r.date) || a.i - b.i);
    const series = new Map<string, Series & { byCommit: Map<string, Omit<TrendPoint, 'step' | 'changePoint'>> }>();
    for (const { r } of runs) {
      for (const kind of FIGURE_KINDS) {
        const w = where(kind, r);
        for (const [cell, figs] of Object.entries(r[kind])) {
          for (const [figure, value] of Object.entries(figs)) {
            const key = `${cell}\0${kind}\0${figure}\0${w.key}`;
            let s = series.get(key);
            if (!s) series.set(key, (s = { workload: f.name, cell, label: r.labels[cell] ?? cell, kind, figure, on: w.text, threshold: thresholdOf(kind, figure, cfg), points: [], byCommit: new Map() }));
            s.byCommit.delete(r.commit);
            s.byCommit.set(r.commit, { commit: r.commit, date: r.date, value });
            s.label = r.labels[cell] ?? s.label;
          }
        }
      }
    }
    for (const { byCommit, ...s } of series.values()) {
      const pts = [...byCommit.values()].sort((a, b) => a.date.localeCompare(b.date));
      out.push({ ...s, points: markSteps(pts, s.threshold, s.kind) });
    }
  }
  const kindRank = (k: FigureKind) => FIGURE_KINDS.indexOf(k);
  return out.sort((a, b) => a.workload.localeCompare(b.workload) || a.label.localeCompare(b.label) || kindRank(a.kind) - kindRank(b.kind) || a.figure.localeCompare(b.figure) || a.on.localeCompare(b.on));
}
