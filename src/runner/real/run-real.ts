/**
 * `run --backend vm:KERNEL | device:PATH`: after the model has run every
 * cell, the same cells' operation streams go to a real kernel (one VM boot
 * for the whole run), and each cell gains a `real` field beside `modeled`.
 * Cells a real backend cannot hold are `n/a` there, with the reason.
 */
import { totalmem } from 'node:os';
import type { Backend } from '../../backends/index.js';
import { InputError } from '../../errors.js';
import type { ScriptPlan } from '../../real/script-plan.js';
import { hostHugetlbProblem, hugetlbNeedOf } from '../../real/hugetlb-pool.js';
import type { BackendAnswer } from '../../real/model-run.js';
import { resolveKernel } from '../../kernel/index.js';
import { resolveQemu } from '../../vmm/index.js';
import type { CellSpec } from '../../workload/index.js';
import type { CellResult } from '../cell-result.js';
import { realDiverged, type RealAccel, type RealClock } from '../real-result.js';
import { recordCellScript, type CellScript } from './cell-script.js';
import { realFigures } from './real-figures.js';

export interface RealRunOptions {
  /** A real kernel (capabilities.real): its accelerator and progress are its own options. */
  backend: Backend;
  /** Reset cycles of device 0 repeated on the real kernel for a distribution. */
  cycles: number;
  onProgress?: (line: string) => void;
}

/** Room beside the guest for the VM's kernel; the VM takes at most this share of the host. */
const VM_BASE_BYTES = 1n << 30n;
const HOST_SHARE = 0.75;

/** Why a real backend cannot run this cell, or null. */
function notOnReal(cell: CellResult, spec: CellSpec, o: RealRunOptions, generation: string): string | null {
  if (cell.status !== 'ok' && cell.status !== 'incorrect') return `the model did not run it (${cell.status})`;
  const p = spec.params;
  const caps = o.backend.capabilities;
  if (!caps.parents.includes(p.parent)) return caps.missingParents?.[p.parent] ?? `${o.backend.label} has only ${caps.parents.join(', ')}; ${p.parent} needs a real device (--backend device:PATH)`;
  // vdpa_sim_net has 3 VQs (VDPASIM_NET_VQ_NUM): the probe's GET_VRING_GROUP of VQ 2 * queuePairs would be ENOBUFS there.
  if (caps.fixedVqs !== undefined && p.parent === 'vdpa_sim' && 2 * p.queuePairs + 1 > caps.fixedVqs && resolveQemu(p.qemu).cvqProbe) {
    return `${o.backend.label}'s vdpa_sim_net has one queue pair (${caps.fixedVqs} VQs); QEMU ${p.qemu}'s CVQ isolation probe asks for VQ ${2 * p.queuePairs}`;
  }
  // A cell names its kernel by version or alias; what must match the real kernel is the generation.
  const cellGeneration = resolveKernel(p.kernel).generation;
  if (cellGeneration !== generation) return `the cell models a ${p.kernel} (${cellGeneration}) kernel; ${o.backend.label} is ${generation}`;
  if (!caps.backings.includes(p.backing)) return `${p.backing} needs hugepages reserved on the real host (not set up by the lab)`;
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
    // A VDUSE device in the VM gets the cell's virtqueues (real/vduse.ts); vp_vdpa's are the VM's NIC's.
    ...(s.parent === 'vduse' ? { parent: 'vduse' as const, vqs: s.nvqs } : {}),
    ...(s.parent === 'platform-iommu' ? { parent: 'platform-iommu' as const } : {}),
  };
}

/**
 * A hugetlb mmap the real side refused for want of huge pages (ENOMEM, or
 * EINVAL where the kernel has no pool of that size) is the pool's shortage,
 * not the kernel's answer to the cell: the cell is n/a there, with the line.
 */
export function hugetlbShortage(text: string, answers: BackendAnswer[]): string | null {
  const lines = text.split('\n');
  for (const a of answers) {
    if (a.op !== 'mmap' || a.ret === 0) continue;
    const backing = (JSON.parse(lines[a.line - 1]) as { backing?: string }).backing;
    if (backing === 'hugetlb-2m' || backing === 'hugetlb-1g') return `${backing}: the real side could not hold line ${a.line}'s mmap (${a.errno}: its ${backing === 'hugetlb-2m' ? '2 MiB' : '1 GiB'} huge page pool is short)`;
  }
  return null;
}

export async function addRealFigures(cells: CellResult[], specs: CellSpec[], o: RealRunOptions): Promise<{ cells: CellResult[]; diverged: number; kernel: string; accel: RealAccel; clock: RealClock }> {
  const facts = await o.backend.open();
  if (!facts) throw new InputError('--backend', `${o.backend.label} is the model: name a real backend (vm:KERNEL or device:PATH)`);
  const byId = new Map(specs.map((s) => [s.id, s]));
  const out: CellResult[] = cells.map((c) => ({ ...c }));
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
    const short = !o.backend.capabilities.reservesHugePages ? hostHugetlbProblem(hugetlbNeedOf(script.text)) : null;
    if (short) c.real = { status: 'n/a', reason: `${short.backing}: ${short.reason}` };
    else runnable.push({ index, script });
  });
  let kernel = facts.release;
  let accel: RealAccel = 'none';
  let clock: RealClock = 'wall';
  try {
    if (runnable.length) {
      o.onProgress?.(`real: ${runnable.length} cell(s) on ${o.backend.label} (${facts.release})`);
      const jobs = runnable.map((r) => ({ name: out[r.index].label, text: r.script.text, plan: planOf(r.script) }));
      const run = await o.backend.run(jobs, {});
      kernel = run.kernel;
      accel = run.accel;
      clock = run.clock ?? 'wall';
      runnable.forEach((r, i) => {
        const short = hugetlbShortage(r.script.text, run.scripts[i].answers);
        out[r.index].real = short ? { status: 'n/a', reason: short } : realFigures(r.script, run.scripts[i].answers, { backend: o.backend.label, kernel, accel, ...(clock === 'icount' ? { clock } : {}) }, run.scripts[i].error);
      });
    }
  } finally {
    await o.backend.close();
  }
  const diverged = out.filter((c) => realDiverged(c.real)).length;
  return { cells: out, diverged, kernel, accel, clock };
}
