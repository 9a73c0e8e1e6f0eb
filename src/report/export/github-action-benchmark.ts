/**
 * github-action-benchmark's `customSmallerIsBetter` tool: a JSON array of
 * { name, unit, value, extra }. One entry per cell with a modeled cost per
 * reset (deterministic, so its chart moves only when the model, workload or
 * profile does); cells without one (n/a, failed, incorrect) are left out.
 */
import { parseJson } from '../../json-file.js';
import type { Exporter } from './types.js';

const EXTRA = 'modeled (counters x cost-profile prices)';

export const githubActionBenchmark: Exporter = {
  format: 'github-action-benchmark',
  serialize(cells) {
    const entries = cells
      .filter(({ cell: c }) => c.status === 'ok' && c.modeled?.perResetNs != null)
      .map(({ name, cell: c }) => ({
        name: `${name}: modeled cost per reset`,
        unit: 'ms',
        value: c.modeled!.perResetNs! / 1e6,
        extra: `${EXTRA}; cell ${c.id}; profile ${c.params.profile}`,
      }));
    return `${JSON.stringify(entries, null, 1)}\n`;
  },
  // Every entry carries the lab's own `extra`.
  isOurs(text) {
    const v = parseJson(text);
    return Array.isArray(v) && v.every((e) => typeof (e as { extra?: unknown } | null)?.extra === 'string' && (e as { extra: string }).extra.startsWith(EXTRA));
  },
};
