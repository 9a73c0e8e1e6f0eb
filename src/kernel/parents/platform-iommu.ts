/**
 * A parent without an on-chip IOMMU: vhost-vdpa maps each run into the
 * platform IOMMU domain (iommu_map / iommu_unmap). A device reset does not
 * touch the domain, and PERSIST is always offered on v6.7+.
 */
import type { ErrnoName } from '../../errors.js';
import type { RadixIotlb } from '../../iotlb/index.js';
import type { KernelCounters } from '../counters.js';
import { DeviceMaps } from './device-maps.js';
import type { DeviceView, Parent } from './types.js';

export class PlatformIommuParent implements Parent {
  readonly kind = 'platform-iommu' as const;
  readonly mapPath = 'iommu' as const;
  readonly hasResetMap = false;
  readonly hasSetGroupAsid = false;
  readonly advertisesPersist = false;
  private readonly maps: DeviceMaps;

  constructor(private readonly counters: KernelCounters) {
    this.maps = new DeviceMaps(counters, false, undefined);
  }

  iommuMap(asid: number, src: RadixIotlb, id: number): ErrnoName | null {
    this.counters.iommuMaps++;
    return this.maps.add(asid, src, id);
  }
  iommuUnmap(asid: number, src: RadixIotlb, id: number): void {
    this.counters.iommuUnmaps++;
    this.maps.remove(asid, src, id);
  }
  reset(): boolean {
    return false;
  }
  resetMap(): void {}
  setMap(): ErrnoName | null {
    return 'EOPNOTSUPP';
  }
  dmaMap(): ErrnoName | null {
    return 'EOPNOTSUPP';
  }
  dmaUnmap(): void {}
  view(asid: number): DeviceView {
    return this.maps.view(asid);
  }
  asids(): number[] {
    return this.maps.asids();
  }
}
