/**
 * The results file, `results.json` (schema `vdpa-lab/results@1`), and the
 * schema of one cell, which the journal (cell-journal.ts) checks each line
 * against too. Reading validates the schema, so a corrupt or truncated file
 * is a clear error rather than a wrong chart.
 */
import { z } from 'zod';
import { InputError } from '../errors.js';
import { readJsonFile } from '../json-file.js';
import { zodIssues } from '../cost/index.js';
import type { CellResult } from './cell-result.js';
import type { Provenance } from './provenance.js';

export const RESULTS_SCHEMA = 'vdpa-lab/results@1';

export interface ResultsFile {
  schema: typeof RESULTS_SCHEMA;
  provenance: Provenance;
  cells: CellResult[];
}

const phases = z.object({ unmap: z.number(), reset: z.number(), map: z.number(), pin: z.number(), mrBuild: z.number(), vqRestart: z.number() });
export const cellSchema = z.looseObject({
  id: z.string().regex(/^[0-9a-f]{12}$/),
  label: z.string(),
  params: z.looseObject({ flow: z.string(), parent: z.string(), kernel: z.string(), guestBytes: z.number(), backing: z.string(), events: z.array(z.string()), profile: z.string() }),
  status: z.enum(['ok', 'incorrect', 'n/a', 'failed']),
  reason: z.string().nullable(),
  counters: z.record(z.string(), z.number()),
  modeled: z
    .looseObject({
      totalNs: z.number(),
      phases,
      resets: z.number(),
      perResetNs: z.number().nullable(),
      perResetPhases: phases.nullable(),
      perResetBlackoutNs: z.number().nullable(),
      perResetPagesPinned: z.number().nullable(),
      events: z.array(z.looseObject({ name: z.string(), totalNs: z.number() })),
    })
    .nullable(),
  measured: z
    .looseObject({
      wallNs: z.looseObject({ median: z.number(), p99: z.number(), rme: z.number(), samples: z.array(z.number()) }).nullable(),
      runWallNs: z.number(),
    })
    .nullable(),
  invariants: z.looseObject({ ok: z.boolean(), violations: z.array(z.string()) }).nullable(),
  profileHash: z.string(),
});
const resultsSchema = z.object({
  schema: z.string(),
  provenance: z.looseObject({
    labVersion: z.string(),
    workload: z.looseObject({ name: z.string(), hash: z.string() }),
    profiles: z.record(z.string(), z.string()),
  }),
  cells: z.array(cellSchema),
});

/** Reads and validates a results.json; every problem names the file. */
export function readResults(path: string): ResultsFile {
  const raw = readJsonFile(path, 'results file').value;
  const schema = (raw as { schema?: unknown } | null)?.schema;
  if (schema !== RESULTS_SCHEMA) throw new InputError(`${path}: schema`, `expected "${RESULTS_SCHEMA}", found ${JSON.stringify(schema)}`);
  const r = resultsSchema.safeParse(raw);
  if (!r.success) {
    const [first, ...rest] = zodIssues('', r.error).map((l) => l.replace(/^\./, ''));
    throw new InputError(path, `${first}${rest.length ? ` (and ${rest.length} more)` : ''}`);
  }
  if (r.data.cells.length === 0) throw new InputError(`${path}: cells`, 'the file holds no cells');
  return r.data as unknown as ResultsFile;
}
