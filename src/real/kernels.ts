/**
 * The real kernels the lab can boot: Debian bookworm's 6.1 (legacy generation,
 * parents wipe maps in .reset), its 6.12 backport (reset_map generation) and
 * unstable's 7.2 (reset_map generation, the newest Debian ships).
 * Versions are pinned: a cache entry is only valid for exactly these packages.
 */
import { InputError } from '../errors.js';
import type { KernelGeneration } from '../kernel/index.js';

/** A Debian package pinned to one version (`apt-get download NAME=VERSION`). */
export interface PinnedDeb {
  name: string;
  version: string;
}

/** Debian suites a kernel (or a QEMU, real/qemu/releases.ts) comes from: bookworm through the system's apt, the others through the lab's own (apt-suite.ts). */
export type DebianSuite = 'bookworm' | 'trixie' | 'sid';

export interface RealKernel {
  /** What users type: `6.1`, `6.12`, `7.2`. */
  alias: string;
  /** The guest's `uname -r`, also the modules directory name. */
  release: string;
  generation: KernelGeneration;
  suite: DebianSuite;
  /** The package holding vmlinuz, and with it the modules unless `modulesDeb` is given. */
  image: PinnedDeb;
  /** Unstable splits the image: vmlinuz in linux-binary-*, the modules in linux-modules-* (110 MB). */
  modulesDeb?: PinnedDeb;
  /** `./`-rooted path of vmlinuz in `image`. */
  vmlinuzPath: string;
  /** `./`-rooted path of lib/modules/RELEASE in the package holding the modules. */
  modulesPath: string;
  headers: PinnedDeb;
  headersCommon: PinnedDeb;
  kbuild: PinnedDeb;
  /** Holds linux-source-X.tar.xz; its version must match the image's. */
  source: PinnedDeb;
  /** Modules the Debian build lacks, built out of tree from `source`. */
  buildModules: readonly OutOfTreeModule[];
  /** Modules of parents besides vdpa_sim that the image ships, loaded per job (vduse: real/vduse.ts). */
  parentModules?: readonly string[];
  /** Why this kernel has no VDUSE device for the guest, where it has none. */
  noVduse?: string;
  /**
   * Where, under lib/modules/RELEASE/, the image keeps the modules the guest
   * loads and their dependencies. Only these are unpacked; a dependency
   * elsewhere is an error naming it (collect-modules.ts).
   */
  imageModuleDirs: readonly string[];
  /** Extra `make` variables for the out-of-tree build (why: beside each kernel below). */
  makeVars: readonly string[];
  /**
   * Kbuild host tools built against a newer glibc than this host's: the
   * suite's runtime libraries, and the tools (paths under the kbuild
   * package's /usr/lib/linux-kbuild-X/) run through that suite's loader.
   */
  kbuildRuntime?: { debs: readonly PinnedDeb[]; tools: readonly string[] };
}

/** One module built out of tree: its name and the source files (paths inside linux-source-X/). */
export interface OutOfTreeModule {
  name: string;
  sources: readonly string[];
}

/** Userspace for the guest: busybox (shell, insmod) and iproute2's `vdpa` tool. Same for both kernels. */
export const USERSPACE_DEBS: readonly PinnedDeb[] = [
  { name: 'busybox-static', version: '1:1.35.0-4+deb12u1+b1' },
  { name: 'iproute2', version: '6.1.0-3' },
];

const VRINGH: OutOfTreeModule = { name: 'vringh', sources: ['drivers/vhost/vringh.c'] };
const VDPA_SIM: OutOfTreeModule = {
  name: 'vdpa_sim',
  sources: ['drivers/vdpa/vdpa_sim/vdpa_sim.c', 'drivers/vdpa/vdpa_sim/vdpa_sim.h'],
};
const VDPA_SIM_NET: OutOfTreeModule = {
  name: 'vdpa_sim_net',
  sources: ['drivers/vdpa/vdpa_sim/vdpa_sim_net.c', 'drivers/vdpa/vdpa_sim/vdpa_sim.h'],
};
/** The platform-IOMMU parent (platform-iommu.ts): no Debian build sets CONFIG_VP_VDPA (6.1.192, 6.12.117, 7.2.13 configs). */
const VP_VDPA: OutOfTreeModule = { name: 'vp_vdpa', sources: ['drivers/vdpa/virtio_pci/vp_vdpa.c'] };

export const REAL_KERNELS: readonly RealKernel[] = [
  {
    alias: '6.1',
    release: '6.1.0-56-amd64',
    generation: 'legacy',
    suite: 'bookworm',
    image: { name: 'linux-image-6.1.0-56-amd64-unsigned', version: '6.1.192-2' },
    vmlinuzPath: './boot/vmlinuz-6.1.0-56-amd64',
    modulesPath: './lib/modules/6.1.0-56-amd64',
    headers: { name: 'linux-headers-6.1.0-56-amd64', version: '6.1.192-2' },
    headersCommon: { name: 'linux-headers-6.1.0-56-common', version: '6.1.192-2' },
    // Only -3 of kbuild is published; it is the build tooling, not the kernel, so it still fits -2's headers.
    kbuild: { name: 'linux-kbuild-6.1', version: '6.1.192-3' },
    source: { name: 'linux-source-6.1', version: '6.1.192-2' },
    // Debian's 6.1 config leaves CONFIG_VDPA unset: the whole vdpa stack is built here.
    buildModules: [
      { name: 'vdpa', sources: ['drivers/vdpa/vdpa.c'] },
      { name: 'vhost_vdpa', sources: ['drivers/vhost/vdpa.c', 'drivers/vhost/vhost.h'] },
      VRINGH,
      VDPA_SIM,
      VDPA_SIM_NET,
      VP_VDPA,
    ],
    // v6.1's vduse_dev.c allows VIRTIO_ID_BLOCK only; virtio-net came in v6.8 (real/vduse.ts VDUSE_NET_SINCE).
    noVduse: "Debian's 6.1 build leaves CONFIG_VDPA unset (no vduse.ko), and v6.1's VDUSE allows virtio-blk only (virtio-net from v6.8: 894452180d73 \"vduse: enable Virtio-net device type\")",
    // drivers/virtio: vp_vdpa's virtio_pci_modern_dev (CONFIG_VIRTIO_PCI_LIB=m in 6.1, built in from 6.12).
    imageModuleDirs: ['kernel/drivers/vhost', 'kernel/virt/lib', 'kernel/drivers/virtio'],
    makeVars: [],
  },
  {
    alias: '6.12',
    release: '6.12.117+deb12-amd64',
    generation: 'reset-map',
    suite: 'bookworm',
    image: { name: 'linux-image-6.12.117+deb12-amd64-unsigned', version: '6.12.117-1~deb12u1' },
    vmlinuzPath: './boot/vmlinuz-6.12.117+deb12-amd64',
    modulesPath: './lib/modules/6.12.117+deb12-amd64',
    headers: { name: 'linux-headers-6.12.117+deb12-amd64', version: '6.12.117-1~deb12u1' },
    headersCommon: { name: 'linux-headers-6.12.117+deb12-common', version: '6.12.117-1~deb12u1' },
    kbuild: { name: 'linux-kbuild-6.12.117+deb12', version: '6.12.117-1~deb12u1' },
    source: { name: 'linux-source-6.12', version: '6.12.117-1~deb12u1' },
    // Debian's 6.12 ships vdpa and vhost_vdpa but neither VDPA_SIM nor VHOST_RING.
    buildModules: [VRINGH, VDPA_SIM, VDPA_SIM_NET, VP_VDPA],
    // CONFIG_VDPA_USER=m: drivers/vdpa/vdpa_user/vduse.ko, virtio-net allowed (v6.8+).
    parentModules: ['vduse'],
    imageModuleDirs: ['kernel/drivers/vhost', 'kernel/drivers/vdpa', 'kernel/virt/lib'],
    makeVars: [],
  },
  {
    alias: '7.2',
    release: '7.2.13+deb14-amd64',
    generation: 'reset-map',
    // What unstable holds on 2026-12-07 (STACK.md, "Newer Debian suites").
    suite: 'sid',
    image: { name: 'linux-binary-7.2.13+deb14-amd64', version: '7.2.13-1' },
    modulesDeb: { name: 'linux-modules-7.2.13+deb14-amd64', version: '7.2.13-1' },
    vmlinuzPath: './usr/lib/modules/7.2.13+deb14-amd64/vmlinuz',
    modulesPath: './usr/lib/modules/7.2.13+deb14-amd64',
    headers: { name: 'linux-headers-7.2.13+deb14-amd64', version: '7.2.13-1' },
    headersCommon: { name: 'linux-headers-7.2.13+deb14-common', version: '7.2.13-1' },
    kbuild: { name: 'linux-kbuild-7.2.13+deb14', version: '7.2.13-1' },
    source: { name: 'linux-source-7.2', version: '7.2.13-1' },
    // Like 6.12: vdpa, vhost_vdpa, vhost_iotlb (and vduse) ship; VDPA_SIM and VHOST_RING do not (its .config).
    buildModules: [VRINGH, VDPA_SIM, VDPA_SIM_NET, VP_VDPA],
    parentModules: ['vduse'],
    imageModuleDirs: ['kernel/drivers/vhost', 'kernel/drivers/vdpa', 'kernel/virt/lib'],
    makeVars: [
      // Debian built 7.2 with gcc-16; this host has bookworm's gcc-12, which has
      // neither -fmin-function-alignment (gcc 14) nor counted_by (a warning only).
      // Without the switch, the Makefile asks for -falign-functions=16 instead:
      // the same alignment for every function the modules define.
      'CC=gcc-12',
      'CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=',
    ],
    kbuildRuntime: {
      // modpost and objtool of unstable's kbuild want glibc 2.38 (and objtool libelf);
      // bookworm has 2.36. Versions as unstable holds them on 2026-12-07.
      debs: [
        { name: 'libc6', version: '2.43-7' },
        { name: 'libelf1t64', version: '0.196-1' },
        { name: 'zlib1g', version: '1:1.3.dfsg+really1.3.2-4' },
        { name: 'libzstd1', version: '1.5.7+dfsg-4' },
      ],
      tools: ['scripts/mod/modpost.real-lsb-64', 'tools/objtool/objtool.real-x86'],
    },
  },
];

/**
 * Modules the guest loads, in the image or built: the per-job trio that is
 * reloaded with each job's parameters, after the base it depends on, and
 * vduse, loaded only for a VDUSE job (where the kernel has it).
 */
export const JOB_MODULES = ['vdpa_sim', 'vdpa_sim_net', 'vhost_vdpa', 'vduse'] as const;
export type JobModule = (typeof JOB_MODULES)[number];

/**
 * Modules a parent's own job setup loads (platform-iommu.ts), never at boot: vp_vdpa would claim
 * every virtio PCI device (PCI_ANY_ID of Red Hat/Qumranet) a boot without that parent has.
 */
export const PARENT_MODULES = ['vp_vdpa'] as const;

/** Modules the guest needs; their dependencies are added from each module's `depends`. */
export const WANTED_MODULES = ['vhost', 'vhost_iotlb', 'vdpa', 'vhost_vdpa', 'vringh', 'vdpa_sim', 'vdpa_sim_net', ...PARENT_MODULES] as const;

/** The upstream version of a Debian release: `7.2.13+deb14-amd64` -> `7.2.13`; 6.1's ABI name has none. */
function upstreamVersion(k: RealKernel): string {
  return k.image.version.replace(/-[^-]*$/, '');
}

/** Accepts an alias (`6.12`), a full release (`6.12.117+deb12-amd64`) or its upstream version (`7.2.13`). */
export function resolveKernel(name: string, where = '--kernel'): RealKernel {
  const wanted = name.trim();
  const found = REAL_KERNELS.find((k) => k.alias === wanted || k.release === wanted || upstreamVersion(k) === wanted);
  if (!found) {
    const known = REAL_KERNELS.map((k) => `${k.alias} (${k.release})`).join(', ');
    throw new InputError(where, `unknown kernel '${name}' (known: ${known})`);
  }
  return found;
}

/** The debs fetched from the kernel's own suite (the userspace ones always come from bookworm). */
export function suiteDebs(k: RealKernel): PinnedDeb[] {
  return [k.image, ...(k.modulesDeb ? [k.modulesDeb] : []), k.headers, k.headersCommon, k.kbuild, k.source, ...(k.kbuildRuntime?.debs ?? [])];
}

/** Every deb one kernel needs, userspace included (6.1's and 6.12's lists as before, so their cache entries stay valid). */
export function kernelDebs(k: RealKernel): PinnedDeb[] {
  return [...suiteDebs(k), ...USERSPACE_DEBS];
}
