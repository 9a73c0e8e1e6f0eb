/**
 * VDUSE as a real parent in the VM (issue #29): which prepared kernels can
 * have it, what a script's open line may ask of it, and the companion that
 * is the device (native/vduse/vduse-dev.c, dist/native/vduse-dev).
 *
 * The device is what the model's VDUSE parent is: a virtio-net VDUSE device of
 * API version 0, so one virtqueue group and one address space
 * (vduse_dev_init_vdpa: vdpa_alloc_device(..., 1, 1, name, true) in 6.12;
 * dev->ngroups = dev->nas = 1 below VDUSE_API_VERSION_1 in 7.2), use_va, and
 * no .get_iova_range, so vhost-vdpa offers [0, 2^64-1]. Its virtqueue count
 * is the script's (VDUSE_CREATE_DEV vq_num), 3 unless the script says.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InputError, VdpaLabError } from '../errors.js';
import { U64_MAX } from '../iotlb/index.js';
import { DEFAULT_NVQS, type OpenLine } from '../kernel/index.js';
import type { RealKernel } from './kernels.js';

/** The module a VDUSE job loads (drivers/vdpa/vdpa_user: vduse_dev.c, iova_domain.c). */
export const VDUSE_MODULE = 'vduse';

/** Virtio-net VDUSE devices arrived in v6.8: 894452180d73 "vduse: enable Virtio-net device type" (Maxime Coquelin). */
export const VDUSE_NET_SINCE = '894452180d73 "vduse: enable Virtio-net device type" (Maxime Coquelin), merged for v6.8: before it VDUSE allowed virtio-blk only (allowed_device_id)';

/** Why kernel `k`'s VM cannot have a VDUSE device, or null when it can. */
export function vduseMissing(k: RealKernel): string | null {
  if (k.parentModules?.includes(VDUSE_MODULE)) return null;
  return `vm:${k.alias} (${k.release}) has no ${VDUSE_MODULE} module for a virtio-net device: ${k.noVduse ?? `Debian's ${k.alias} build has none`}`;
}

/** What a VDUSE device of the VM is asked for by the script's open lines. */
export interface VduseParams {
  /** VDUSE_CREATE_DEV vq_num for every device of the script. */
  vqs: number;
}

/** API version 0: one group, one address space. */
const VDUSE_AS = 1;
const VDUSE_GROUPS = 1;

/** Checks one open line against the device the companion makes; `where` names the line's field. */
export function vduseParamsOf(o: OpenLine, where: (field: string) => string): VduseParams {
  if (o.nas !== VDUSE_AS) throw new InputError(where('nas'), `a VDUSE device (API version 0) has ${VDUSE_AS} address space, the script asks for ${o.nas}`);
  if (o.ngroups !== VDUSE_GROUPS) throw new InputError(where('ngroups'), `a VDUSE device (API version 0) has ${VDUSE_GROUPS} virtqueue group, the script asks for ${o.ngroups}`);
  if (o.iovaRange.first !== 0n || o.iovaRange.last !== U64_MAX) {
    throw new InputError(where('iovaRange'), 'VDUSE has no .get_iova_range, so vhost-vdpa offers [0, 2^64-1]; a real kernel cannot narrow it');
  }
  return { vqs: o.nvqs ?? DEFAULT_NVQS.vduse };
}

/** dist/src/real/vduse.js -> dist/native/vduse-dev. */
export function defaultVduseCompanionPath(): string {
  return fileURLToPath(new URL('../../native/vduse-dev', import.meta.url));
}

/** The companion's path, or an environment failure (exit 1) saying how to get what is missing. */
export function requireVduseCompanion(k: { release: string; moduleParams: Record<string, string[]> }, path = defaultVduseCompanionPath()): string {
  if (!k.moduleParams[VDUSE_MODULE]) {
    throw new VdpaLabError(`the prepared kernel ${k.release} has no ${VDUSE_MODULE} module in its initramfs: prepare it again with this version of the lab (vdpa-lab kernels prepare)`);
  }
  if (!existsSync(path)) {
    throw new VdpaLabError(`the VDUSE companion is not built (${path}): install gcc and the static C library (apt-get install gcc libc6-dev), then npm run build`);
  }
  return path;
}
