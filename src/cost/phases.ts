/**
 * Which phase of a reset each counter's cost belongs to. Every counter the
 * kernel model and the VMM keep is listed once; a profile prices them.
 */
export const PHASES = ['unmap', 'reset', 'map', 'pin', 'mrBuild', 'vqRestart'] as const;
export type Phase = (typeof PHASES)[number];

export const COUNTER_PHASE: Record<string, Phase> = {
  // pin_user_pages: per call (mmap lock, VMA walk), per gup step (page-table walk + reference grab), per page
  pinCalls: 'pin',
  folioGrabs: 'pin',
  pagesPinned: 'pin',
  // first touch inside the pin: handle_mm_fault per folio, folio_zero_user per 4 KiB
  faults: 'pin',
  pagesFaulted: 'pin',
  // the unmap path: unpin (+ dirty), vhost entry removal, device unmaps
  pagesUnpinned: 'unmap',
  pagesDirtied: 'unmap',
  iotlbInvalidates: 'unmap',
  iotlbRemoves: 'unmap',
  dmaUnmaps: 'unmap',
  iommuUnmaps: 'unmap',
  deviceRemoves: 'unmap',
  // the map path: messages, vhost entries, device maps, set_map copies
  messages: 'map',
  iotlbUpdates: 'map',
  batches: 'map',
  iotlbInserts: 'map',
  dmaMaps: 'map',
  iommuMaps: 'map',
  setMaps: 'map',
  setMapEntriesWalked: 'map',
  setMapEntriesFreed: 'map',
  deviceInserts: 'map',
  // mlx5 memory keys
  mrBuilds: 'mrBuild',
  dmaMrBuilds: 'mrBuild',
  directMrs: 'mrBuild',
  mtts: 'mrBuild',
  nullKlms: 'mrBuild',
  mkeysCreated: 'mrBuild',
  mkeysDestroyed: 'mrBuild',
  // virtqueues
  vqSuspends: 'vqRestart',
  vqResumes: 'vqRestart',
  vqConfigures: 'vqRestart',
  deviceStarts: 'vqRestart',
  svqSwitches: 'vqRestart',
  // QEMU 8.1+'s vhost_svq_stop / vhost_svq_start: the VMM's own munmap and fresh mmap of each shadow vring area
  vmmMunmaps: 'vqRestart',
  vmmMmaps: 'vqRestart',
  // the reset itself
  ioctls: 'reset',
  resets: 'reset',
  resetsCleanMap: 'reset',
  resetsKeepMap: 'reset',
  resetMaps: 'reset',
  // vdpa_sim's reset and .reset_map free every entry of the device's own table
  resetEntriesFreed: 'reset',
};

export type PhaseNs = Record<Phase, number>;

export function zeroPhases(): PhaseNs {
  return { unmap: 0, reset: 0, map: 0, pin: 0, mrBuild: 0, vqRestart: 0 };
}
