/**
 * VDUSE (drivers/vdpa/vdpa_user/vduse_dev.c): use_va, set_map into the
 * IOVA domain, .reset without .reset_map. Its reset clears the bounce map
 * only (vduse_dev_reset), so user mappings survive a reset; PERSIST is not
 * offered (on-chip IOMMU via set_map, no .reset_map). From v7.0 it has
 * .set_group_asid, which an API v0 device (the one modeled) answers EINVAL.
 * Confirmed on real 6.12.117 and 7.2.13 with the lab's VDUSE device
 * (native/vduse/, workloads/sessions/vduse/).
 */
import type { ErrnoName } from '../../errors.js';
import type { RadixIotlb } from '../../iotlb/index.js';
import type { KernelCounters } from '../counters.js';
import { DeviceMaps } from './device-maps.js';
import { ParentBase } from './parent-base.js';

export class VduseParent extends ParentBase {
  readonly kind = 'vduse' as const;
  readonly mapPath = 'set_map' as const;

  override readonly hasSetGroupAsid: boolean;

  /**
   * limit: iova_domain.c's max_iotlb_entries for the domain's iotlb (vduse_domain_set_map empties it and answers ENOSPC).
   * groupAsid: the kernel's VDUSE has .set_group_asid (v7.0, versions.ts vduseGroupAsid).
   */
  constructor(counters: KernelCounters, limit: number | undefined, groupAsid: boolean) {
    super(counters, new DeviceMaps(counters, false, limit));
    this.hasSetGroupAsid = groupAsid;
  }

  /** vduse_set_group_asid: -EINVAL below VDUSE_API_VERSION_1, before any request to userspace. */
  override setGroupAsid(): ErrnoName {
    return 'EINVAL';
  }

  override setMap(asid: number, src: RadixIotlb): ErrnoName | null {
    this.counters.setMaps++;
    return this.maps.copy(asid, src);
  }
}
