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
import { resolveKernel } from '../../kernel/index.js';
import { resolveQemu } from '../../vmm/index.js';
import type { CellSpec } from '../../workload/index.js';
import type { CellResult } from '../cell-result.js';
import { realDiverged, type RealAccel } from '../real-result.js';
import { recordCellScript, type CellScript } from './cell-script.js';
import { realFigures } from './real-figures.js';

export interface RealRunOptions {
  backend: Exclude<BackendSpec, { kind: 'model' }>;
  /** Reset cycles of device 0 repeated on the real kernel for a distribution. */
  cycles: number;
  accel?: 'auto' | 'kvm' | 'tcg';
  timeoutMs?: number;
  onProgress?: (line: string) => void;
}

/** Room beside the guest for the VM's kernel; the VM takes at most this share of the host. */
const VM_BASE_BYTES = 1n << 30n;
const HOST_SHARE = 0.75;

/** Why a real backend cannot run this cell, or null. */
function notOnReal(cell: CellResult, spec: CellSpec, o: RealRunOptions, generation: string): string | null {
  if (cell.status !== 'ok' && cell.status !== 'incorrect') return `the model did not run it (${cell.status})`;
  const p = spec.params;
  if (o.backend.kind === 'vm' && p.parent !== 'vdpa_sim') return `a VM has only vdpa_sim; ${p.parent} needs a real device (--backend device:PATH)`;
  // vdpa_sim_net has 3 VQs (VDPASIM_NET_VQ_NUM): the probe's GET_VRING_GROUP of VQ 2 * queuePairs would be ENOBUFS there.
  if (o.backend.kind === 'vm' && p.queuePairs > 1 && resolveQemu(p.qemu).cvqProbe) return `vdpa_sim_net has one queue pair (3 VQs); QEMU ${p.qemu}'s CVQ isolation probe asks for VQ ${2 * p.queuePairs}`;
  // A cell names its kernel by version or alias; what must match the real kernel is the generation.
  const cellGeneration = resolveKernel(p.kernel).generation;
  if (cellGeneration !== generation) return `the cell models a ${p.kernel} (${cellGeneration}) kernel; ${backendLabel(o.backend)} is ${generation}`;
  if (p.backing === 'hugetlb-1g') return 'hugetlb-1g needs hugepages reserved on the real host (not set up by the lab)';
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

export async function addRealFigures(cells: CellResult[], specs: CellSpec[], o: RealRunOptions): Promise<{ cells: CellResult[]; diverged: number; kernel: string; accel: RealAccel }> {
  const facts = (await factsOf(o.backend))!;
  const byId = new Map(specs.map((s) => [s.id, s]));
  const out: CellResult[] = cells.map((c) => ({ ...c }));
  const runnable: { index: number; script: CellScript }[] = [];
  out.forEach((c, index) => {
    const spec = byId.get(c.id)!;
    const why = notOnReal(c, spec, o, facts.generation);
    if (why) c.real = { status: 'n/a', reason: why };
    else runnable.push({ index, script: recordCellScript(spec, o.cycles) });
  });
  const label = backendLabel(o.backend);
  let kernel = facts.release;
  let accel: RealAccel = 'none';
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
      out[r.index].real = realFigures(r.script, runs[i].answers, { backend: label, kernel, accel }, runs[i].error);
    });
  }
  const diverged = out.filter((c) => realDiverged(c.real)).length;
  return { cells: out, diverged, kernel, accel };
}
