/**
 * VDUSE (drivers/vdpa/vdpa_user/vduse_dev.c): use_va, set_map into the
 * IOVA domain, .reset without .reset_map. Its reset clears the bounce map
 * only (vduse_dev_reset), so user mappings survive a reset; PERSIST is not
 * offered (on-chip IOMMU via set_map, no .reset_map).
 */
import type { ErrnoName } from '../../errors.js';
import type { RadixIotlb } from '../../iotlb/index.js';
import type { KernelCounters } from '../counters.js';
import { DeviceMaps } from './device-maps.js';
import { ParentBase } from './parent-base.js';

export class VduseParent extends ParentBase {
  readonly kind = 'vduse' as const;
  readonly mapPath = 'set_map' as const;

  /** limit: iova_domain.c's max_iotlb_entries for the domain's iotlb (vduse_domain_set_map empties it and answers ENOSPC). */
  constructor(counters: KernelCounters, limit: number | undefined) {
    super(counters, new DeviceMaps(counters, false, limit));
  }

  override setMap(asid: number, src: RadixIotlb): ErrnoName | null {
    this.counters.setMaps++;
    return this.maps.copy(asid, src);
  }
}
