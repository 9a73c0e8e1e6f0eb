/**
 * Counters of every cost driver the model sees. They are MODELED figures:
 * deterministic for the same inputs and seed, on any machine. The cost layer
 * turns them into virtual nanoseconds.
 */
import type { PinCounters } from '../host/index.js';

export interface KernelCounters extends PinCounters {
  /** write()s of IOTLB messages, and ioctls. */
  messages: number;
  ioctls: number;
  iotlbUpdates: number;
  iotlbInvalidates: number;
  batches: number;
  /** vhost-side vhost_iotlb entries added / removed. */
  iotlbInserts: number;
  iotlbRemoves: number;
  /** Parent device ops. */
  dmaMaps: number;
  dmaUnmaps: number;
  iommuMaps: number;
  iommuUnmaps: number;
  setMaps: number;
  /** Entries a set_map walked (copy or MR build). */
  setMapEntriesWalked: number;
  /** Device-side (parent) iotlb entries added / removed one by one. */
  deviceInserts: number;
  deviceRemoves: number;
  /** mlx5 memory-key work. */
  mrBuilds: number;
  dmaMrBuilds: number;
  directMrs: number;
  mtts: number;
  nullKlms: number;
  mkeysCreated: number;
  mkeysDestroyed: number;
  /**
   * mlx5 VQ suspends / resumes (all VQs at once) on a running device: around an
   * MR swap (mlx5_vdpa_change_map, none while suspended), and by
   * VHOST_VDPA_SUSPEND / RESUME (mlx5_vdpa_suspend / _resume).
   */
  vqSuspends: number;
  vqResumes: number;
  /** Device resets, split by whether the parent's maps were wiped. */
  resets: number;
  resetsCleanMap: number;
  resetsKeepMap: number;
  resetMaps: number;
  /**
   * Entries a parent's own table held when a reset or .reset_map emptied it
   * wholesale: vdpa_sim's vhost_iotlb_reset of vdpasim->iommu[asid] in
   * vdpasim_do_reset (CLEAN_MAP) and vdpasim_reset_map frees them one by one.
   */
  resetEntriesFreed: number;
  /**
   * Entries vdpa_sim's own table held when vdpasim_set_map emptied it to copy
   * vhost's anew (its vhost_iotlb_reset, one free each): with PERSIST, the
   * table a reset kept goes here, at the next set_map.
   */
  setMapEntriesFreed: number;
}

export const COUNTER_NAMES: readonly (keyof KernelCounters)[] = [
  'messages', 'ioctls', 'iotlbUpdates', 'iotlbInvalidates', 'batches',
  'pinCalls', 'folioGrabs', 'pagesPinned', 'pagesUnpinned', 'pagesDirtied', 'faults', 'pagesFaulted',
  'iotlbInserts', 'iotlbRemoves', 'dmaMaps', 'dmaUnmaps', 'iommuMaps', 'iommuUnmaps',
  'setMaps', 'setMapEntriesWalked', 'deviceInserts', 'deviceRemoves',
  'mrBuilds', 'dmaMrBuilds', 'directMrs', 'mtts', 'nullKlms', 'mkeysCreated', 'mkeysDestroyed',
  'vqSuspends', 'vqResumes', 'resets', 'resetsCleanMap', 'resetsKeepMap', 'resetMaps', 'resetEntriesFreed', 'setMapEntriesFreed',
];

/**
 * The counters of every device on `mm`, created on first use. Every device
 * on one mm counts into ONE object (the pin functions of the host layer count
 * into it too), so a second device never zeroes what the first counted.
 *
 * Why a literal with every field instead of adding the kernel's fields to the
 * host's object in a loop: properties added by keyed stores past a dozen turn
 * a V8 object into a dictionary, and every `c.x++` on the hot paths then cost
 * about 20 ns instead of 1 (measured on Node 20).
 */
export function countersOf(mm: { pinCounters: PinCounters }): KernelCounters {
  const pin = mm.pinCounters;
  if ('messages' in pin) return pin as KernelCounters;
  const c: KernelCounters = {
    messages: 0, ioctls: 0, iotlbUpdates: 0, iotlbInvalidates: 0, batches: 0,
    pinCalls: pin.pinCalls, folioGrabs: pin.folioGrabs, pagesPinned: pin.pagesPinned, pagesUnpinned: pin.pagesUnpinned, pagesDirtied: pin.pagesDirtied,
    faults: pin.faults, pagesFaulted: pin.pagesFaulted,
    iotlbInserts: 0, iotlbRemoves: 0, dmaMaps: 0, dmaUnmaps: 0, iommuMaps: 0, iommuUnmaps: 0,
    setMaps: 0, setMapEntriesWalked: 0, deviceInserts: 0, deviceRemoves: 0,
    mrBuilds: 0, dmaMrBuilds: 0, directMrs: 0, mtts: 0, nullKlms: 0, mkeysCreated: 0, mkeysDestroyed: 0,
    vqSuspends: 0, vqResumes: 0, resets: 0, resetsCleanMap: 0, resetsKeepMap: 0, resetMaps: 0, resetEntriesFreed: 0, setMapEntriesFreed: 0,
  };
  mm.pinCounters = c;
  return c;
}

/** A plain snapshot (for results and dumps). */
export function snapshotCounters(c: KernelCounters): Record<string, number> {
  return Object.fromEntries(COUNTER_NAMES.map((n) => [n, c[n]]));
}
