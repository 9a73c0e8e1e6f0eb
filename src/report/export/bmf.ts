/**
 * Bencher Metric Format: { benchmark: { measure: { value, lower_value?,
 * upper_value? } } }. Modeled measures are exact (no bounds); the simulator
 * wall time carries its sample minimum and maximum as bounds.
 */
import { parseJson } from '../../json-file.js';
import type { Exporter } from './types.js';

const MEASURES = ['modeled-per-reset-ns', 'modeled-total-ns', 'modeled-blackout-per-reset-ns', 'modeled-pages-pinned-per-reset', 'simulator-wall-ns'];

type Metric = { value: number; lower_value?: number; upper_value?: number };

export const bmf: Exporter = {
  format: 'bmf',
  serialize(cells) {
    const out: Record<string, Record<string, Metric>> = {};
    for (const { name, cell: c } of cells) {
      if (c.status !== 'ok') continue;
      const m: Record<string, Metric> = {};
      if (c.modeled?.perResetNs != null) m['modeled-per-reset-ns'] = { value: c.modeled.perResetNs };
      if (c.modeled) m['modeled-total-ns'] = { value: c.modeled.totalNs };
      if (c.modeled?.perResetBlackoutNs != null) m['modeled-blackout-per-reset-ns'] = { value: c.modeled.perResetBlackoutNs };
      if (c.modeled?.perResetPagesPinned != null) m['modeled-pages-pinned-per-reset'] = { value: c.modeled.perResetPagesPinned };
      const w = c.simulator?.wallNs;
      if (w && w.samples.length) m['simulator-wall-ns'] = { value: w.median, lower_value: Math.min(...w.samples), upper_value: Math.max(...w.samples) };
      if (Object.keys(m).length) out[name] = m;
    }
    return `${JSON.stringify(out, null, 1)}\n`;
  },
  // Every benchmark holds only the measures above.
  isOurs(text) {
    const v = parseJson(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
    return Object.values(v).every((m) => typeof m === 'object' && m !== null && Object.keys(m).length > 0 && Object.keys(m).every((k) => MEASURES.includes(k)));
  },
};
