/**
 * The results file, `results.json` (schema `vdpa-lab/results@3`), and the
 * schema of one cell, which the journal (cell-journal.ts) checks each line
 * against too. Reading validates the schema, so a corrupt or truncated file
 * is a clear error rather than a wrong chart.
 */
import { lazySchema, z } from '../lazy-zod.js';
import { InputError } from '../errors.js';
import { readJsonFile } from '../json-file.js';
import { zodIssues } from '../cost/index.js';
import { DEFAULT_QEMU } from '../vmm/index.js';
import type { CellResult } from './cell-result.js';
import type { Provenance } from './provenance.js';
import { realProvenanceSchema, realResultSchema } from './real-result.js';

/**
 * results@3 (Dec 2026) validates a cell's `real` figures (and the
 * provenance's `real`) as it reads them; @2 wrote them in the same shape but
 * unchecked. @2 files are read as @3: a malformed `real` in one is an error.
 */
export const RESULTS_SCHEMA = 'vdpa-lab/results@3';
export const RESULTS_SCHEMA_V2 = 'vdpa-lab/results@2';

/**
 * results@1 (before Dec 2026) called the simulator's wall clock `measured`,
 * a name a kernel engineer reads as "measured on my kernel"; @2 calls it
 * `simulator`, beside `modeled` and `real`. @1 files are read, upgraded.
 */
export const RESULTS_SCHEMA_V1 = 'vdpa-lab/results@1';

/** Every older schema the lab still reads (upgraded as it reads them), oldest first. */
export const OLDER_RESULTS_SCHEMAS: readonly string[] = [RESULTS_SCHEMA_V1, RESULTS_SCHEMA_V2];

/**
 * A cell as an older lab wrote it (results@1 or its journal), as today's. In
 * @1, the real backend always populated guest RAM at mmap and the model had
 * no page faults: a real cell is marked prealloc, so recomputing its counters
 * (calibrate --from) prices what ran. Anything else is returned as is (an @2
 * cell is an @3 cell).
 */
export function upgradeCell(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw) || !('measured' in raw) || 'simulator' in raw) return raw;
  const { measured, ...rest } = raw as Record<string, unknown>;
  const params = rest.params;
  const ranReal = rest.real && params && typeof params === 'object' && !Array.isArray(params);
  return { ...rest, ...(ranReal ? { params: { ...params, prealloc: true } } : {}), simulator: measured };
}

/** A results file of any schema the lab reads, as today's (its cells by upgradeCell). */
export function upgradeResults(raw: unknown): unknown {
  const r = raw as { schema?: unknown; cells?: unknown } | null;
  if (!r || !OLDER_RESULTS_SCHEMAS.includes(r.schema as string) || !Array.isArray(r.cells)) return raw;
  return { ...r, schema: RESULTS_SCHEMA, cells: r.schema === RESULTS_SCHEMA_V1 ? r.cells.map(upgradeCell) : r.cells };
}

export interface ResultsFile {
  schema: typeof RESULTS_SCHEMA;
  provenance: Provenance;
  cells: CellResult[];
}

/**
 * Every figure is a count or a duration: finite (zod 4's number already
 * refuses Infinity, which JSON spells 1e999) and never negative. A negative
 * cost would read as an improvement to the gate, so it is refused here, at
 * the one door every results file and journal line comes through.
 */
const figure = lazySchema(() => z.number().nonnegative());
const phases = lazySchema(() => z.object({ unmap: figure, reset: figure, map: figure, pin: figure, mrBuild: figure, vqRestart: figure }));
export const cellSchema = lazySchema(() =>
  z.looseObject({
    id: z.string().regex(/^[0-9a-f]{12}$/),
    label: z.string(),
    // Every CellParams field the report and the gate read (labels, the summary's columns): a file lacking one crashed them.
    params: z.looseObject({
      flow: z.string(),
      parent: z.string(),
      variant: z.string().nullable(),
      kernel: z.string(),
      // Absent in files from before the QEMU axis: those cells ran the default release.
      qemu: z.string().optional(),
      useVa: z.boolean(),
      devices: z.number().int().positive(),
      queuePairs: z.number().int().positive(),
      nas: z.number().int().positive(),
      guestBytes: z.number().positive(),
      backing: z.string(),
      meanRun: z.number().positive(),
      dimms: z.array(z.number().positive()),
      seed: z.number(),
      events: z.array(z.string()),
      memlockBytes: figure.nullable(),
      iotlbLimit: figure.nullable(),
      profile: z.string(),
      dmaReaders: z.number().int().nonnegative().optional(),
      pinShards: z.number().int().positive().optional(),
      prealloc: z.literal(true).optional(),
    }),
    status: z.enum(['ok', 'incorrect', 'n/a', 'failed']),
    reason: z.string().nullable(),
    counters: z.record(z.string(), figure),
    modeled: z
      .looseObject({
        totalNs: figure,
        phases,
        resets: figure,
        perResetNs: figure.nullable(),
        perResetPhases: phases.nullable(),
        perResetBlackoutNs: figure.nullable(),
        perResetPagesPinned: figure.nullable(),
        events: z.array(z.looseObject({ name: z.string(), totalNs: figure, blackoutNs: figure.optional(), pagesPinned: figure.optional() })),
      })
      .nullable(),
    simulator: z
      .looseObject({
        // Not timed is null; a statistic of no samples is a broken file (the gate would compare nothing and call it noise).
        wallNs: z.looseObject({ median: figure, mean: figure.optional(), p99: figure, min: figure.optional(), max: figure.optional(), rme: figure, samples: z.array(figure).min(1, 'a simulator figure needs at least one sample (not timed is wallNs: null)') }).nullable(),
        runWallNs: figure,
      })
      .nullable(),
    invariants: z.looseObject({ ok: z.boolean(), violations: z.array(z.string()), views: z.record(z.string(), z.string()).optional() }).nullable(),
    profileHash: z.string(),
    real: realResultSchema.optional(),
  }),
);
const resultsSchema = lazySchema(() =>
  z.object({
    schema: z.string(),
    provenance: z.looseObject({
      labVersion: z.string(),
      workload: z.looseObject({ name: z.string(), path: z.string().optional(), hash: z.string() }),
      profiles: z.record(z.string(), z.string()),
      real: realProvenanceSchema.optional(),
      // Printed by report (html.ts, markdown.ts), never computed with: any value is shown as written.
      gitCommit: z.string().nullable().optional(),
      node: z.string().optional(),
      platform: z.string().optional(),
      cpu: z.string().optional(),
      cpus: z.number().optional(),
      hostKernel: z.string().optional(),
      seed: z.number().optional(),
      threads: z.number().optional(),
      startedAt: z.string().optional(),
      finishedAt: z.string().nullable().optional(),
    }),
    cells: z.array(cellSchema),
  }),
);

/** Reads and validates a results.json (results@1 and @2 upgraded as they are read); every problem names the file. */
export function readResults(path: string): ResultsFile {
  const raw = upgradeResults(readJsonFile(path, 'results file').value);
  const schema = (raw as { schema?: unknown } | null)?.schema;
  if (schema !== RESULTS_SCHEMA) throw new InputError(`${path}: schema`, `expected "${RESULTS_SCHEMA}" (or ${OLDER_RESULTS_SCHEMAS.map((v) => `"${v}"`).join(' or ')}, read as it), found ${JSON.stringify(schema)}`);
  const r = resultsSchema.safeParse(raw);
  if (!r.success) {
    const [first, ...rest] = zodIssues('', r.error).map((l) => l.replace(/^\./, ''));
    throw new InputError(path, `${first}${rest.length ? ` (and ${rest.length} more)` : ''}`);
  }
  if (r.data.cells.length === 0) throw new InputError(`${path}: cells`, 'the file holds no cells');
  const seen = new Map<string, number>();
  r.data.cells.forEach((c, i) => {
    const first = seen.get(c.id);
    // Cells are matched by id (report pairing, the gate): a second cell of one id would silently shadow the first.
    if (first !== undefined) throw new InputError(`${path}: cells[${i}].id`, `duplicates cells[${first}] (${c.id}): each cell appears once`);
    seen.set(c.id, i);
  });
  // A file from before the QEMU axis: its cells ran the default release.
  for (const c of r.data.cells) c.params.qemu ??= DEFAULT_QEMU;
  // Checked field by field above; the schema leaves optional what the lab always writes but older or
  // hand-made files may lack (provenance host facts, an event's phases), which readers only print.
  return r.data as ResultsFile;
}
