/**
 * `--backend vm:KERNEL`: a prepared Debian kernel (`vdpa-lab kernels
 * prepare`) booted under QEMU once per run, every script a job in that
 * boot, with vdpa_sim loaded as the script's open lines ask. Its parents are
 * vdpa_sim_net (2 address spaces, 2 groups, 3 virtqueues) and, for
 * platform-iommu, vp_vdpa on a virtio-net-pci device behind QEMU's
 * intel-iommu (1 address space, 1 group, 3 virtqueues: real/platform-iommu.ts).
 */
import type { SessionOverrides } from '../kernel/index.js';
import { BACKINGS } from '../host/index.js';
import type { Backend, BackendCapabilities, BackendOptions, BackendResult, KernelFacts, ScriptJob } from './backend.js';
import { validateAndPlan } from './jobs.js';

/** Loaded on first use: the model and device backends never need the VM's modules. */
const vmBackend = () => import('../real/vm-backend.js');

/** vdpa_sim_net's virtqueues (drivers/vdpa/vdpa_sim/vdpa_sim_net.c VDPASIM_NET_VQ_NUM), and the VM's virtio-net-pci's (one pair and the CVQ). */
const SIM_NET_VQS = 3;

export class VmBackend implements Backend {
  readonly label: string;
  readonly capabilities: BackendCapabilities = { real: true, dump: false, check: false, parents: ['vdpa_sim', 'platform-iommu'], backings: BACKINGS, reservesHugePages: true, fixedVqs: SIM_NET_VQS };
  private facts: KernelFacts | undefined;

  constructor(
    private readonly kernel: string,
    private readonly options: BackendOptions,
  ) {
    this.label = `vm:${kernel}`;
  }

  async open(): Promise<KernelFacts> {
    this.facts ??= (await vmBackend()).realKernelFacts(this.kernel);
    return this.facts;
  }

  async run(jobs: ScriptJob[], overrides: SessionOverrides): Promise<BackendResult> {
    const facts = await this.open();
    const plans = validateAndPlan(jobs, overrides, facts, true);
    const vm = await (await vmBackend()).runScriptsInVm(this.kernel, jobs, plans, this.options);
    return { kernel: vm.release, accel: vm.accel, scripts: vm.scripts };
  }

  async close(): Promise<void> {}
}
