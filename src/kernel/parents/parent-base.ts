/**
 * Defaults for the ops a parent does not have: a missing map op answers
 * EOPNOTSUPP, a missing unmap or reset_map does nothing, and .reset keeps the
 * maps. Each parent overrides only what its driver implements.
 */
import type { ErrnoName } from '../../errors.js';
import type { RadixIotlb } from '../../iotlb/index.js';
import type { KernelCounters } from '../counters.js';
import type { DeviceMaps } from './device-maps.js';
import type { DeviceView, MapPath, Parent, ParentKind } from './types.js';

export abstract class ParentBase implements Parent {
  abstract readonly kind: ParentKind;
  abstract readonly mapPath: MapPath;
  readonly hasResetMap: boolean = false;
  readonly hasSetGroupAsid: boolean = false;
  readonly advertisesPersist: boolean = false;
  suspended = false;

  constructor(
    protected readonly counters: KernelCounters,
    protected readonly maps: DeviceMaps,
  ) {}

  dmaMap(_asid: number, _src: RadixIotlb, _id: number): ErrnoName | null {
    return 'EOPNOTSUPP';
  }
  dmaUnmap(_asid: number, _src: RadixIotlb, _id: number): void {}
  setMap(_asid: number, _src: RadixIotlb, _running: boolean): ErrnoName | null {
    return 'EOPNOTSUPP';
  }
  iommuMap(_asid: number, _src: RadixIotlb, _id: number): ErrnoName | null {
    return 'EOPNOTSUPP';
  }
  iommuUnmap(_asid: number, _src: RadixIotlb, _id: number): void {}
  reset(_cleanMap: boolean): boolean {
    return false;
  }
  resetMap(_asid: number): void {}
  setGroupAsid(_group: number, _asid: number): ErrnoName | null {
    return null;
  }
  /** Only reached for parents with .suspend / .resume (vhost-vdpa checks ops first). */
  suspend(_running: boolean): void {
    this.suspended = true;
  }
  resume(_running: boolean): void {
    this.suspended = false;
  }
  statusSet(_status: number): void {}
  view(asid: number): DeviceView {
    return this.maps.view(asid);
  }
  asids(): number[] {
    return this.maps.asids();
  }
}
