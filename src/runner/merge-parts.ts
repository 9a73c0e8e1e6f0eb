/**
 * `vdpa-lab merge`: the results of every shard of one run (`run --shard I/N`)
 * back into the results file the unsharded run would have written. Cells are
 * copied unchanged, in the unsharded run's order (each part records it), so
 * every modeled figure, status and counter is the unsharded run's; only the
 * provenance differs, and it keeps each part's host and times.
 *
 * Parts are refused (InputError, exit 2) when they cannot be one run: another
 * workload, cost profile or lab version; another shard count or cell set (the
 * shards would overlap); a shard given twice; a shard or a cell missing.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { readJsonFile } from '../json-file.js';
import type { CellResult } from './cell-result.js';
import type { PartProvenance, Provenance } from './provenance.js';
import { readResults, RESULTS_SCHEMA, upgradeResults, type ResultsFile } from './results-file.js';
import { assignShards, shardRecordSchema, type ShardRecord } from './shard.js';

export interface ResultsPart {
  /** The directory (or file) named on the command line. */
  given: string;
  /** Its results.json. */
  path: string;
  file: ResultsFile;
  shard: ShardRecord;
}

/** How many missing cells a refusal names before it only counts the rest. */
const MISSING_CELLS_NAMED = 20;

/** Reads one part: a shard's results directory (or its results.json). */
export function readPart(given: string): ResultsPart {
  const isDir = existsSync(given) && statSync(given).isDirectory();
  const path = isDir ? join(given, 'results.json') : given;
  if (isDir && !existsSync(path)) {
    const unfinished = existsSync(join(given, 'cells.jsonl'));
    throw new InputError(given, unfinished ? 'holds no results.json, only a journal: the shard did not finish (run it again with --resume and the same --shard)' : 'holds no results.json: name the --out directory of a `run --shard`');
  }
  readResults(path); // validates; its parse reorders keys, so the cells are copied from the file as written
  const file = upgradeResults(readJsonFile(path, 'results file').value) as ResultsFile;
  const s = shardRecordSchema.safeParse(file.provenance.shard);
  if (!s.success) {
    const why = file.provenance.shard === undefined ? "is not a shard's results (it was run without --shard): merge joins the shards of one run" : 'is damaged (not a shard record)';
    throw new InputError(`${path}: provenance.shard`, why);
  }
  return { given, path, file, shard: s.data };
}

/** A part's real testbed in one line, or "model only". */
function testbed(p: Provenance): string {
  const r = p.real;
  return r ? `${r.backend} ${r.kernel} ${r.accel} clock ${r.clock ?? 'wall'} cycles ${r.cycles}` : 'model only';
}

const lab = (p: Provenance) => `${p.labVersion}${p.gitCommit ? ` @ ${p.gitCommit.slice(0, 12)}` : ''}`;

/** Every part must come from the same workload, cost profiles and lab as the first. */
function refuseUnlike(first: ResultsPart, part: ResultsPart): void {
  const a = first.file.provenance;
  const b = part.file.provenance;
  if (a.workload.hash !== b.workload.hash) {
    throw new InputError(part.given, `is a part of another workload than ${first.given} (${b.workload.name} sha256 ${b.workload.hash.slice(0, 12)} vs ${a.workload.name} sha256 ${a.workload.hash.slice(0, 12)}): merge the shards of one run`);
  }
  for (const n of new Set([...Object.keys(a.profiles), ...Object.keys(b.profiles)])) {
    if (a.profiles[n] !== b.profiles[n]) {
      throw new InputError(part.given, `used another cost profile "${n}" than ${first.given} (sha256 ${b.profiles[n]?.slice(0, 12) ?? 'none'} vs ${a.profiles[n]?.slice(0, 12) ?? 'none'}): its modeled figures would not be the same run's`);
    }
  }
  // The git commit counts too: two commits of one version can model differently.
  if (a.labVersion !== b.labVersion || (a.gitCommit ?? null) !== (b.gitCommit ?? null)) {
    throw new InputError(part.given, `was run by another lab version than ${first.given} (vdpa-lab ${lab(b)} vs ${lab(a)}): run every shard from one checkout`);
  }
  // Real figures of two testbeds (another kernel, accelerator, clock or cycle count) are not one run's.
  if (testbed(a) !== testbed(b)) {
    throw new InputError(part.given, `ran on another real testbed than ${first.given} (${testbed(b)} vs ${testbed(a)}): run every shard with the same --backend, --accel, --clock and --real-cycles`);
  }
  if (a.shard!.count !== b.shard!.count) {
    throw new InputError(part.given, `is shard ${b.shard!.index}/${b.shard!.count} but ${first.given} is ${a.shard!.index}/${a.shard!.count}: shards of different counts overlap; merge the shards of one --shard I/N run`);
  }
  const ids = (s: ShardRecord) => s.allCells.map((c) => c.id).join(',');
  if (ids(part.shard) !== ids(first.shard)) {
    throw new InputError(part.given, `ran another set of cells than ${first.given} (${part.shard.totalCells} vs ${first.shard.totalCells} cells; another --filter?): the shards would overlap`);
  }
}

function missingCellsText(cells: { label: string }[]): string {
  const named = cells.slice(0, MISSING_CELLS_NAMED).map((c) => c.label);
  const more = cells.length > named.length ? `, and ${cells.length - named.length} more` : '';
  return `${named.join(', ')}${more}`;
}

/** Checks the parts are exactly the shards of one run and returns the run's cells, in its order. */
function collectCells(parts: ResultsPart[]): CellResult[] {
  const { count, allCells } = parts[0].shard;
  const seen = new Map<number, ResultsPart>();
  for (const p of parts) {
    const twin = seen.get(p.shard.index);
    if (twin) throw new InputError(p.given, `is shard ${p.shard.index}/${count} again (${twin.given} is that shard too): a shard given twice would count its cells twice`);
    seen.set(p.shard.index, p);
  }
  const owner = assignShards(
    allCells.map((c) => c.id),
    count,
  );
  const cells = new Map<string, { cell: CellResult; from: ResultsPart }>();
  for (const p of parts) {
    for (const c of p.file.cells) {
      const shard = owner.get(c.id);
      if (shard === undefined) throw new InputError(p.path, `holds cell ${c.id} (${c.label}), which is not in the run's cell list: damaged or edited`);
      if (shard !== p.shard.index) throw new InputError(p.path, `holds cell ${c.label} of shard ${shard}/${count}, though it is shard ${p.shard.index}/${count}: the shards overlap`);
      const other = cells.get(c.id);
      if (other) throw new InputError(p.path, `holds cell ${c.label} twice (also in ${other.from.path})`);
      cells.set(c.id, { cell: c, from: p });
    }
  }
  const missing = allCells.filter((c) => !cells.has(c.id));
  if (missing.length > 0) {
    const absent = [...Array(count).keys()].map((k) => k + 1).filter((i) => !seen.has(i));
    const shards = absent.length ? `shard${absent.length > 1 ? 's' : ''} ${absent.map((i) => `${i}/${count}`).join(', ')} missing; ` : '';
    throw new InputError('merge', `${shards}${missing.length} of ${allCells.length} cells are in no part: ${missingCellsText(missing)}`);
  }
  return allCells.map((c) => cells.get(c.id)!.cell);
}

const distinct = (xs: string[]) => [...new Set(xs)].join(', ');

function partProvenance(p: ResultsPart): PartProvenance {
  const v = p.file.provenance;
  return {
    shard: `${p.shard.index}/${p.shard.count}`,
    host: p.shard.host,
    results: p.path,
    cells: p.file.cells.length,
    node: v.node,
    platform: v.platform,
    cpu: v.cpu,
    cpus: v.cpus,
    ...(v.hostKernel !== undefined ? { hostKernel: v.hostKernel } : {}),
    threads: v.threads,
    startedAt: v.startedAt,
    finishedAt: v.finishedAt,
  };
}

/**
 * One results file from the shards of one run. The top-level host fields
 * summarise the parts (distinct Node versions, platforms and CPU models;
 * CPUs and threads summed over the machines); `parts` keeps each one exactly.
 */
export function mergeParts(parts: ResultsPart[]): ResultsFile {
  if (parts.length === 0) throw new InputError('merge', 'name at least one shard directory');
  const sorted = [...parts];
  for (const p of sorted) refuseUnlike(sorted[0], p);
  const cells = collectCells(sorted);
  sorted.sort((a, b) => a.shard.index - b.shard.index);
  const first = sorted[0].file.provenance;
  const each = sorted.map(partProvenance);
  const finished = each.map((p) => p.finishedAt);
  const provenance: Provenance = {
    labVersion: first.labVersion,
    gitCommit: first.gitCommit,
    node: distinct(each.map((p) => p.node)),
    platform: distinct(each.map((p) => p.platform)),
    cpu: distinct(each.map((p) => p.cpu)),
    cpus: each.reduce((n, p) => n + p.cpus, 0),
    ...(each.every((p) => p.hostKernel !== undefined) ? { hostKernel: distinct(each.map((p) => p.hostKernel!)) } : {}),
    workload: first.workload,
    profiles: first.profiles,
    seed: first.seed,
    threads: each.reduce((n, p) => n + p.threads, 0),
    startedAt: each.map((p) => p.startedAt).sort()[0],
    finishedAt: finished.includes(null) ? null : (finished as string[]).sort().at(-1)!,
    // Every part ran on this one testbed (refuseUnlike): the run's real kernel, accelerator and clock.
    ...(first.real ? { real: first.real } : {}),
    parts: each,
  };
  return { schema: RESULTS_SCHEMA, provenance, cells };
}
