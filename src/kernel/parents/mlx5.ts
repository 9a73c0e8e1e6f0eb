/**
 * mlx5_vdpa (drivers/vdpa/mlx5/core/mr.c, net/mlx5_vnet.c): set_map only,
 * and every set_map is a FULL memory-key rebuild (mlx5-mr.ts), swapped in
 * with a VQ suspend/resume while the device runs. A (clean) reset destroys
 * the MRs and builds the 1:1 DMA MR again; v6.7+ .reset_map does the same
 * for one ASID.
 */
import type { ErrnoName } from '../../errors.js';
import type { RadixIotlb } from '../../iotlb/index.js';
import type { KernelCounters } from '../counters.js';
import { MrBuilder } from '../mlx5-mr.js';
import { DeviceMaps } from './device-maps.js';
import { ParentBase } from './parent-base.js';
import type { KernelGeneration } from './types.js';

export class Mlx5Parent extends ParentBase {
  readonly kind = 'mlx5' as const;
  readonly mapPath = 'set_map' as const;
  override readonly hasResetMap: boolean;
  override readonly hasSetGroupAsid = true;
  /** Live mkeys per ASID (a DMA MR is one). */
  private readonly liveMkeys = new Map<number, number>();

  constructor(counters: KernelCounters, generation: KernelGeneration) {
    // The device starts with the 1:1 DMA MR.
    super(counters, new DeviceMaps(counters, true, undefined));
    this.hasResetMap = generation === 'reset-map';
  }

  override setMap(asid: number, src: RadixIotlb, running: boolean): ErrnoName | null {
    const c = this.counters;
    c.setMaps++;
    if (src.count === 0) {
      // set_map_data: "Empty iotlbs don't have an mr but will clear the previous mr."
      this.destroy(asid);
      if (running) {
        c.vqSuspends++;
        c.vqResumes++;
      }
      return this.maps.copy(asid, src);
    }
    const b = new MrBuilder();
    // Runs of one-page entries come from the walk with their first page,
    // length and perm (their records are not read: 1 GiB a set_map on a
    // 128 GiB 4k guest, and one visit per run, not per page).
    src.forEachRun((ids, n, xlat, pages, counts) => {
      for (let k = 0; k < n; k++) {
        const x = xlat[k];
        if (x !== 0) b.addOnePages(pages[k], counts[k], (x - 1) & 3);
        else {
          const id = ids[k];
          b.add(src.startPage(id), src.lastPage(id) - src.startPage(id) + 1, src.perm(id));
        }
      }
    });
    const shape = b.finish();
    c.mrBuilds++;
    c.directMrs += shape.directMrs;
    c.mtts += shape.mtts;
    c.nullKlms += shape.nullKlms;
    c.mkeysCreated += shape.mkeys;
    this.destroy(asid);
    this.liveMkeys.set(asid, shape.mkeys);
    if (running) {
      c.vqSuspends++;
      c.vqResumes++;
    }
    return this.maps.copy(asid, src);
  }

  private destroy(asid: number): void {
    this.counters.mkeysDestroyed += this.liveMkeys.get(asid) ?? 0;
    this.liveMkeys.delete(asid);
  }

  private dmaMr(asid: number): void {
    this.destroy(asid);
    this.counters.dmaMrBuilds++;
    this.counters.mkeysCreated++;
    this.liveMkeys.set(asid, 1);
    this.maps.clear(asid, true);
  }

  override reset(cleanMap: boolean): boolean {
    if (!cleanMap) return false;
    const asids = new Set([...this.maps.asids(), ...this.liveMkeys.keys()]);
    for (const asid of asids) this.destroy(asid);
    // The 1:1 DMA MR serves ASID 0 (the data path) again.
    this.dmaMr(0);
    for (const asid of asids) if (asid !== 0) this.maps.clear(asid, true);
    return true;
  }

  /**
   * mlx5_vdpa_reset_mr: the ASID's MR goes; only ASID 0 gets the 1:1 DMA MR
   * back, any other ASID (the CVQ's) is left with no MR and translates nothing.
   */
  override resetMap(asid: number): void {
    this.counters.resetMaps++;
    if (asid === 0) return this.dmaMr(0);
    this.destroy(asid);
    this.maps.clear(asid, false);
  }
}
