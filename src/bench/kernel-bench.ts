/**
 * `bench kernel`: what UPDATE (pin + map), INVALIDATE (unpin + unmap) and
 * SET_STATUS 0 really cost on a real kernel, per reset cycle and per page,
 * for vdpa_sim's set_map and dma_map variants, with and without PERSIST,
 * beside the model's MODELED figure for the same script under a cost profile.
 * The two kinds are kept apart: `real` is nanoseconds the probe measured in
 * the kernel's syscalls (under the accelerator named in every row), `modeled`
 * is counters x prices.
 */
import { VirtualClock, type CostProfile } from '../cost/index.js';
import { countersOf, Session, snapshotCounters } from '../kernel/index.js';
import type { Backend } from '../backends/index.js';
import type { BackendRun } from '../real/run-scripts.js';
import { runScripts } from '../real/run-scripts.js';
import { kernelBenchScript, type BenchParent, type BenchPhase, type BenchScript, type KernelBenchCase } from './kernel-bench-scripts.js';
import { median } from 'simple-statistics';

export interface PhaseFigures {
  firstMapNs: number;
  /** Medians over the reset cycles. */
  resetNs: number;
  unmapNs: number;
  remapNs: number;
  cycleNs: number;
}

export interface KernelBenchRow extends KernelBenchCase {
  kernel: string;
  accel: string;
  /** Set when the VM's guest clock was TCG's instruction counter (1 ns per guest instruction). */
  clock?: 'icount';
  pages: number;
  cycles: number;
  real: PhaseFigures;
  modeled: PhaseFigures & { profile: string; entries: number };
  /** Set when the real kernel refused a line (the row's figures are then partial). */
  error?: string;
}

export interface KernelBenchOptions {
  /** Who runs the scripts: a VM's kernel (`vm:6.12`), or a vdpa_sim device here. */
  backend: Backend;
  cases: KernelBenchCase[];
  cycles: number;
  profile: CostProfile;
}

/** Sums per-line figures into phases, per cycle, then takes the medians. */
function phases(script: BenchScript, perLine: Map<number, number>, cycles: number): PhaseFigures {
  const sum = (phase: BenchPhase, cycle: number) => {
    let t = 0;
    for (const [line, tag] of script.tags) if (tag.phase === phase && tag.cycle === cycle) t += perLine.get(line) ?? 0;
    return t;
  };
  const ks = Array.from({ length: cycles }, (_, i) => i + 1);
  const per = (phase: BenchPhase) => ks.map((k) => sum(phase, k));
  return {
    firstMapNs: sum('firstMap', 0),
    resetNs: median(per('reset')),
    unmapNs: median(per('unmap')),
    remapNs: median(per('remap')),
    cycleNs: median(ks.map((k) => sum('reset', k) + sum('unmap', k) + sum('remap', k))),
  };
}

/** The model's price of each line: the counter delta it caused, priced by the profile. */
function modeledPerLine(script: BenchScript, profile: CostProfile, kernel: string, parent: BenchParent): { perLine: Map<number, number>; entries: number } {
  const session = new Session({ kernel, parent });
  const clock = new VirtualClock(profile, parent);
  const perLine = new Map<number, number>();
  let entries = 0;
  const lines = script.text.split('\n');
  let before = snapshotCounters(countersOf(session.mm));
  for (let i = 0; i < lines.length; i++) {
    if (!session.runLine(lines[i], i + 1)) continue;
    const after = snapshotCounters(countersOf(session.mm));
    const delta: Record<string, number> = {};
    for (const k of Object.keys(after)) if (after[k] !== before[k]) delta[k] = after[k] - before[k];
    perLine.set(i + 1, clock.price(delta).totalNs);
    if (script.tags.get(i + 1)?.phase === 'firstMap') entries += delta.iotlbInserts ?? 0;
    before = after;
  }
  return { perLine, entries };
}

export async function runKernelBench(o: KernelBenchOptions): Promise<KernelBenchRow[]> {
  // The model runs the script as the real kernel's generation behaves (6.1: THP pinned page by page).
  const modelKernel = (await o.backend.open())?.generation ?? 'reset-map';
  const scripts = o.cases.map((c) => kernelBenchScript(c, o.cycles, modelKernel));
  const sources = o.cases.map((c, i) => ({ name: `${c.variant}/${c.backing}/${c.gib}GiB/${c.flow}`, text: scripts[i].text }));
  // Each script's open line names its parent (kernel-bench-scripts.ts).
  const run: BackendRun = await runScripts(o.backend, sources, { overrides: {} });
  return o.cases.map((c, i) => {
    const s = scripts[i];
    const answers = run.scripts[i].answers;
    const refused = answers.find((a) => a.ret !== 0);
    const real = phases(s, new Map(answers.map((a) => [a.line, a.ns ?? 0])), o.cycles);
    const m = modeledPerLine(s, o.profile, modelKernel, c.parent ?? 'vdpa_sim');
    const error = run.scripts[i].error ?? (refused ? `line ${refused.line} (${refused.op}) failed with ${refused.errno}` : undefined);
    return {
      ...c,
      kernel: run.kernel,
      accel: run.accel ?? 'none',
      ...(run.clock ? { clock: run.clock } : {}),
      pages: s.pages,
      cycles: o.cycles,
      real,
      modeled: { ...phases(s, m.perLine, o.cycles), profile: o.profile.name, entries: m.entries },
      ...(error ? { error } : {}),
    };
  });
}
