/**
 * The parents' own entry limits. The 2026 fix "vhost_iotlb: bound map
 * allocation in add_range" is in vhost_iotlb_add_range_ctx
 * (drivers/vhost/iotlb.c), so it bounds EVERY vhost_iotlb that was given a
 * limit, not only vhost-vdpa's address spaces: a full one answers ENOSPC, a
 * limit of 0 EINVAL, and the [0, ULONG_MAX] identity range takes two
 * entries. Read in Debian's 6.1.192 and 6.12.117 trees:
 *  - vdpa_sim: vhost_iotlb_init(&vdpasim->iommu[i], max_iotlb_entries, 0),
 *    vdpa_sim's OWN module parameter (default 2048); vdpasim_create refuses
 *    a value below 2. dma_map answers ENOSPC (vhost_vdpa_map then fails the
 *    UPDATE); set_map empties iommu[asid] and answers ENOSPC.
 *  - mlx5_vdpa: its own max_iotlb_entries (core/resources.c, default 2048)
 *    bounds the CVQ iotlb (both trees) and, in 6.12's per-MR design, each
 *    MR's copy of the map (_mlx5_vdpa_create_mr: dup_iotlb into
 *    vhost_iotlb_alloc(mlx5_vdpa_max_iotlb_entries)); below 2 no MR is made.
 *  - VDUSE: iova_domain.c's own max_iotlb_entries for the domain's iotlb;
 *    vduse_domain_set_map empties the domain and answers the error.
 * Before the fix a limit without VHOST_IOTLB_FLAG_RETIRE was not enforced,
 * so these parameters existed and did nothing: the model has no limit there.
 */
import type { KernelBehaviour } from './versions.js';

/** The smallest value the parents accept: vdpasim_create and _mlx5_vdpa_create_mr refuse less (the identity takes two entries). */
export const MIN_PARENT_IOTLB_ENTRIES = 2;

/**
 * The parent's limit for a device: the one asked for, else vhost-vdpa's when
 * a parent could take it (the lab's VM loads vdpa_sim with the script's
 * value), else the version's default; none on a kernel without the fix.
 */
export function parentIotlbLimit(config: { iotlbLimit?: number; parentIotlbLimit?: number }, kernel: KernelBehaviour): number | undefined {
  if (config.parentIotlbLimit !== undefined) return config.parentIotlbLimit;
  if (config.iotlbLimit !== undefined && config.iotlbLimit >= MIN_PARENT_IOTLB_ENTRIES) return config.iotlbLimit;
  return kernel.defaultIotlbLimit;
}
