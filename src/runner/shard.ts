/**
 * Cutting one run's cells into N shards, one per machine (a CI matrix job, a
 * pod of a Kubernetes Indexed Job), and the record each shard's results carry
 * so `vdpa-lab merge` can put the whole run back together.
 *
 * Numbering is 1-based (`--shard 1/3` to `3/3`), as Jest's and Playwright's
 * `--shard` are; Kubernetes' JOB_COMPLETION_INDEX is 0-based, and
 * `--shard k8s` adds one to it.
 *
 * Assignment is round-robin over the cells sorted by id: cell k of that order
 * goes to shard (k mod N) + 1. Why not a hash of the id mod N: a hash leaves
 * the shard sizes to chance (30 cells in 8 shards can give one shard 7 cells
 * and another none), while round-robin gives every shard the same count to
 * within one, so no CI job waits on an unlucky one. What a hash would buy,
 * a cell keeping its shard when the workload gains cells, is worth nothing
 * here: a shard's journal and results are tied to the workload's hash, so an
 * edited workload starts over anyway. Ids are sha256 of the parameters, so the
 * sorted order is a shuffle of the matrix: large and small guests spread over
 * the shards instead of one shard getting every 1 TiB cell, and the order does
 * not depend on how the matrix was written or expanded.
 */
import { hostname } from 'node:os';
import { lazySchema, z } from '../lazy-zod.js';
import { InputError } from '../errors.js';
import type { CellSpec } from '../workload/index.js';

export const SHARD_SCHEME = 'round-robin over cells sorted by id';
/** Kubernetes sets this in each pod of an Indexed Job: 0 to completions - 1. */
export const K8S_INDEX_ENV = 'JOB_COMPLETION_INDEX';
/** Kubernetes does not tell a pod the Job's completions: the manifest sets this to the same number. */
export const SHARD_COUNT_ENV = 'VDPA_LAB_SHARD_COUNT';

/** Shard `index` (1-based) of `count`. */
export interface ShardSpec {
  index: number;
  count: number;
}

export const shardName = (s: ShardSpec): string => `${s.index}/${s.count}`;

const shardRecordSchema = lazySchema(() =>
  z.object({
    index: z.number().int().min(1),
    count: z.number().int().min(1),
    scheme: z.string(),
    totalCells: z.number().int().min(1),
    allCells: z.array(z.object({ id: z.string(), label: z.string() })).min(1),
    host: z.string(),
  }),
);

/** What a shard's results.json says about the shard, in `provenance.shard`. */
export type ShardRecord = z.infer<typeof shardRecordSchema>;
export { shardRecordSchema };

function integer(text: string): number | null {
  return /^[0-9]+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : null;
}

function fromKubernetes(env: NodeJS.ProcessEnv): ShardSpec {
  const flag = '--shard k8s';
  const rawIndex = env[K8S_INDEX_ENV];
  if (rawIndex === undefined || rawIndex === '') throw new InputError(flag, `${K8S_INDEX_ENV} is not set (Kubernetes sets it in each pod of an Indexed Job; elsewhere use --shard I/N)`);
  const rawCount = env[SHARD_COUNT_ENV];
  if (rawCount === undefined || rawCount === '') throw new InputError(flag, `${SHARD_COUNT_ENV} is not set: set it in the pod's env to the Job's completions`);
  const index = integer(rawIndex);
  if (index === null) throw new InputError(flag, `${K8S_INDEX_ENV} must be a non-negative integer, got '${rawIndex}'`);
  const count = integer(rawCount);
  if (count === null || count < 1) throw new InputError(flag, `${SHARD_COUNT_ENV} must be a positive integer, got '${rawCount}'`);
  if (index >= count) throw new InputError(flag, `${K8S_INDEX_ENV}=${index} is not below ${SHARD_COUNT_ENV}=${count}: set ${SHARD_COUNT_ENV} to the Job's completions`);
  return { index: index + 1, count };
}

/** `--shard I/N` (1-based) or `--shard k8s` (the index and count from `env`). */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): ShardSpec {
  if (text === 'k8s') return fromKubernetes(env);
  const m = /^([0-9]+)\/([0-9]+)$/.exec(text);
  const index = m ? integer(m[1]) : null;
  const count = m ? integer(m[2]) : null;
  if (index === null || count === null) throw new InputError('--shard', `must be I/N (shard I of N, numbered from 1, e.g. 2/3) or k8s, got '${text}'`);
  if (count < 1) throw new InputError('--shard', `the shard count must be at least 1, got '${text}'`);
  if (index === 0) throw new InputError('--shard', `shards are numbered from 1 (1/${count} to ${count}/${count}), got '${text}'; for Kubernetes' 0-based index use --shard k8s`);
  if (index > count) throw new InputError('--shard', `there is no shard ${index} of ${count} (1/${count} to ${count}/${count}), got '${text}'`);
  return { index, count };
}

/** Cell id -> the shard (1-based) that runs it. */
export function assignShards(ids: readonly string[], count: number): Map<string, number> {
  const sorted = [...ids].sort();
  return new Map(sorted.map((id, k) => [id, (k % count) + 1]));
}

/**
 * The cells shard `s` runs, in the run's order. A shard count above the cell
 * count would leave shards empty (and their results files cellless): refused.
 */
export function cellsOfShard(cells: readonly CellSpec[], s: ShardSpec): CellSpec[] {
  if (s.count > cells.length) {
    throw new InputError('--shard', `${shardName(s)}: ${s.count} shards of ${cells.length} cells would leave ${s.count - cells.length} of them empty: use at most ${cells.length} shards`);
  }
  const owner = assignShards(
    cells.map((c) => c.id),
    s.count,
  );
  return cells.filter((c) => owner.get(c.id) === s.index);
}

export function shardRecord(allCells: readonly CellSpec[], s: ShardSpec): ShardRecord {
  return {
    index: s.index,
    count: s.count,
    scheme: SHARD_SCHEME,
    totalCells: allCells.length,
    allCells: allCells.map((c) => ({ id: c.id, label: c.label })),
    host: hostname(),
  };
}
