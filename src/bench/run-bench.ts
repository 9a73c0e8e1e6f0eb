/**
 * `bench run`: the speed and memory targets of `vdpa-lab run`, each scenario
 * a shipped workload under workloads/bench/, each run in a child process so
 * its wall time and peak RSS are its own. All figures MEASURED.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../workload/index.js';

export const RUN_SCENARIOS = ['default', 'tib-thp', '128g-4k', 'scaling-16'] as const;
export type RunScenario = (typeof RUN_SCENARIOS)[number];

export interface RunBenchRow {
  scenario: string;
  threads: number;
  wallSeconds: number;
  maxRssMiB: number;
  target: string;
  met: boolean | null;
}

const TARGET_SCRIPT = fileURLToPath(new URL('./run-bench-target.js', import.meta.url));

function workloadOf(s: RunScenario): string {
  return resolve(PACKAGE_ROOT, s === 'default' ? 'workloads/default.json' : `workloads/bench/${s}.json`);
}

/** Runs one workload in a child process; returns its wall seconds and peak RSS. */
function measure(workload: string, threads: number): { wallSeconds: number; maxRssMiB: number; failed: number } {
  const out = mkdtempSync(join(tmpdir(), 'vdpa-lab-bench-run-'));
  try {
    const r = spawnSync(process.execPath, [TARGET_SCRIPT, workload, out, String(threads)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bench run of ${workload} failed: ${r.stderr.trim().split('\n').pop()}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export function runRunBench(scenarios: readonly RunScenario[], threads: number, onProgress?: (m: string) => void): RunBenchRow[] {
  const rows: RunBenchRow[] = [];
  for (const s of scenarios) {
    onProgress?.(s);
    if (s === 'scaling-16') {
      const one = measure(workloadOf(s), 1);
      const two = measure(workloadOf(s), 2);
      const speedup = one.wallSeconds / two.wallSeconds;
      rows.push({ scenario: s, threads: 1, wallSeconds: one.wallSeconds, maxRssMiB: one.maxRssMiB, target: '', met: null });
      rows.push({ scenario: s, threads: 2, wallSeconds: two.wallSeconds, maxRssMiB: two.maxRssMiB, target: `>= 1.7x faster than 1 thread: ${speedup.toFixed(2)}x`, met: speedup >= 1.7 });
      continue;
    }
    const m = measure(workloadOf(s), threads);
    const [limit, rss] = s === 'default' ? [60, Infinity] : s === 'tib-thp' ? [10, Infinity] : [20, 4096];
    const target = `<= ${limit} s${Number.isFinite(rss) ? `, <= ${rss / 1024} GiB RSS` : ''}`;
    rows.push({ scenario: s, threads, wallSeconds: m.wallSeconds, maxRssMiB: m.maxRssMiB, target, met: m.wallSeconds <= limit && m.maxRssMiB <= rss && m.failed === 0 });
  }
  return rows;
}
