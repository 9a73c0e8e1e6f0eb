/**
 * One run in a history: a JSON line holding the run's figures, keyed by the
 * commit it ran, its date, the machine it ran on and the workload's hash.
 * Modeled, simulator and real figures sit in three separate maps (cell id ->
 * figure -> value) and are never mixed: modeled figures depend only on the
 * commit, simulator figures on the machine too, real ones on the testbed.
 */
import { lazySchema, z } from '../lazy-zod.js';
import { InputError } from '../errors.js';
import { parseJson } from '../json-file.js';
import { zodIssues } from '../cost/index.js';
import { machineKey, machineOf, testbedOf, type Machine, type ResultsFile, type Testbed } from '../runner/index.js';
import { distinctLabels } from '../runner/summary.js';

export const HISTORY_SCHEMA = 'vdpa-lab/history@1';

export type FigureKind = 'modeled' | 'simulator' | 'real';
export const FIGURE_KINDS: readonly FigureKind[] = ['modeled', 'simulator', 'real'];

/** cell id -> figure name -> value. */
export type Figures = Record<string, Record<string, number>>;

export interface HistoryRecord {
  schema: typeof HISTORY_SCHEMA;
  commit: string;
  /** ISO 8601, UTC. */
  date: string;
  workload: { name: string; hash: string };
  /** Profile name -> sha256: a modeled figure moves when its profile does. */
  profiles: Record<string, string>;
  machine: Machine;
  machineKey: string;
  testbed: Testbed | null;
  /** cell id -> the label report and gate print. */
  labels: Record<string, string>;
  modeled: Figures;
  simulator: Figures;
  real: Figures;
}

// Built on first use (lazy-zod.ts): `import 'vdpa-lab'` loads no zod.
const figures = lazySchema(() => z.record(z.string(), z.record(z.string(), z.number().nonnegative())));
const recordSchema = lazySchema(() =>
  z.object({
  schema: z.literal(HISTORY_SCHEMA),
  commit: z.string().min(1),
  date: z.iso.datetime({ offset: true }),
  workload: z.object({ name: z.string(), hash: z.string().min(12) }),
  profiles: z.record(z.string(), z.string()),
  machine: z.object({ cpu: z.string().nullable(), cpus: z.number().nullable(), platform: z.string().nullable(), hostKernel: z.string().nullable(), node: z.string().nullable() }),
  machineKey: z.string(),
  testbed: z.object({ backend: z.string(), kernel: z.string(), accel: z.string(), clock: z.string().optional() }).nullable(),
  labels: z.record(z.string(), z.string()),
  modeled: figures,
  simulator: figures,
  real: figures,
  }) satisfies z.ZodType<HistoryRecord>,
);

/** The figures of one kind a cell contributes, or null when it has none (not ok, not timed, no real run). */
function cellFigures(c: ResultsFile['cells'][number]): Record<FigureKind, Record<string, number> | null> {
  const m = c.status === 'ok' ? c.modeled : null;
  const modeled = m ? Object.fromEntries(Object.entries({ perResetNs: m.perResetNs, totalNs: m.totalNs, perResetBlackoutNs: m.perResetBlackoutNs, perResetPagesPinned: m.perResetPagesPinned }).filter((e): e is [string, number] => e[1] !== null)) : null;
  const wall = c.simulator?.wallNs?.median;
  const real = c.real?.status === 'agree' ? c.real : null;
  const realFigures = real ? Object.fromEntries(Object.entries({ resetCycleNs: real.resetCycleNs?.median ?? null, perResetNs: real.perResetNs }).filter((e): e is [string, number] => e[1] !== null)) : null;
  return { modeled, simulator: wall === undefined ? null : { wallNs: wall }, real: realFigures && Object.keys(realFigures).length ? realFigures : null };
}

/** A results file as one history line. */
export function recordOf(results: ResultsFile, at: { commit: string; date: string }): HistoryRecord {
  const p = results.provenance;
  const machine = machineOf(p);
  const out: HistoryRecord = {
    schema: HISTORY_SCHEMA,
    commit: at.commit,
    date: at.date,
    workload: { name: p.workload.name, hash: p.workload.hash },
    profiles: p.profiles,
    machine,
    machineKey: machineKey(machine),
    testbed: testbedOf(p),
    labels: Object.fromEntries(distinctLabels(results.cells)),
    modeled: {},
    simulator: {},
    real: {},
  };
  for (const c of results.cells) {
    const f = cellFigures(c);
    for (const kind of FIGURE_KINDS) {
      const figs = f[kind];
      if (figs) out[kind][c.id] = figs;
    }
  }
  return out;
}

/** The history file a workload's runs go to: one per workload hash, named so a person can tell them apart. */
export function historyFileName(w: { name: string; hash: string }): string {
  const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return `${slug(w.name) || 'workload'}-${slug(w.hash.slice(0, 12)) || 'nohash'}.jsonl`;
}

/** The names historyFileName gives: what a history directory or branch may hold. */
export const isHistoryFileName = (name: string) => /^[a-z0-9][a-z0-9-]*\.jsonl$/.test(name);

/** Parses a history file's text; a malformed line is refused naming `where:LINE` and the field. */
export function parseHistory(text: string, where: string): HistoryRecord[] {
  const out: HistoryRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let raw: unknown;
    try {
      raw = parseJson(line);
    } catch (e) {
      throw new InputError(`${where}:${i + 1}`, `is not valid JSON (${(e as Error).message})`);
    }
    const r = recordSchema.safeParse(raw);
    if (!r.success) {
      const [first, ...rest] = zodIssues('', r.error).map((l) => l.replace(/^\./, ''));
      throw new InputError(`${where}:${i + 1}`, `not a history line (${HISTORY_SCHEMA}): ${first}${rest.length ? ` (and ${rest.length} more)` : ''}`);
    }
    out.push(r.data);
  });
  return out;
}
