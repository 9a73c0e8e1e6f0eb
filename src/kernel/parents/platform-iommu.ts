/**
 * A parent without an on-chip IOMMU: vhost-vdpa maps each run into the
 * platform IOMMU domain (iommu_map / iommu_unmap). A device reset does not
 * touch the domain, and PERSIST is always offered on v6.7+.
 */
import type { ErrnoName } from '../../errors.js';
import type { RadixIotlb } from '../../iotlb/index.js';
import type { KernelCounters } from '../counters.js';
import { DeviceMaps } from './device-maps.js';
import { ParentBase } from './parent-base.js';

export class PlatformIommuParent extends ParentBase {
  readonly kind = 'platform-iommu' as const;
  readonly mapPath = 'iommu' as const;

  constructor(counters: KernelCounters) {
    super(counters, new DeviceMaps(counters, false, undefined));
  }

  override iommuMap(asid: number, src: RadixIotlb, id: number): ErrnoName | null {
    this.counters.iommuMaps++;
    return this.maps.add(asid, src, id);
  }
  override iommuUnmap(asid: number, src: RadixIotlb, id: number): void {
    this.counters.iommuUnmaps++;
    this.maps.remove(asid, src, id);
  }
}
