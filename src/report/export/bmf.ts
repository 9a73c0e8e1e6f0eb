/**
 * Bencher Metric Format: { benchmark: { measure: { value, lower_value?,
 * upper_value? } } }. Modeled measures are exact (no bounds); the simulator
 * wall time carries its sample minimum and maximum as bounds.
 */
import type { Exporter } from './types.js';

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
};
