/**
 * Per-ASID device-side translation tables, shared by every parent model.
 * Each is a RadixIotlb of its own (the parent's copy: vdpasim->iommu[asid],
 * an mlx5 MR's contents, the VDUSE domain, the platform IOMMU domain).
 */
import type { ErrnoName } from '../../errors.js';
import { IotlbError } from '../../errors.js';
import { RadixIotlb } from '../../iotlb/index.js';
import type { KernelCounters } from '../counters.js';
import type { DeviceView } from './types.js';

export class DeviceMaps {
  private readonly spaces = new Map<number, DeviceView>();

  constructor(
    private readonly counters: KernelCounters,
    /** Initial state of a fresh address space: identity (passthrough) or empty. */
    private readonly initialPassthrough: boolean,
    /** Device-side entry limit (vdpa_sim max_iotlb_entries when enforced). */
    private readonly limit: number | undefined,
  ) {}

  view(asid: number): DeviceView {
    let v = this.spaces.get(asid);
    if (!v) {
      v = { passthrough: this.initialPassthrough, tree: new RadixIotlb({ limit: this.limit, initialEntries: 64 }) };
      this.spaces.set(asid, v);
    }
    return v;
  }

  asids(): number[] {
    return [...this.spaces.keys()].sort((a, b) => a - b);
  }

  /** Adds one vhost entry to the device table. */
  add(asid: number, src: RadixIotlb, id: number): ErrnoName | null {
    const v = this.view(asid);
    try {
      v.tree.insertParts(src.startPage(id), src.startOff(id), src.lastPage(id), src.lastOff(id), src.addrPage(id), src.addrOff(id), src.perm(id));
    } catch (e) {
      if (e instanceof IotlbError) return e.code;
      throw e;
    }
    this.counters.deviceInserts++;
    return null;
  }

  /** Removes what overlaps one vhost entry's range (del_range). */
  remove(asid: number, src: RadixIotlb, id: number): void {
    const v = this.view(asid);
    this.counters.deviceRemoves += v.tree.deleteParts(src.startPage(id), src.startOff(id), src.lastPage(id), src.lastOff(id));
  }

  /** Whole-table copy: reset, then every entry (set_map). On a limit error the table is left empty. */
  copy(asid: number, src: RadixIotlb): ErrnoName | null {
    const v = this.view(asid);
    v.passthrough = false;
    this.counters.setMapEntriesWalked += src.count;
    const limit = v.tree.limit;
    v.copyOf = undefined;
    if (limit !== undefined && (limit === 0 || src.count > limit)) {
      v.tree.reset();
      return limit === 0 ? 'EINVAL' : 'ENOSPC';
    }
    // The copy reads vhost's records in place until either side changes (RadixIotlb.shareFrom).
    v.tree.shareFrom(src);
    v.copyOf = { src, srcSeq: src.sequence, srcCount: src.count, dstSeq: v.tree.sequence, dstCount: v.tree.count };
    return null;
  }

  /** Back to `passthrough` with no explicit entries; returns how many entries the table held. */
  clear(asid: number, passthrough: boolean): number {
    const v = this.view(asid);
    const held = v.tree.count;
    v.tree.reset();
    v.passthrough = passthrough;
    return held;
  }

  clearAll(passthrough: boolean): number {
    let held = 0;
    for (const asid of this.spaces.keys()) held += this.clear(asid, passthrough);
    return held;
  }
}
