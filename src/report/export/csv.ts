/**
 * CSV: one row per run and cell, modeled and simulator figures in separate,
 * unit-named columns. csv-stringify writes it (RFC 4180: CRLF records, a
 * field with a comma, quote or line break quoted, quotes doubled); a missing
 * figure is an empty field.
 */
import { lazyRequire } from '../../lazy-require.js';
import type { Exporter } from './types.js';

/** csv-stringify loads on the first export, not when the package is imported. */
const csvStringify = lazyRequire<typeof import('csv-stringify/sync')>('csv-stringify/sync');

const HEADER = ['run', 'cell', 'id', 'status', 'flow', 'parent', 'kernel', 'qemu', 'guest_bytes', 'profile', 'modeled_per_reset_ns', 'modeled_total_ns', 'modeled_blackout_per_reset_ns', 'modeled_pages_pinned_per_reset', 'simulator_wall_median_ns', 'simulator_wall_samples'];

export const csv: Exporter = {
  format: 'csv',
  serialize(cells) {
    const records = cells.map(({ run, name, cell: c }) => [run, name, c.id, c.status, c.params.flow, c.params.parent, c.params.kernel, c.params.qemu, c.params.guestBytes, c.params.profile, c.modeled?.perResetNs, c.modeled?.totalNs, c.modeled?.perResetBlackoutNs, c.modeled?.perResetPagesPinned, c.simulator?.wallNs?.median, c.simulator?.wallNs?.samples.length ?? 0]);
    // csv-stringify quotes a field holding the whole record delimiter (CRLF), not a lone CR or LF: both need quotes too.
    return csvStringify().stringify(records, { header: true, columns: HEADER, record_delimiter: 'windows', quoted_match: /[\r\n]/ });
  },
  isOurs: (text) => text.startsWith(`${HEADER.join(',')}\r\n`),
};
