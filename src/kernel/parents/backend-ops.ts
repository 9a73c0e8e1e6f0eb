/**
 * The optional vdpa_config_ops that decide which backend features
 * vhost-vdpa offers (VHOST_GET_BACKEND_FEATURES in drivers/vhost/vdpa.c):
 * SUSPEND iff .suspend, RESUME iff .resume, DESC_ASID iff
 * .get_vq_desc_group, plus whatever the parent's .get_backend_features
 * returns (vdpa_sim and mlx5: ENABLE_AFTER_DRIVER_OK). Read from Debian's
 * 6.1.192 and 6.12.117 sources, and confirmed by their real kernels
 * (`exec --compare model,vm:6.1|6.12`: 6.1.192 vdpa_sim offers SUSPEND,
 * 6.12.117 vdpa_sim offers SUSPEND, RESUME, ENABLE_AFTER_DRIVER_OK).
 */
import type { KernelBehaviour } from '../versions.js';
import type { ParentKind } from './types.js';

export interface BackendOps {
  /** .suspend: VHOST_BACKEND_F_SUSPEND (vhost-vdpa offers it from 6.1.192's backport on). */
  suspend: boolean;
  /** .resume: VHOST_BACKEND_F_RESUME (v6.4+; unknown to 6.1's vhost-vdpa). */
  resume: boolean;
  /** .get_vq_desc_group: VHOST_BACKEND_F_DESC_ASID (v6.7+). */
  descGroup: boolean;
  /** .get_backend_features returning ENABLE_AFTER_DRIVER_OK (v6.7+). */
  enableAfterDriverOk: boolean;
}

const NONE: BackendOps = { suspend: false, resume: false, descGroup: false, enableAfterDriverOk: false };

/** The parent's ops in kernel version `k` (versions.ts gives when each arrived and its source). */
export function backendOps(kind: ParentKind, k: KernelBehaviour): BackendOps {
  switch (kind) {
    case 'vdpa_sim':
      // 6.1.192 vdpa_sim.c: .suspend; 6.12.117: .suspend, .resume, .get_backend_features.
      return { suspend: k.suspend, resume: k.resume, descGroup: false, enableAfterDriverOk: k.enableAfterDriverOk };
    case 'mlx5':
      // 6.1.192 mlx5_vnet.c: .suspend; 6.12.117: .suspend, .resume and .get_vq_desc_group
      // (both "disabled if not supported" by the firmware: the lab models a device that has them),
      // .get_backend_features. mlx5's .resume came in v6.8, after vhost-vdpa's RESUME bit (v6.4).
      return { suspend: k.suspend, resume: k.mlx5Resume, descGroup: k.descAsid, enableAfterDriverOk: k.enableAfterDriverOk };
    case 'vduse':
    case 'platform-iommu':
      return NONE;
  }
}
