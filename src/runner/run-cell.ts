/**
 * Runs one cell in the current thread: the modeled pass (every event, with
 * counters and invariants), then, on the same host memory, a fresh VM whose
 * reset cycles tinybench times (the simulator pass). The simulator pass never
 * touches the modeled figures.
 */
import { Worker } from 'node:worker_threads';
import { Bench } from 'tinybench';
import { KernelError } from '../errors.js';
import { addPhases, VirtualClock, zeroPhases, type CostProfile } from '../cost/index.js';
import { FIRST_EVENTS, PAGE, VirtualMachine, type EventName } from '../vmm/index.js';
import { toVmSpec, type CellSpec } from '../workload/index.js';
import type { CellResult, DmaReadings, EventCost, SimulatorFigures, Modeled, WallStats } from './cell-result.js';
import { summariseEvents } from './modeled-summary.js';
import { failedResult } from './failed.js';

export interface RunCellOptions {
  profile: CostProfile;
  profileHash: string;
  /** tinybench samples of the reset cycle; 0 skips the simulator pass. */
  samples: number;
}

/** Cells up to this many frames get the exact per-frame pin check. */
const PER_PAGE_CHECK_FRAMES = 2 ** 22;

export async function runCell(cell: CellSpec, opts: RunCellOptions): Promise<CellResult> {
  const spec = toVmSpec(cell.params);
  const base = { id: cell.id, label: cell.label, params: cell.params, profileHash: opts.profileHash };
  const vm = new VirtualMachine(spec);
  try {
    const na = vm.notApplicable() ?? VirtualMachine.eventsProblem(vm.qemu.release, cell.params.events);
    if (na) return { ...base, status: 'n/a', reason: na, counters: {}, modeled: null, simulator: null, invariants: null };
    return await runVm(vm, cell, base, opts);
  } finally {
    vm.dispose();
  }
}

async function runVm(vm: VirtualMachine, cell: CellSpec, base: Pick<CellResult, 'id' | 'label' | 'params' | 'profileHash'>, opts: RunCellOptions): Promise<CellResult> {
  const t0 = process.hrtime.bigint();
  let run: ReturnType<typeof runModeled>;
  try {
    run = runModeled(vm, cell.params.events, opts.profile);
  } catch (e) {
    // A message the VMM cannot live with (ENOMEM from RLIMIT_MEMLOCK, an enforced
    // iotlb limit) ends the cell: that is a finding about the setup, reported as such.
    if (e instanceof KernelError) return failedResult(cell, opts.profileHash, e.message);
    throw e;
  }
  const { modeled, violations } = run;
  const runWallNs = Number(process.hrtime.bigint() - t0);
  const counters = vm.recorder.totals();
  const final = vm.invariants();
  const allViolations = [...violations, ...final.violations.map((v) => `after close: ${v}`)];
  const viewProblems = modeled.events.flatMap((e, i) => e.viewProblems.map((p) => `${e.name} (event ${i}): ${p}`));
  const problems = [...viewProblems, ...allViolations];
  const simulator: SimulatorFigures = opts.samples > 0 ? { ...(await measureResetCycle(vm, opts.samples, cell.params.dmaReaders ?? 0)), runWallNs } : { wallNs: null, runWallNs };
  return {
    ...base,
    status: problems.length ? 'incorrect' : 'ok',
    reason: problems.length ? `${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}` : null,
    counters,
    modeled,
    simulator,
    invariants: { ok: allViolations.length === 0, violations: allViolations, views: { ...final.views } },
  };
}

function runModeled(vm: VirtualMachine, events: EventName[], profile: CostProfile): { modeled: Modeled; violations: string[] } {
  const clock = new VirtualClock(profile, vm.spec.devices.parent);
  const perPage = vm.mm.allRegions.reduce((s, r) => s + r.framePages, 0) <= PER_PAGE_CHECK_FRAMES;
  const costs: EventCost[] = [];
  const violations: string[] = [];
  let translating = false;
  for (const name of events) {
    const rec = vm.runEvent(name);
    const phases = zeroPhases();
    let totalNs = 0;
    let blackoutNs = 0;
    let pagesPinned = 0;
    for (const step of rec.steps) {
      const p = clock.price(step.counters);
      addPhases(phases, p.phases);
      totalNs += p.totalNs;
      pagesPinned += step.counters.pagesPinned ?? 0;
      // A step counts as blackout when device 0 lost translations before or by its end.
      if (!FIRST_EVENTS.includes(name) && name !== 'close' && !(translating && step.translating)) blackoutNs += p.totalNs;
      translating = step.translating;
    }
    costs.push({ name, totalNs, phases, blackoutNs, pagesPinned, viewProblems: rec.viewProblems });
    if (FIRST_EVENTS.includes(name)) violations.push(...vm.invariants(perPage).violations.map((v) => `after boot: ${v}`));
  }
  return { modeled: summariseEvents(costs), violations };
}


/**
 * A fresh VM on the same host memory: boot, time `samples` reset cycles
 * (with DMA readers translating through device 0's view meanwhile), close.
 */
async function measureResetCycle(modeledVm: VirtualMachine, samples: number, readers: number): Promise<Omit<SimulatorFigures, 'runWallNs'>> {
  const vm = new VirtualMachine(modeledVm.spec, modeledVm.mm);
  vm.runEvent('boot');
  const dma = readers > 0 ? await startDmaReaders(vm, readers) : null;
  const bench = new Bench({ iterations: samples, time: 0, warmup: false, retainSamples: true });
  bench.add('reset-cycle', () => vm.resetCycle());
  let readings: DmaReadings | undefined;
  try {
    await bench.run();
  } finally {
    readings = await dma?.stop();
  }
  vm.runEvent('close');
  const r = bench.tasks[0].result;
  if (r.state === 'errored') throw r.error;
  if (!('latency' in r)) throw new Error(`tinybench produced no latency statistics (task ${r.state})`);
  const ms = (x: number) => Math.round(x * 1e6);
  const wallNs: WallStats = {
    median: ms(r.latency.p50),
    mean: ms(r.latency.mean),
    p99: ms(r.latency.p99),
    min: ms(r.latency.min),
    max: ms(r.latency.max),
    rme: Number(r.latency.rme.toFixed(2)),
    samples: (r.latency.samples ?? []).map(ms),
  };
  return readings ? { wallNs, dma: readings } : { wallNs };
}

/** Starts `n` reader threads on device 0's ASID 0 view; resolves once all are translating. */
async function startDmaReaders(vm: VirtualMachine, n: number): Promise<{ stop: () => Promise<DmaReadings> }> {
  const control = new SharedArrayBuffer(8);
  const out = new SharedArrayBuffer(16 * n);
  const ranges = vm.memory.sections.flatMap((s) => [s.gpa / PAGE, s.bytes / PAGE]);
  const handle = vm.backends[0].dev.parent.view(0).tree.handle;
  const workers = Array.from({ length: n }, (_, index) => new Worker(new URL('./dma-reader.js', import.meta.url), { workerData: { handle, ranges, control, out, index, seed: 0x9e3779b1 + index } }));
  const exited = workers.map((w) => new Promise<void>((resolve, reject) => w.once('exit', () => resolve()).once('error', reject)));
  const flags = new Int32Array(control);
  while (Atomics.load(flags, 1) < n) await new Promise((r) => setTimeout(r, 1));
  return {
    stop: async () => {
      Atomics.store(flags, 0, 1);
      await Promise.all(exited);
      const o = new Float64Array(out);
      let translations = 0;
      let failures = 0;
      for (let i = 0; i < n; i++) {
        translations += o[2 * i];
        failures += o[2 * i + 1];
      }
      return { readers: n, translations, failures };
    },
  };
}
