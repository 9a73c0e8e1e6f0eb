/**
 * mlx5_vdpa (drivers/vdpa/mlx5/core/mr.c, net/mlx5_vnet.c): set_map only,
 * and every MR build is a FULL memory-key rebuild (mlx5-mr.ts), swapped in
 * with a VQ suspend/resume while the device runs. Two designs:
 *  - 6.1 (Debian 6.1.192): ONE MR, for the ASID of the data VQ group, and a
 *    CVQ iotlb copied for the ASID of the CVQ group (mlx5_vdpa_create_mr,
 *    _mlx5_vdpa_create_dvq_mr / _cvq_mr). A set_map while the MR exists goes
 *    through mlx5_vdpa_change_map whatever its ASID; a set_map for an ASID no
 *    group uses reaches no table; .set_group_asid only records the group, so
 *    the CVQ keeps the copy it had (no update_cvq_iotlb on an ASID change).
 *  - v6.7+ (Debian 6.12.117): an MR per ASID (mres.mr[asid]), each with its
 *    own iotlb copy; set_group_asid points the CVQ iotlb at the new ASID's MR.
 * A (clean) reset destroys the MRs and builds the 1:1 DMA MR for ASID 0;
 * v6.7+ .reset_map does the same for one ASID.
 */
import type { ErrnoName } from '../../errors.js';
import type { RadixIotlb } from '../../iotlb/index.js';
import type { KernelCounters } from '../counters.js';
import { MrBuilder, type MrShape } from '../mlx5-mr.js';
import { DeviceMaps } from './device-maps.js';
import { ParentBase } from './parent-base.js';
import type { KernelGeneration } from './types.js';

/** MLX5_VDPA_DATAVQ_GROUP and MLX5_VDPA_CVQ_GROUP (core/mlx5_vdpa.h). */
const DATAVQ_GROUP = 0;
const CVQ_GROUP = 1;

export class Mlx5Parent extends ParentBase {
  readonly kind = 'mlx5' as const;
  readonly mapPath = 'set_map' as const;
  override readonly hasResetMap: boolean;
  override readonly hasSetGroupAsid = true;
  /** Live mkeys per ASID (a DMA MR is one). On 6.1 only the data group's ASID has an MR. */
  private readonly liveMkeys = new Map<number, number>();
  /** mvdev->group2asid: which ASID the data VQs and the CVQ translate through. */
  private readonly group2asid = [0, 0];
  /** 6.1: the ASID whose map mvdev->cvq.iotlb last copied (the DMA MR's identity counts as ASID 0's). */
  private cvqCopyOf = 0;

  constructor(
    counters: KernelCounters,
    private readonly generation: KernelGeneration,
    /** mlx5_vdpa's max_iotlb_entries where enforced (parent-limits.ts); undefined: none. */
    private readonly limit: number | undefined,
  ) {
    // The limit is checked here, where the driver copies (dup_iotlb), not in the device view.
    super(counters, new DeviceMaps(counters, true, undefined));
    this.hasResetMap = generation === 'reset-map';
    // mlx5_vdpa_dev_add builds the 1:1 DMA MR for ASID 0 when the device is
    // created (6.1: mlx5_vdpa_create_mr(mvdev, NULL, 0); 6.12:
    // mlx5_vdpa_create_dma_mr), before any open: its build is not the
    // workload's, but its mkey is live, and the first set_map (or a clean
    // reset) destroys it.
    this.liveMkeys.set(0, 1);
  }

  override setMap(asid: number, src: RadixIotlb, running: boolean): ErrnoName | null {
    this.counters.setMaps++;
    return this.generation === 'legacy' ? this.setMapV61(asid, src, running) : this.setMapPerAsid(asid, src, running);
  }

  /**
   * v6.7+ set_map_data: build the new MR (none for an empty iotlb: "Empty
   * iotlbs don't have an mr but will clear the previous mr"), copy the map
   * into its iotlb (ENOSPC past the limit: the new MR is destroyed and the
   * old one stays), then swap it in; mlx5_vdpa_change_map (VQs suspended
   * and resumed while running) only where the ASID had an MR.
   */
  private setMapPerAsid(asid: number, src: RadixIotlb, running: boolean): ErrnoName | null {
    let shape: MrShape | null = null;
    if (src.count > 0) {
      shape = this.build(src);
      if (this.limit !== undefined && src.count > this.limit) {
        // _mlx5_vdpa_create_mr: dup_iotlb into vhost_iotlb_alloc(mlx5_vdpa_max_iotlb_entries) failed.
        this.counters.mkeysDestroyed += shape.mkeys;
        return 'ENOSPC';
      }
    }
    if (this.liveMkeys.has(asid)) this.changeMap(running);
    this.destroy(asid);
    if (shape) this.liveMkeys.set(asid, shape.mkeys);
    return this.maps.copy(asid, src);
  }

  /**
   * 6.1 set_map_data -> mlx5_vdpa_handle_set_map: with the data MR built,
   * mlx5_vdpa_change_map (suspend, teardown, destroy_mr_asid, create_mr,
   * setup again while DRIVER_OK) for ANY asid; then _mlx5_vdpa_create_mr
   * builds the MR only for the data group's ASID and copies the CVQ iotlb
   * only for the CVQ group's (ENOSPC past the limit, and the data MR just
   * built is destroyed again: the device is left with no MR).
   */
  private setMapV61(asid: number, src: RadixIotlb, running: boolean): ErrnoName | null {
    const [data, cvq] = this.group2asid;
    if (this.liveMkeys.size > 0) {
      this.changeMap(running);
      if (data === asid) this.destroy(asid);
    }
    if (data !== asid && cvq !== asid) return null;
    if (data === asid && src.count > 0) this.liveMkeys.set(asid, this.build(src).mkeys);
    if (cvq === asid) {
      this.cvqCopyOf = asid;
      if (this.limit !== undefined && src.count > this.limit) {
        // dup_iotlb into mvdev->cvq.iotlb stopped at the limit; out_err destroys the data MR.
        if (data === asid) this.destroy(asid);
        this.maps.clear(asid, false);
        return 'ENOSPC';
      }
    }
    return this.maps.copy(asid, src);
  }

  /** create_user_mr's work for the whole iotlb, counted. */
  private build(src: RadixIotlb): MrShape {
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
    const c = this.counters;
    c.mrBuilds++;
    c.directMrs += shape.directMrs;
    c.mtts += shape.mtts;
    c.nullKlms += shape.nullKlms;
    c.mkeysCreated += shape.mkeys;
    return shape;
  }

  /**
   * mlx5_vdpa_change_map: the VQs are suspended and set up (resumed) again
   * only while the device runs. After .suspend (mvdev->suspended) the VQs
   * are already out of RDY, so suspend_vq(s) does nothing, and the change
   * ends before setup_driver / resume_vqs ("!DRIVER_OK || suspended"):
   * no VQ suspend/resume (6.1.192 and 6.12.117 mlx5_vnet.c).
   */
  private changeMap(running: boolean): void {
    if (!running || this.suspended) return;
    this.counters.vqSuspends++;
    this.counters.vqResumes++;
  }

  /**
   * mlx5_vdpa_suspend: every VQ suspended (a firmware command only for VQs
   * that exist and are RDY, i.e. after DRIVER_OK and not suspended yet),
   * mvdev->suspended set, whatever the status (6.1 calls it before DRIVER_OK too).
   */
  override suspend(running: boolean): void {
    if (running && !this.suspended) this.counters.vqSuspends++;
    this.suspended = true;
  }

  /** mlx5_vdpa_resume (v6.8+): mvdev->suspended cleared, resume_vqs moves suspended VQs back to RDY. */
  override resume(running: boolean): void {
    if (running && this.suspended) this.counters.vqResumes++;
    this.suspended = false;
  }

  /**
   * .set_group_asid. v6.7+: the CVQ iotlb is copied from the new ASID's MR
   * (the device view stays that MR's). 6.1 records the group only: a CVQ
   * moved to an ASID the data VQs do not use keeps a copy of another ASID's
   * map, so the device translates nothing of the new ASID's until a set_map
   * for it (the model shows that ASID as holding no entries) unless its map
   * is what the copy holds.
   */
  override setGroupAsid(group: number, asid: number): null {
    if (group > CVQ_GROUP) return null;
    this.group2asid[group] = asid;
    if (this.generation === 'legacy' && group === CVQ_GROUP && asid !== this.group2asid[DATAVQ_GROUP] && this.cvqCopyOf !== asid) this.maps.clear(asid, false);
    return null;
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

  /**
   * .reset (6.1) / .compat_reset (v6.7+): the groups go back to ASID 0
   * (init_group_to_asid_map) on every reset; with CLEAN_MAP (always on 6.1)
   * every MR goes and ASID 0 gets the DMA MR again.
   */
  override reset(cleanMap: boolean): boolean {
    this.group2asid.fill(0);
    // 6.1 always cleans: the CVQ iotlb is pruned and gets the DMA MR's identity (dup_iotlb(mvdev, NULL)).
    if (cleanMap) this.cvqCopyOf = 0;
    if (!cleanMap) return false;
    const asids = new Set([...this.maps.asids(), ...this.liveMkeys.keys()]);
    for (const asid of asids) this.destroy(asid);
    // The 1:1 DMA MR serves ASID 0 (the data path) again; any other ASID has
    // no MR (6.12 mlx5_vdpa_clean_mrs; 6.1 has only the one MR) and translates nothing.
    this.dmaMr(0);
    for (const asid of asids) if (asid !== 0) this.maps.clear(asid, false);
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
