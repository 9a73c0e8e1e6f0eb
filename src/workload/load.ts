/**
 * Reading a workload file: JSON, then the schema (zod), then the semantic
 * checks of expansion. Every problem is reported with its JSON path, all on
 * one line, before any cell runs.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';
import { readJsonFile } from '../json-file.js';
import { sha256, zodIssues } from '../cost/index.js';
import type { CellSpec } from './cell.js';
import { expandWorkload, type ExpandOptions } from './expand.js';
import { schemaFor, type RawWorkload } from './schema.js';
import { canonicalJson } from '../canonical-json.js';


/** The package root (dist/src/workload/ -> ../../..), where shipped workloads and profiles live. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const PROFILES_DIR = resolve(PACKAGE_ROOT, 'workloads/profiles');

export interface LoadedWorkload {
  path: string;
  hash: string;
  workload: RawWorkload;
  cells: CellSpec[];
}

export function problemsError(problems: string[]): InputError {
  const [first, ...rest] = problems;
  const at = first.indexOf(': ');
  const more = rest.length ? ` (and ${rest.length} more: ${rest.join('; ')})` : '';
  return new InputError(first.slice(0, at), first.slice(at + 2) + more);
}

export function parseWorkload(raw: unknown, where: string, opts: ExpandOptions = {}): { workload: RawWorkload; cells: CellSpec[] } {
  const r = schemaFor(raw).safeParse(raw);
  if (!r.success) throw problemsError(zodIssues(where, r.error));
  const { cells, problems } = expandWorkload(r.data, opts);
  if (problems.length) throw problemsError(problems.map((p) => `${where}.${p}`));
  if (cells.length === 0) throw new InputError(`${where}.matrix`, 'expands to no cells');
  return { workload: r.data, cells };
}

export function loadWorkload(path: string, opts: ExpandOptions = {}): LoadedWorkload {
  const { value } = readJsonFile(path, 'workload');
  const { workload, cells } = parseWorkload(value, path, opts);
  // The identity is the canonical JSON (RFC 8785) of what the schema read: re-indenting or reordering keys does not change it.
  return { path, hash: sha256(canonicalJson(workload)), workload, cells };
}

/** A profile given by name (`default`) lives in workloads/profiles; a path is relative to the workload file. */
export function resolveProfilePath(profile: string, workloadPath: string): string {
  if (!profile.includes('/') && !profile.endsWith('.json')) return resolve(PROFILES_DIR, `${profile}.json`);
  return isAbsolute(profile) ? profile : resolve(dirname(workloadPath), profile);
}
