/**
 * The real kernels the lab can boot: Debian bookworm's 6.1 (legacy generation,
 * parents wipe maps in .reset) and its 6.12 backport (reset_map generation).
 * Versions are pinned: a cache entry is only valid for exactly these packages.
 */
import { InputError } from '../errors.js';
import type { KernelGeneration } from '../kernel/index.js';

/** A Debian package pinned to one version (`apt-get download NAME=VERSION`). */
export interface PinnedDeb {
  name: string;
  version: string;
}

export interface RealKernel {
  /** What users type: `6.1`, `6.12`. */
  alias: string;
  /** The guest's `uname -r`, also the modules directory name. */
  release: string;
  generation: KernelGeneration;
  image: PinnedDeb;
  headers: PinnedDeb;
  headersCommon: PinnedDeb;
  kbuild: PinnedDeb;
  /** Holds linux-source-X.tar.xz; its version must match the image's. */
  source: PinnedDeb;
  /** Modules the Debian build lacks, built out of tree from `source`. */
  buildModules: readonly OutOfTreeModule[];
  /**
   * Where, under lib/modules/RELEASE/, the image keeps the modules the guest
   * loads and their dependencies. Only these are unpacked; a dependency
   * elsewhere is an error naming it (collect-modules.ts).
   */
  imageModuleDirs: readonly string[];
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

export const REAL_KERNELS: readonly RealKernel[] = [
  {
    alias: '6.1',
    release: '6.1.0-56-amd64',
    generation: 'legacy',
    image: { name: 'linux-image-6.1.0-56-amd64-unsigned', version: '6.1.192-2' },
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
    ],
    imageModuleDirs: ['kernel/drivers/vhost', 'kernel/virt/lib'],
  },
  {
    alias: '6.12',
    release: '6.12.117+deb12-amd64',
    generation: 'reset-map',
    image: { name: 'linux-image-6.12.117+deb12-amd64-unsigned', version: '6.12.117-1~deb12u1' },
    headers: { name: 'linux-headers-6.12.117+deb12-amd64', version: '6.12.117-1~deb12u1' },
    headersCommon: { name: 'linux-headers-6.12.117+deb12-common', version: '6.12.117-1~deb12u1' },
    kbuild: { name: 'linux-kbuild-6.12.117+deb12', version: '6.12.117-1~deb12u1' },
    source: { name: 'linux-source-6.12', version: '6.12.117-1~deb12u1' },
    // Debian's 6.12 ships vdpa and vhost_vdpa but neither VDPA_SIM nor VHOST_RING.
    buildModules: [VRINGH, VDPA_SIM, VDPA_SIM_NET],
    imageModuleDirs: ['kernel/drivers/vhost', 'kernel/drivers/vdpa', 'kernel/virt/lib'],
  },
];

/**
 * Modules the guest loads, in the image or built: the per-job trio that is
 * reloaded with each job's parameters, after the base it depends on.
 */
export const JOB_MODULES = ['vdpa_sim', 'vdpa_sim_net', 'vhost_vdpa'] as const;
export type JobModule = (typeof JOB_MODULES)[number];

/** Modules the guest needs; their dependencies are added from each module's `depends`. */
export const WANTED_MODULES = ['vhost', 'vhost_iotlb', 'vdpa', 'vhost_vdpa', 'vringh', 'vdpa_sim', 'vdpa_sim_net'] as const;

/** Accepts an alias (`6.12`) or a full release (`6.12.117+deb12-amd64`). */
export function resolveKernel(name: string, where = '--kernel'): RealKernel {
  const wanted = name.trim();
  const found = REAL_KERNELS.find((k) => k.alias === wanted || k.release === wanted);
  if (!found) {
    const known = REAL_KERNELS.map((k) => `${k.alias} (${k.release})`).join(', ');
    throw new InputError(where, `unknown kernel '${name}' (known: ${known})`);
  }
  return found;
}

/** Every deb one kernel needs, userspace included. */
export function kernelDebs(k: RealKernel): PinnedDeb[] {
  return [k.image, k.headers, k.headersCommon, k.kbuild, k.source, ...USERSPACE_DEBS];
}
