/**
 * `run --backend vm:KERNEL | device:PATH`: after the model has run every
 * cell, the same cells' operation streams go to a real kernel (one VM boot
 * for the whole run), and each cell gains a `real` field beside `modeled`.
 * Cells a real backend cannot hold are `n/a` there, with the reason.
 */
import { totalmem } from 'node:os';
import { backendLabel, type BackendSpec } from '../../real/backend-spec.js';
import { checkVhostVdpaDevice, runOnDevice } from '../../real/device-backend.js';
import type { ScriptSource } from '../../real/model-run.js';
import { factsOf } from '../../real/run-scripts.js';
import type { ScriptPlan } from '../../real/script-plan.js';
import { hostHugetlbProblem, hugetlbNeedOf } from '../../real/hugetlb-pool.js';
import type { BackendAnswer } from '../../real/model-run.js';
import { resolveKernel } from '../../kernel/index.js';
import { resolveQemu } from '../../vmm/index.js';
import type { CellSpec } from '../../workload/index.js';
import type { CellResult } from '../cell-result.js';
import { recordCellScript, type CellScript } from './cell-script.js';
import { realFigures, type RealFigures } from './real-figures.js';

export interface RealRunOptions {
  backend: Exclude<BackendSpec, { kind: 'model' }>;
  /** Reset cycles of device 0 repeated on the real kernel for a distribution. */
  cycles: number;
  accel?: 'auto' | 'kvm' | 'tcg';
  timeoutMs?: number;
  onProgress?: (line: string) => void;
}

export type CellWithReal = CellResult & { real?: RealFigures | { status: 'n/a'; reason: string } };

/** Room beside the guest for the VM's kernel; the VM takes at most this share of the host. */
const VM_BASE_BYTES = 1n << 30n;
const HOST_SHARE = 0.75;

/** Why a real backend cannot run this cell, or null. */
function notOnReal(cell: CellResult, spec: CellSpec, o: RealRunOptions, generation: string): string | null {
  if (cell.status !== 'ok' && cell.status !== 'incorrect') return `the model did not run it (${cell.status})`;
  const p = spec.params as unknown as { parent: string; kernel: string; backing: string; guestBytes: number };
  if (o.backend.kind === 'vm' && p.parent !== 'vdpa_sim') return `a VM has only vdpa_sim; ${p.parent} needs a real device (--backend device:PATH)`;
  // vdpa_sim_net has 3 VQs (VDPASIM_NET_VQ_NUM): the probe's GET_VRING_GROUP of VQ 2 * queuePairs would be ENOBUFS there.
  const q = spec.params as unknown as { queuePairs: number; qemu: string };
  if (o.backend.kind === 'vm' && q.queuePairs > 1 && resolveQemu(q.qemu).cvqProbe) return `vdpa_sim_net has one queue pair (3 VQs); QEMU ${q.qemu}'s CVQ isolation probe asks for VQ ${2 * q.queuePairs}`;
  // A cell names its kernel by version or alias; what must match the real kernel is the generation.
  const cellGeneration = resolveKernel(p.kernel).generation;
  if (cellGeneration !== generation) return `the cell models a ${p.kernel} (${cellGeneration}) kernel; ${backendLabel(o.backend)} is ${generation}`;
  const need = BigInt(p.guestBytes) + VM_BASE_BYTES;
  if (Number(need) > totalmem() * HOST_SHARE) return `a ${p.guestBytes} byte guest needs more than ${Math.round(HOST_SHARE * 100)}% of this host's memory`;
  return null;
}

function planOf(s: CellScript): ScriptPlan {
  return {
    devices: s.devices,
    params: { useVa: s.useVa, variant: s.variant, ...(s.iotlbLimit === undefined ? {} : { iotlbLimit: s.iotlbLimit }) },
    paramsLine: 1,
    mmapBytes: s.mmapBytes,
  };
}

/**
 * A hugetlb mmap the real side refused for want of huge pages (ENOMEM, or
 * EINVAL where the kernel has no pool of that size) is the pool's shortage,
 * not the kernel's answer to the cell: the cell is n/a there, with the line.
 */
function hugetlbShortage(text: string, answers: BackendAnswer[]): string | null {
  const lines = text.split('\n');
  for (const a of answers) {
    if (a.op !== 'mmap' || a.ret === 0) continue;
    const backing = (JSON.parse(lines[a.line - 1]) as { backing?: string }).backing;
    if (backing === 'hugetlb-2m' || backing === 'hugetlb-1g') return `${backing}: the real side could not hold line ${a.line}'s mmap (${a.errno}: its ${backing === 'hugetlb-2m' ? '2 MiB' : '1 GiB'} huge page pool is short)`;
  }
  return null;
}

export async function addRealFigures(cells: CellResult[], specs: CellSpec[], o: RealRunOptions): Promise<{ cells: CellWithReal[]; diverged: number; kernel: string; accel: string }> {
  const facts = (await factsOf(o.backend))!;
  const byId = new Map(specs.map((s) => [s.id, s]));
  const out: CellWithReal[] = cells.map((c) => ({ ...c }));
  const runnable: { index: number; script: CellScript }[] = [];
  out.forEach((c, index) => {
    const spec = byId.get(c.id)!;
    const why = notOnReal(c, spec, o, facts.generation);
    if (why) {
      c.real = { status: 'n/a', reason: why };
      return;
    }
    const script = recordCellScript(spec, o.cycles);
    // A VM reserves the huge pages its cells map (vm-backend.ts); this host's pools are what they are.
    const short = o.backend.kind === 'device' ? hostHugetlbProblem(hugetlbNeedOf(script.text)) : null;
    if (short) c.real = { status: 'n/a', reason: `${short.backing}: ${short.reason}` };
    else runnable.push({ index, script });
  });
  const label = backendLabel(o.backend);
  let kernel = facts.release;
  let accel: RealFigures['accel'] = 'none';
  if (runnable.length) {
    const sources: ScriptSource[] = runnable.map((r) => ({ name: out[r.index].label, text: r.script.text }));
    let runs: { answers: import('../../real/model-run.js').BackendAnswer[]; error?: string }[];
    if (o.backend.kind === 'vm') {
      o.onProgress?.(`real: ${runnable.length} cell(s) on ${label} (${facts.release}), one VM boot`);
      const { runScriptsInVm } = await import('../../real/vm-backend.js');
      const vm = await runScriptsInVm(o.backend.kernel, sources, runnable.map((r) => planOf(r.script)), { overrides: {}, accel: o.accel, timeoutMs: o.timeoutMs, onProgress: o.onProgress });
      kernel = vm.release;
      accel = vm.accel;
      runs = vm.scripts;
    } else {
      checkVhostVdpaDevice(o.backend.path);
      const path = o.backend.path;
      runs = runnable.map((r, i) => {
        try {
          const d = runOnDevice(path, sources[i], planOf(r.script));
          kernel = d.release;
          return { answers: d.answers };
        } catch (e) {
          return { answers: [], error: (e as Error).message };
        }
      });
    }
    runnable.forEach((r, i) => {
      const short = hugetlbShortage(r.script.text, runs[i].answers);
      out[r.index].real = short ? { status: 'n/a', reason: short } : realFigures(r.script, runs[i].answers, { backend: label, kernel, accel }, runs[i].error);
    });
  }
  const diverged = out.filter((c) => c.real && c.real.status !== 'n/a' && c.real.status !== 'agree').length;
  return { cells: out, diverged, kernel, accel };
}
