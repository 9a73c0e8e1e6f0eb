/** Where a results file came from: enough to refuse comparing unlike runs. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { resolve } from 'node:path';
import { PACKAGE_ROOT } from '../workload/index.js';
import type { RealProvenance } from './real-result.js';
import type { ShardRecord } from './shard.js';

/** One shard's run, as a merged file keeps it: where it ran and when. */
export interface PartProvenance {
  shard: string;
  host: string;
  results: string;
  cells: number;
  node: string;
  platform: string;
  cpu: string;
  cpus: number;
  /** `uname -r` of the shard's host (absent in files from before Dec 2026). */
  hostKernel?: string;
  threads: number;
  startedAt: string;
  finishedAt: string | null;
}

export interface Provenance {
  labVersion: string;
  gitCommit: string | null;
  node: string;
  platform: string;
  cpu: string;
  cpus: number;
  /**
   * `uname -r` of the host the lab ran on. With cpu, cpus, platform and node
   * it is the machine the simulator's wall clock was timed on (machine.ts);
   * absent in files from before Dec 2026, which are still read.
   */
  hostKernel?: string;
  workload: { name: string; path: string; hash: string };
  /** Profile name or path -> sha256 of the file. */
  profiles: Record<string, string>;
  seed: number;
  threads: number;
  startedAt: string;
  finishedAt: string | null;
  /** A shard's results (`run --shard`): which shard, and every cell of the whole run. */
  shard?: ShardRecord;
  /** A merged file (`vdpa-lab merge`): each shard's host and times, in shard order. */
  parts?: PartProvenance[];
  /** A `run --backend` run: the real kernel that answered. */
  real?: RealProvenance;
}

export function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || null;
  } catch {
    return null;
  }
}

export function labVersion(): string {
  return (JSON.parse(readFileSync(resolve(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

export function hostFacts(): Pick<Provenance, 'node' | 'platform' | 'cpu' | 'cpus' | 'hostKernel'> {
  const c = cpus();
  return { node: process.version, platform: `${process.platform}-${process.arch}`, cpu: c[0]?.model ?? 'unknown', cpus: c.length, hostKernel: release() };
}
