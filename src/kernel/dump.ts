/** The `dump` answer: the vhost view and the parent's own view side by side. */
import { hex, join, type RadixIotlb } from '../iotlb/index.js';
import type { HostMm } from '../host/index.js';
import { snapshotCounters } from './counters.js';
import type { VhostVdpa } from './vhost-vdpa.js';

export interface DumpEntry {
  start: string;
  last: string;
  addr: string;
  perm: number;
}

/** Entries past this many per table are counted, not listed. */
export const dumpEntryCap = 10_000;

function entries(t: RadixIotlb): { entries: DumpEntry[]; truncated: boolean } {
  const out: DumpEntry[] = [];
  t.forEachId((id) => {
    if (out.length < dumpEntryCap) {
      out.push({
        start: hex(join(t.startPage(id), t.startOff(id))),
        last: hex(join(t.lastPage(id), t.lastOff(id))),
        addr: hex(join(t.addrPage(id), t.addrOff(id))),
        perm: t.perm(id),
      });
    }
  });
  return { entries: out, truncated: t.count > out.length };
}

export function dumpDevice(dev: VhostVdpa, mm: HostMm) {
  const asids: Record<string, unknown> = {};
  const all = new Set([...dev.spaces.keys(), ...dev.parent.asids()]);
  for (const asid of [...all].sort((a, b) => a - b)) {
    const vhost = dev.spaces.get(asid);
    const device = dev.parent.view(asid);
    const v = vhost ? entries(vhost) : { entries: [], truncated: false };
    const d = entries(device.tree);
    asids[String(asid)] = {
      entries: v.entries,
      count: vhost?.count ?? 0,
      ...(v.truncated ? { truncated: true } : {}),
      device: { passthrough: device.passthrough, entries: d.entries, count: device.tree.count, ...(d.truncated ? { truncated: true } : {}) },
    };
  }
  return {
    asids,
    pinnedVm: mm.pinnedVm,
    pinnedPages: mm.totalPins(),
    status: dev.status,
    suspended: dev.parent.suspended,
    backendFeatures: hex(dev.backendFeatures),
    groupAsid: dev.groupAsid,
    counters: snapshotCounters(dev.counters),
  };
}
