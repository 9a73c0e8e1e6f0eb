/**
 * `vdpa-lab bench kernel`: real-kernel figures (a prepared Debian kernel
 * under QEMU) beside the model's modeled ones, never in one number.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadProfile } from '../cost/index.js';
import { BACKINGS, type Backing } from '../host/index.js';
import { runKernelBench, type KernelBenchRow } from '../bench/kernel-bench.js';
import type { BenchFlow, BenchParent, BenchVariant, KernelBenchCase } from '../bench/kernel-bench-scripts.js';
import { resolveProfilePath } from '../workload/index.js';
// A --profile path is the user's, relative to the working directory (a bare name is workloads/profiles/NAME.json).
import { fmtDuration, fmtRatio, textTable } from '../text-format.js';
import { createBackend } from '../backends/index.js';
import { InputError } from '../errors.js';
import { parseBackend, type BackendSpec } from '../real/backend-spec.js';
import { action } from './run-action.js';
import { checkClock, choiceList, clockOption, positiveInt } from './parse-options.js';

interface Options {
  kernel?: BackendSpec;
  backend?: BackendSpec;
  parent: BenchParent;
  backing: Backing[];
  gib: number[];
  variants: BenchVariant[];
  flows: BenchFlow[];
  cycles: number;
  profile: string;
  accel: 'auto' | 'kvm' | 'tcg';
  clock: 'wall' | 'icount';
  timeout?: number;
  json?: boolean;
  quiet?: boolean;
}

const ACCELS = ['auto', 'kvm', 'tcg'] as const;

function gibList(text: string): number[] {
  return text.split(',').map((t) => positiveInt('--gib')(t.trim()));
}

function perPage(ns: number, pages: number): string {
  return pages ? fmtDuration(ns / pages) : '-';
}

export function renderKernelBench(rows: KernelBenchRow[]): string {
  const parent = rows[0]?.parent === 'platform-iommu' ? 'vp_vdpa behind intel-iommu (platform-iommu)' : 'vdpa_sim (use_va=0)';
  const head = rows[0] ? `Real: ${rows[0].kernel}, ${parent}, ${rows[0].accel.toUpperCase()}${rows[0].clock === 'icount' ? ' icount (1 ns per guest instruction)' : ''}: time in the syscalls, median of ${rows[0].cycles} reset cycles.\nModeled: the same script's counters x the ${rows[0].modeled.profile} profile. Never one number.\n` : '';
  const table = rows.map((r) => [
    `${r.variant} ${r.backing} ${r.gib}GiB`,
    r.flow,
    fmtDuration(r.real.firstMapNs),
    fmtDuration(r.real.resetNs),
    fmtDuration(r.real.cycleNs),
    perPage(r.real.remapNs, r.pages),
    perPage(r.modeled.remapNs, r.pages),
    perPage(r.real.unmapNs, r.pages),
    perPage(r.modeled.unmapNs, r.pages),
    fmtDuration(r.modeled.cycleNs),
    r.error ? `error: ${r.error}` : '',
  ]);
  const ratios: string[][] = [];
  for (const w of rows.filter((r) => r.flow === 'workaround')) {
    const p = rows.find((r) => r.flow === 'persist' && r.variant === w.variant && r.backing === w.backing && r.gib === w.gib);
    if (p) ratios.push([`${w.variant} ${w.backing} ${w.gib}GiB`, fmtRatio(w.real.cycleNs / p.real.cycleNs), fmtRatio(w.modeled.cycleNs / p.modeled.cycleNs)]);
  }
  return (
    head +
    textTable(['guest', 'flow', 'real first map', 'real reset', 'real cycle', 'map/page real', 'modeled', 'unmap/page real', 'modeled', 'modeled cycle', ''], table) +
    (ratios.length ? `\n\nworkaround/persist per reset cycle:\n${textTable(['guest', 'real', 'modeled'], ratios)}` : '') +
    '\n'
  );
}

export function registerBenchKernel(program: Command): void {
  const bench = program.commands.find((c) => c.name() === 'bench');
  if (!bench) throw new Error('registerBenchKernel: the bench command must be registered first');
  bench
    .command('kernel')
    .description('real cost of UPDATE (pin+map), INVALIDATE (unpin+unmap) and SET_STATUS 0 on a real kernel in a VM, beside the modeled cost')
    .option('--kernel <name>', 'a prepared kernel (vdpa-lab kernels list): the same as --backend vm:NAME', (t: string): BackendSpec => parseBackend(`vm:${t}`, '--kernel'))
    .option('--backend <backend>', 'who runs the scripts: vm:KERNEL (default vm:6.12) or device:/dev/vhost-vdpa-N (a vdpa_sim device here)', (t: string) => parseBackend(t))
    .option('--backing <list>', `guest memory backing: ${BACKINGS.join(', ')} (the VM reserves the huge pages hugetlb needs)`, choiceList('--backing', BACKINGS), [...BACKINGS])
    .option('--gib <list>', 'guest sizes in GiB', gibList, [1])
    .option('--parent <parent>', 'vdpa_sim, or platform-iommu (vp_vdpa on virtio-net-pci behind an emulated IOMMU; --variants does not apply)', (t) => choiceList('--parent', ['vdpa_sim', 'platform-iommu'] as const)(t)[0], 'vdpa_sim')
    .option('--variants <list>', 'vdpa_sim batch_mapping: set_map (1), dma_map (0)', choiceList('--variants', ['set_map', 'dma_map'] as const), ['set_map', 'dma_map'])
    .option('--flows <list>', 'workaround (unmap + remap around each reset), persist (PERSIST acked: the reset alone)', choiceList('--flows', ['workaround', 'persist'] as const), ['workaround', 'persist'])
    .option('--cycles <n>', 'reset cycles per case; figures are medians', positiveInt('--cycles'), 3)
    .option('--profile <name|path>', 'cost profile for the modeled column', 'default')
    .option('--accel <accel>', 'auto (KVM if it really boots here, else TCG), kvm or tcg', (t) => choiceList('--accel', ACCELS)(t)[0], 'auto')
    .option('--clock <clock>', "the VM's guest clock the probe times by: wall, or icount (1 ns per guest instruction: the same on every run; TCG only)", clockOption, 'wall')
    .option('--timeout <seconds>', 'give up on the VM when it goes this long without progress (booting, finishing the cases)', positiveInt('--timeout'))
    .option('--json', 'print rows as JSON')
    .option('--quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      `
Needs \`vdpa-lab kernels prepare\` once. One VM boot runs every case. The persist flow
needs a kernel that offers IOTLB_PERSIST (6.12, 7.2; on 6.1 those rows report the refusal).
Figures taken under TCG are TCG figures, not native timings: the accelerator is named.

Examples:
  vdpa-lab bench kernel
  vdpa-lab bench kernel --kernel 6.12 --backing 4k --gib 1,4 --json > kernel.json
  vdpa-lab bench kernel --kernel 7.2 --backing 4k,thp --gib 1
  vdpa-lab bench kernel --parent platform-iommu --backing thp --gib 1 --cycles 2`,
    )
    .action(
      action(async (o: Options) => {
        const cases: KernelBenchCase[] = [];
        // The platform-IOMMU parent has one map path (iommu_map per run): no batch_mapping variants.
        const iommu = o.parent === 'platform-iommu';
        const variants: BenchVariant[] = iommu ? ['iommu'] : o.variants;
        for (const variant of variants) for (const backing of o.backing) for (const gib of o.gib) for (const flow of o.flows) cases.push({ ...(iommu ? { parent: o.parent } : {}), variant, backing, gib, flow });
        const profile = loadProfile(resolveProfilePath(o.profile, join(process.cwd(), 'cli'))).profile;
        if (o.kernel && o.backend) throw new InputError('--backend', 'names the kernel itself; drop --kernel');
        checkClock(o.clock, o.accel, (o.backend ?? o.kernel ?? { kind: 'vm' }).kind);
        const backend = createBackend(o.backend ?? o.kernel ?? { kind: 'vm', kernel: '6.12' }, {
          accel: o.accel,
          clock: o.clock,
          timeoutMs: o.timeout === undefined ? undefined : o.timeout * 1000,
          onProgress: o.quiet ? undefined : (l) => process.stderr.write(`${l}\n`),
        });
        if (!backend.capabilities.real) throw new InputError('--backend', `${backend.label} measures nothing: bench kernel needs a real kernel (vm:KERNEL or device:PATH)`);
        const rows = await runKernelBench({ backend, cases, cycles: o.cycles, profile });
        process.stdout.write(o.json ? JSON.stringify(rows, null, 2) + '\n' : renderKernelBench(rows));
        return rows.some((r) => r.error) ? 1 : 0;
      }),
    );
}
