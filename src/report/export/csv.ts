/** CSV: one row per run and cell, modeled and simulator figures in separate, unit-named columns (RFC 4180 quoting). */
import type { Exporter } from './types.js';

const HEADER = ['run', 'cell', 'id', 'status', 'flow', 'parent', 'kernel', 'qemu', 'guest_bytes', 'profile', 'modeled_per_reset_ns', 'modeled_total_ns', 'modeled_blackout_per_reset_ns', 'modeled_pages_pinned_per_reset', 'simulator_wall_median_ns', 'simulator_wall_samples'];

const quote = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export const csv: Exporter = {
  format: 'csv',
  serialize(cells) {
    const lines = cells.map(({ run, name, cell: c }) =>
      [run, name, c.id, c.status, c.params.flow, c.params.parent, c.params.kernel, c.params.qemu, c.params.guestBytes, c.params.profile, c.modeled?.perResetNs, c.modeled?.totalNs, c.modeled?.perResetBlackoutNs, c.modeled?.perResetPagesPinned, c.simulator?.wallNs?.median, c.simulator?.wallNs?.samples.length ?? 0].map(quote).join(','),
    );
    return `${[HEADER.join(','), ...lines].join('\r\n')}\r\n`;
  },
  isOurs: (text) => text.startsWith(`${HEADER.join(',')}\r\n`),
};
