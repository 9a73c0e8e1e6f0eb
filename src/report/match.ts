/**
 * How cells of two runs are paired. By default by id (a hash of every
 * parameter), so only the same cell matches itself. `--match setup,guest,flow`
 * pairs cells of different workloads or profiles by the named fields alone;
 * charts and delta tables use the same key.
 */
import { InputError } from '../errors.js';
import type { CellResult } from '../runner/index.js';
import { distinctLabels } from '../runner/summary.js';
import { formatBytes, setupLabel } from '../workload/index.js';

const FIELDS = {
  setup: (c: CellResult) => setupLabel(c.params),
  parent: (c: CellResult) => c.params.parent,
  kernel: (c: CellResult) => c.params.kernel,
  // Files from before the QEMU axis ran the default release (readResults fills it in).
  qemu: (c: CellResult) => c.params.qemu,
  flow: (c: CellResult) => c.params.flow,
  guest: (c: CellResult) => `${formatBytes(c.params.guestBytes)}${c.params.dimms.length ? `+${c.params.dimms.map(formatBytes).join('+')}` : ''} ${c.params.backing}${c.params.backing === '4k' ? ` run${c.params.meanRun}` : ''}`,
  backing: (c: CellResult) => c.params.backing,
  profile: (c: CellResult) => c.params.profile,
  events: (c: CellResult) => c.params.events.join(','),
} as const;

export type MatchField = keyof typeof FIELDS;
export const MATCH_FIELDS = Object.keys(FIELDS) as MatchField[];

/** `--match setup,guest,flow` as fields; one line naming the flag and the unknown field otherwise. */
export function parseMatch(text: string): MatchField[] {
  const fields = text.split(',').map((f) => f.trim()).filter(Boolean);
  if (fields.length === 0) throw new InputError('--match', `name one or more fields (${MATCH_FIELDS.join(', ')})`);
  for (const f of fields) if (!(f in FIELDS)) throw new InputError('--match', `unknown field '${f}' (choose from ${MATCH_FIELDS.join(', ')})`);
  return fields as MatchField[];
}

/** The key a cell is paired by: its id, or the values of the match fields. */
export function matchKeyOf(c: CellResult, match: MatchField[] | null): string {
  if (!match) return c.id;
  return match.map((f) => `${f}=${FIELDS[f](c)}`).join(' ');
}

/** Keys must name one cell per run, or a pairing would be a guess: refuse, naming the key and the run. */
export function keyedCells(cells: CellResult[], match: MatchField[] | null, run: string): Map<string, CellResult> {
  const out = new Map<string, CellResult>();
  const labels = distinctLabels(cells);
  for (const c of cells) {
    const k = matchKeyOf(c, match);
    const other = out.get(k);
    if (other) throw new InputError('--match', `'${k}' names more than one cell of ${run} (${labels.get(other.id)}; ${labels.get(c.id)}): add a field that tells them apart`);
    out.set(k, c);
  }
  return out;
}
