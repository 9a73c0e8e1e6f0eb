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
import type { DeviceView, Parent } from './types.js';

export class VduseParent implements Parent {
  readonly kind = 'vduse' as const;
  readonly mapPath = 'set_map' as const;
  readonly hasResetMap = false;
  readonly hasSetGroupAsid = false;
  readonly advertisesPersist = false;
  private readonly maps: DeviceMaps;

  constructor(private readonly counters: KernelCounters) {
    this.maps = new DeviceMaps(counters, false, undefined);
  }

  setMap(asid: number, src: RadixIotlb): ErrnoName | null {
    this.counters.setMaps++;
    return this.maps.copy(asid, src);
  }
  reset(): boolean {
    return false;
  }
  resetMap(): void {}
  dmaMap(): ErrnoName | null {
    return 'EOPNOTSUPP';
  }
  dmaUnmap(): void {}
  iommuMap(): ErrnoName | null {
    return 'EOPNOTSUPP';
  }
  iommuUnmap(): void {}
  view(asid: number): DeviceView {
    return this.maps.view(asid);
  }
  asids(): number[] {
    return this.maps.asids();
  }
}
