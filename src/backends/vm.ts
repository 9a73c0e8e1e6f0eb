/**
 * `--backend vm:KERNEL`: a prepared Debian kernel (`vdpa-lab kernels
 * prepare`) booted under QEMU once per run, every script a job in that
 * boot, with the parent loaded as the script's open lines ask. Its parents
 * (vm-parents.ts) are vdpa_sim_net (2 address spaces, 2 groups, 3
 * virtqueues), on 6.12 and 7.2 a VDUSE device the lab's companion serves
 * (real/vduse.ts), and for platform-iommu vp_vdpa on a virtio-net-pci device
 * behind QEMU's intel-iommu (1 address space, 1 group, 3 virtqueues:
 * real/platform-iommu.ts).
 */
import type { SessionOverrides } from '../kernel/index.js';
import { BACKINGS } from '../host/index.js';
import type { Backend, BackendCapabilities, BackendOptions, BackendResult, KernelFacts, ScriptJob } from './backend.js';
import { validateAndPlan } from './jobs.js';
import { vmParents } from './vm-parents.js';

/** Loaded on first use: the model and device backends never need the VM's modules. */
const vmBackend = () => import('../real/vm-backend.js');

/** vdpa_sim_net's virtqueues (drivers/vdpa/vdpa_sim/vdpa_sim_net.c VDPASIM_NET_VQ_NUM), and the VM's virtio-net-pci's (one pair and the CVQ). */
const SIM_NET_VQS = 3;

export class VmBackend implements Backend {
  readonly label: string;
  readonly capabilities: BackendCapabilities;
  private facts: KernelFacts | undefined;

  constructor(
    private readonly kernel: string,
    private readonly options: BackendOptions,
  ) {
    this.label = `vm:${kernel}`;
    this.capabilities = { real: true, dump: false, check: false, ...vmParents(kernel), backings: BACKINGS, reservesHugePages: true, fixedVqs: SIM_NET_VQS };
  }

  async open(): Promise<KernelFacts> {
    this.facts ??= (await vmBackend()).realKernelFacts(this.kernel);
    return this.facts;
  }

  async run(jobs: ScriptJob[], overrides: SessionOverrides): Promise<BackendResult> {
    const facts = await this.open();
    const plans = validateAndPlan(jobs, overrides, facts, true, this.capabilities);
    const vm = await (await vmBackend()).runScriptsInVm(this.kernel, jobs, plans, this.options);
    return { kernel: vm.release, accel: vm.accel, ...(vm.clock === 'icount' ? { clock: 'icount' as const } : {}), scripts: vm.scripts };
  }

  async close(): Promise<void> {}
}
