/**
 * The platform-IOMMU parent in a VM: vp_vdpa (drivers/vdpa/virtio_pci/vp_vdpa.c)
 * turns a virtio-net-pci device into a vDPA device with neither .set_map nor
 * .dma_map, so vhost-vdpa maps through an IOMMU domain of its own
 * (vhost_vdpa_alloc_domain at open, iommu_map per run).
 *
 * Which IOMMU: vhost_vdpa_alloc_domain refuses a device whose IOMMU lacks
 * IOMMU_CAP_CACHE_COHERENCY (ENOTSUPP at open). intel_iommu_capable answers
 * true for it in 6.1.192, 6.12.117 and 7.2.13 (drivers/iommu/intel/iommu.c),
 * and Debian builds intel-iommu in (CONFIG_INTEL_IOMMU=y, not default-on:
 * `intel_iommu=on`). virtio-iommu would answer true as well (viommu_capable)
 * but 6.1's config leaves CONFIG_VIRTIO_IOMMU unset: QEMU's intel-iommu
 * serves all three kernels. It needs the q35 machine and must come before
 * the devices it translates; `iommu_platform=on` makes virtio-net-pci's DMA
 * go through it, `disable-legacy=on` makes it a modern device (0x1041), the
 * only kind vp_modern_probe takes.
 */
import { InputError } from '../errors.js';
import { defaultIovaRange, PLATFORM_IOMMU_AW_BITS, type OpenLine } from '../kernel/index.js';
import type { RealKernel } from './kernels.js';

/** The module, built out of tree for every kernel (kernels.ts: no Debian config sets CONFIG_VP_VDPA). */
export const VP_VDPA_MODULE = 'vp_vdpa';
/**
 * Why kernel `k`'s VM cannot have the platform-IOMMU parent, or null when it
 * can: the kernel table must build vp_vdpa, and a prepared kernel (`modules`:
 * its modules' parameters, undefined when not prepared) must hold it, which
 * one prepared before the module was added does not.
 */
export function vpVdpaMissing(k: RealKernel, modules: Record<string, string[]> | undefined): string | null {
  if (!k.buildModules.some((m) => m.name === VP_VDPA_MODULE)) return `vm:${k.alias} (${k.release}) has no ${VP_VDPA_MODULE} module: the lab builds none for it`;
  if (modules && !(VP_VDPA_MODULE in modules)) {
    return `kernel ${k.alias} (${k.release}) cannot provide platform-iommu: its prepared modules have no ${VP_VDPA_MODULE} (run 'vdpa-lab kernels prepare --kernel ${k.alias}' to build it)`;
  }
  return null;
}

/** Its PCI driver's name, as driver_override and /sys/bus/pci/drivers/ spell it (vp_vdpa_driver.name). */
const VP_VDPA_PCI_DRIVER = 'vp-vdpa';

/**
 * The device shape: vp_vdpa_dev_add allocates 1 group and 1 address space
 * (vdpa_alloc_device(..., 1, 1, ...)), and vhost_vdpa_probe refuses a
 * platform-IOMMU parent with more of either. nvqs is the device's
 * num_queues: virtio-net-pci with one queue pair and its control VQ (QEMU's
 * defaults: mq off, ctrl_vq on).
 */
export const VP_VDPA_SHAPE = { nas: 1, ngroups: 1, nvqs: 3 } as const;

/**
 * Guest address width of QEMU's intel-iommu, given explicitly (QEMU 7.2's
 * default is 39 bits, later releases' 48): vhost_vdpa_set_iova_range takes
 * the domain's aperture when the parent has no .get_iova_range (vp_vdpa has
 * none), so the IOVA range the device offers follows from it.
 */
export const IOMMU_AW_BITS = PLATFORM_IOMMU_AW_BITS;

/** What the VM's QEMU and kernel command lines gain when a run has platform-IOMMU scripts. */
export function platformIommuVm(devices: number): { qemuArgs: string[]; kernelArgs: string } {
  const nics = Array.from({ length: devices }, () => [
    '-device',
    // No netdev: the NIC has no peer (as -nic none), and romfile= keeps QEMU from looking for an option ROM.
    'virtio-net-pci,disable-legacy=on,iommu_platform=on,romfile=',
  ]).flat();
  return {
    // intremap=off: interrupt remapping would need a split irqchip under KVM, and nothing here uses it.
    qemuArgs: ['-machine', 'q35', '-device', `intel-iommu,intremap=off,aw-bits=${IOMMU_AW_BITS}`, ...nics],
    kernelArgs: 'intel_iommu=on',
  };
}

/** How long the setup waits for /dev/vhost-vdpa-K after `vdpa dev add`, in 0.1 s steps (as the init's own wait). */
const deviceWaitSteps = 100;

/**
 * The job's parent.sh, sourced by the guest's /init (prepare/init-script.ts)
 * with MODS, J, n, k=0 and err set: loads vp_vdpa (once per boot) and the
 * job's vhost_vdpa, hands each virtio-net-pci device to vp_vdpa
 * (driver_override, then a probe: 6.12 and 7.2 build virtio_pci in, which
 * took the device at boot), adds vdpa$k on its mgmtdev pci/BDF and waits for
 * /dev/vhost-vdpa-$k. Teardown is the init's own (vdpa dev del, rmmod
 * vhost_vdpa); vp_vdpa stays bound for the next job.
 */
export function platformIommuSetup(): string {
  const oneLine = (file: string) => `$(tr '\\n' ' ' <${file})`;
  return [
    `# vp_vdpa on the VM's virtio-net-pci devices (vdpa-lab real/platform-iommu.ts)`,
    `if [ ! -d /sys/module/${VP_VDPA_MODULE} ] && ! insmod "$MODS/${VP_VDPA_MODULE}.ko" 2>/tmp/e; then err="insmod ${VP_VDPA_MODULE}: ${oneLine('/tmp/e')}"`,
    `elif ! insmod "$MODS/vhost_vdpa.ko" $(cat $J/vhost_vdpa.params) 2>/tmp/e; then err="insmod vhost_vdpa $(cat $J/vhost_vdpa.params): ${oneLine('/tmp/e')}"`,
    `fi`,
    `for d in /sys/bus/pci/devices/*; do`,
    `  [ -z "$err" ] && [ $k -lt $n ] || break`,
    `  [ "$(cat $d/vendor)" = 0x1af4 ] && [ "$(cat $d/device)" = 0x1041 ] || continue`,
    `  b=\${d##*/}`,
    `  if [ ! -e /sys/bus/pci/drivers/${VP_VDPA_PCI_DRIVER}/$b ]; then`,
    `    echo ${VP_VDPA_PCI_DRIVER} >$d/driver_override`,
    `    [ -e $d/driver ] && echo $b >$d/driver/unbind`,
    `    echo $b >/sys/bus/pci/drivers_probe`,
    `  fi`,
    `  if [ ! -e /sys/bus/pci/drivers/${VP_VDPA_PCI_DRIVER}/$b ]; then err="$b did not bind to ${VP_VDPA_PCI_DRIVER}"; break; fi`,
    `  if ! vdpa dev add mgmtdev pci/$b name vdpa$k 2>/tmp/e; then err="vdpa dev add mgmtdev pci/$b name vdpa$k: ${oneLine('/tmp/e')}"; break; fi`,
    `  w=0`,
    `  while [ ! -c /dev/vhost-vdpa-$k ] && [ $w -lt ${deviceWaitSteps} ]; do usleep 100000; w=$((w+1)); done`,
    `  k=$((k+1))`,
    `  [ -c /dev/vhost-vdpa-$((k-1)) ] || { err="/dev/vhost-vdpa-$((k-1)) did not appear within ${deviceWaitSteps / 10} s after vdpa dev add (pci/$b)"; break; }`,
    `done`,
    `[ -z "$err" ] && [ $k -lt $n ] && err="the VM has $k virtio-net-pci device(s) for ${VP_VDPA_MODULE}, the job needs $n"`,
    '',
  ].join('\n');
}

/**
 * The IOVA range vp_vdpa's device offers: the domain's aperture (no
 * .get_iova_range), [0, 2^aw - 1] for intel-iommu's paging domain: the
 * model's default for the parent (kernel/device-config.ts).
 */
export const VP_VDPA_IOVA_RANGE = defaultIovaRange('platform-iommu');

/** An open line the VM's vp_vdpa device can answer, else InputError naming the field. */
export function checkPlatformIommuOpen(o: OpenLine, where: (field: string) => string): void {
  const shape = (field: 'nas' | 'ngroups', got: number) => {
    if (got !== VP_VDPA_SHAPE[field]) throw new InputError(where(field), `vp_vdpa has ${VP_VDPA_SHAPE[field]} (vp_vdpa_dev_add), the script asks for ${got}`);
  };
  shape('nas', o.nas);
  shape('ngroups', o.ngroups);
  if ((o.nvqs ?? VP_VDPA_SHAPE.nvqs) !== VP_VDPA_SHAPE.nvqs) {
    throw new InputError(where('nvqs'), `the VM's virtio-net-pci has ${VP_VDPA_SHAPE.nvqs} virtqueues (one pair and the control VQ), the script asks for ${String(o.nvqs)}`);
  }
  if (o.parentIotlbLimit !== undefined) throw new InputError(where('parentIotlbLimit'), 'vp_vdpa has no entry limit of its own: its maps live in the IOMMU page tables');
  const r = o.iovaRange;
  if (r.first !== VP_VDPA_IOVA_RANGE.first || r.last !== VP_VDPA_IOVA_RANGE.last) {
    throw new InputError(where('iovaRange'), `the VM's intel-iommu (aw-bits=${IOMMU_AW_BITS}) gives vp_vdpa [0, 2^${IOMMU_AW_BITS}-1]; a script cannot ask for another range`);
  }
}
