/**
 * `replay --backend vm:KERNEL | device:PATH`: a QEMU trace's message
 * streams on a real kernel. The model's replay runs with each (fd, flow)
 * device's ops recorded as an exec script (the trace's RAM regions mapped at
 * their uaddrs); a real kernel answers every script, and each replay gains
 * the real time per segment (boot, each reset, close) and whether the real
 * kernel answered every message as the model did.
 */
import { hex } from '../../iotlb/index.js';
import type { HostMm } from '../../host/index.js';
import type { VhostVdpa } from '../../kernel/index.js';
import type { Backend, BackendResult } from '../../backends/index.js';
import { InputError } from '../../errors.js';
import type { BackendAnswer } from '../../real/model-run.js';
import type { ScriptPlan } from '../../real/script-plan.js';
import type { ReplayOptions, ReplayOutcome } from '../replay/replay-trace.js';
import { replayTrace } from '../replay/replay-trace.js';
import { answerDifference, recordOps, type ModelAnswer } from './record-ops.js';

export interface RealSegment {
  name: string;
  realNs: number;
  pinnedVm: number;
}

export interface RealReplay {
  fd: number;
  flow: 'workaround' | 'persist';
  status: 'agree' | 'diverged' | 'failed';
  reason: string | null;
  segments: RealSegment[];
}

export interface RealReplayOutcome {
  outcome: ReplayOutcome;
  backend: string;
  kernel: string;
  accel: string;
  /** The guest clock the probe timed by (a VM backend's --clock). */
  clock: 'wall' | 'icount';
  replays: RealReplay[];
}

export interface Recorded {
  fd: number;
  flow: 'workaround' | 'persist';
  mm: HostMm;
  /**
   * Per region: populated before this fd's first op (an earlier fd of the
   * same QEMU touched it). Its real script then populates that region at
   * mmap: one probe process per fd cannot share frames the way one QEMU does.
   */
  touchedBefore: boolean[];
  ops: Record<string, unknown>[];
  model: ModelAnswer[];
}

/** vdpa_sim's batch_mapping as the model's replay ran it (replay-trace.ts): the real kernel must run the same. */
function variantOf(opts: ReplayOptions): 'set_map' | 'dma_map' {
  return opts.variant ?? 'set_map';
}

function scriptOf(r: Recorded, opts: ReplayOptions): { text: string; headerLines: number } {
  const header: Record<string, unknown>[] = [
    { op: 'open', parent: opts.parent, kernel: opts.kernel, useVa: false, ...(opts.parent === 'vdpa_sim' ? { variant: variantOf(opts) } : {}), ...(opts.iotlbLimit === undefined ? {} : { iotlbLimit: opts.iotlbLimit }) },
    { op: 'setrlimit', memlock: 'unlimited' },
    ...r.mm.allRegions.map((g, i) => ({ op: 'mmap', uaddr: hex(BigInt(g.startPage) << 12n), size: hex(BigInt(g.pages) << 12n), backing: g.spec.backing, populate: (g.spec.populated ?? true) || r.touchedBefore[i] })),
  ];
  return { text: [...header, ...r.ops].map((l) => JSON.stringify(l)).join('\n') + '\n', headerLines: header.length };
}

/** Segments as the replay counts them: boot, one per SET_STATUS 0, close. */
function segmentsOf(r: Recorded, headerLines: number, answers: BackendAnswer[]): RealSegment[] {
  const byLine = new Map(answers.map((a) => [a.line, a]));
  const out: RealSegment[] = [{ name: 'boot', realNs: 0, pinnedVm: 0 }];
  r.ops.forEach((op, i) => {
    if (op.op === 'set_status' && op.status === 0) out.push({ name: `reset ${out.length}`, realNs: 0, pinnedVm: 0 });
    if (op.op === 'close') out.push({ name: 'close', realNs: 0, pinnedVm: 0 });
    const a = byLine.get(headerLines + i + 1);
    const seg = out[out.length - 1];
    if (a) {
      seg.realNs += a.ns ?? 0;
      seg.pinnedVm = a.pinnedVm ?? seg.pinnedVm;
    }
  });
  return out;
}

function firstDifference(r: Recorded, headerLines: number, answers: BackendAnswer[]): string | null {
  const byLine = new Map(answers.map((a) => [a.line, a]));
  for (let i = 0; i < r.ops.length; i++) {
    const line = headerLines + i + 1;
    const diff = answerDifference(`script line ${line} (${String(r.ops[i].op)})`, r.model[i], byLine.get(line));
    if (diff) return diff;
  }
  return null;
}

/** What a real kernel is sent: the model's replay with each (fd, flow) device's ops recorded as a script, and its plan. */
export interface RecordedReplay {
  outcome: ReplayOutcome;
  recorded: Recorded[];
  scripts: { text: string; headerLines: number }[];
  plans: ScriptPlan[];
}

/** The model half of replayOnReal: replays the trace, recording each device's ops as the script a real kernel runs. */
export function recordReplay(text: string, source: string, opts: ReplayOptions): RecordedReplay {
  const recorded: Recorded[] = [];
  const outcome = replayTrace(text, source, {
    ...opts,
    onDevice: (fd: number, flow: 'workaround' | 'persist', dev: VhostVdpa, mm: HostMm) => {
      const r: Recorded = { fd, flow, mm, touchedBefore: mm.allRegions.map((g) => !g.frames.empty), ops: [], model: [] };
      recorded.push(r);
      recordOps(dev, 'vdpa0', (line, res, faults) => {
        r.ops.push(line);
        r.model.push({ ret: res.ret, errno: res.errno, pinnedVm: mm.pinnedVm, faults });
      });
    },
  });
  const scripts = recorded.map((r) => scriptOf(r, opts));
  const plans: ScriptPlan[] = recorded.map((r) => ({
    devices: ['vdpa0'],
    params: { useVa: false, variant: variantOf(opts), ...(opts.iotlbLimit === undefined ? {} : { iotlbLimit: opts.iotlbLimit }) },
    paramsLine: 1,
    mmapBytes: r.mm.allRegions.reduce((s, g) => s + (BigInt(g.pages) << 12n), 0n),
    ...(opts.parent === 'platform-iommu' ? { parent: 'platform-iommu' as const } : {}),
  }));
  return { outcome, recorded, scripts, plans };
}

export async function replayOnReal(text: string, source: string, opts: ReplayOptions, backend: Backend): Promise<RealReplayOutcome> {
  // A replay maps the trace's guest RAM as its QEMU did, in PA mode; VDUSE maps VAs only (vduse_dev_init_vdpa: use_va).
  if (opts.parent === 'vduse') throw new InputError('--parent', 'a replay maps guest RAM in PA mode (use_va=0) and VDUSE maps user VAs only: replay a trace on vdpa_sim, or run a VDUSE workload (run --backend)');
  if (!backend.capabilities.parents.includes(opts.parent)) throw new InputError('--parent', backend.capabilities.missingParents?.[opts.parent] ?? `${backend.label} has only ${backend.capabilities.parents.join(', ')}, not ${opts.parent}`);
  if (!backend.capabilities.backings.includes(opts.backing)) throw new InputError('--backing', `${opts.backing} needs hugepages reserved on the real host (not set up by the lab): use 4k or thp`);
  const { outcome, recorded, scripts, plans } = recordReplay(text, source, opts);
  const jobs = recorded.map((r, i) => ({ name: `fd ${r.fd} ${r.flow}`, text: scripts[i].text, plan: plans[i] }));
  await backend.open();
  let run: BackendResult;
  try {
    run = await backend.run(jobs, {});
  } finally {
    await backend.close();
  }
  const replays = recorded.map((r, i): RealReplay => {
    const { headerLines } = scripts[i];
    const { answers, error } = run.scripts[i];
    const diff = error ? null : firstDifference(r, headerLines, answers);
    return { fd: r.fd, flow: r.flow, status: error ? 'failed' : diff ? 'diverged' : 'agree', reason: error ?? diff, segments: segmentsOf(r, headerLines, answers) };
  });
  return { outcome, backend: backend.label, kernel: run.kernel, accel: run.accel, clock: run.clock ?? 'wall', replays };
}
