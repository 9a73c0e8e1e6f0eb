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
  /** VQ suspend/resume around an MR swap on a running device (mlx5). */
  vqSuspends: number;
  vqResumes: number;
  /** Device resets, split by whether the parent's maps were wiped. */
  resets: number;
  resetsCleanMap: number;
  resetsKeepMap: number;
  resetMaps: number;
}

export const COUNTER_NAMES: readonly (keyof KernelCounters)[] = [
  'messages', 'ioctls', 'iotlbUpdates', 'iotlbInvalidates', 'batches',
  'pinCalls', 'pagesPinned', 'pagesUnpinned', 'pagesDirtied',
  'iotlbInserts', 'iotlbRemoves', 'dmaMaps', 'dmaUnmaps', 'iommuMaps', 'iommuUnmaps',
  'setMaps', 'setMapEntriesWalked', 'deviceInserts', 'deviceRemoves',
  'mrBuilds', 'dmaMrBuilds', 'directMrs', 'mtts', 'nullKlms', 'mkeysCreated', 'mkeysDestroyed',
  'vqSuspends', 'vqResumes', 'resets', 'resetsCleanMap', 'resetsKeepMap', 'resetMaps',
];

/**
 * Extends the host's pin counters in place, so both layers count into one
 * object. Every device on one mm shares it: a second device must not zero
 * what the first one counted, so only missing fields are added.
 */
export function newCounters(pin: PinCounters): KernelCounters {
  const c = pin as unknown as Record<string, number>;
  for (const n of COUNTER_NAMES) if (!(n in c)) c[n] = 0;
  return c as unknown as KernelCounters;
}

/** A plain snapshot (for results and dumps). */
export function snapshotCounters(c: KernelCounters): Record<string, number> {
  return Object.fromEntries(COUNTER_NAMES.map((n) => [n, c[n]]));
}
