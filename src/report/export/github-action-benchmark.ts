/**
 * github-action-benchmark's `customSmallerIsBetter` tool: a JSON array of
 * { name, unit, value, extra }. One entry per cell with a modeled cost per
 * reset (deterministic, so its chart moves only when the model, workload or
 * profile does); cells without one (n/a, failed, incorrect) are left out.
 */
import type { Exporter } from './types.js';

export const githubActionBenchmark: Exporter = {
  format: 'github-action-benchmark',
  serialize(cells) {
    const entries = cells
      .filter(({ cell: c }) => c.status === 'ok' && c.modeled?.perResetNs != null)
      .map(({ name, cell: c }) => ({
        name: `${name}: modeled cost per reset`,
        unit: 'ms',
        value: c.modeled!.perResetNs! / 1e6,
        extra: `modeled (counters x cost-profile prices); cell ${c.id}; profile ${c.params.profile}`,
      }));
    return `${JSON.stringify(entries, null, 1)}\n`;
  },
};
