/**
 * Plays one fd's message stream through the kernel model, op by op, and
 * accounts each op's counter delta to its segment: `boot` (everything before
 * the first stop's reset), one segment per guest reset (from its first
 * SET_STATUS 0 to the next stop's: the unmaps and the re-maps around it;
 * segments.ts), and `close` (the fd's release
 * when QEMU exits; a trace that ends without vhost_vdpa_cleanup still closes
 * the fd then).
 */
import { addPhases, VirtualClock, zeroPhases, type CostProfile, type PhaseNs } from '../../cost/index.js';
import type { HostMm } from '../../host/index.js';
import {
  featureBit,
  STATUS,
  VHOST_IOTLB_INVALIDATE,
  VHOST_IOTLB_UPDATE,
  VhostVdpa,
  sendOp,
  writeCall,
  viewState,
  type DeviceConfig,
  type OpResult,
} from '../../kernel/index.js';
import { netDeviceFeatures, newVmmCounters, runCvqProbe, StepRecorder } from '../../vmm/index.js';
import type { DeviceStream, StreamOp } from '../../vmm/trace/index.js';
import type { RingDrops } from './fresh-shadow.js';
import { segmentOpeners } from './segments.js';

export interface Refusal {
  lineNo: number;
  event: string;
  errno: string;
  cause: string;
}

/** What a segment, or a whole flow, adds up to. */
export interface Totals {
  messages: number;
  updates: number;
  invalidates: number;
  batches: number;
  entriesAdded: number;
  entriesRemoved: number;
  pagesPinned: number;
  pagesUnpinned: number;
  totalNs: number;
  phases: PhaseNs;
  /** Modeled ns of the ops during which the device did not translate what it did before the reset. */
  blackoutNs: number;
  refusals: Refusal[];
}

export interface SegmentReport extends Totals {
  /** `boot`, `reset 1`..., `close`. */
  name: string;
  /** The results-file event it becomes. */
  event: 'boot' | 'guest-reset' | 'close';
  /** Trace line that opens it (the reset's), null for boot and close. */
  lineNo: number | null;
  counters: Record<string, number>;
  viewProblems: string[];
}

export interface DeviceReplay {
  /** Null when the setup refused before any message (PERSIST not offered): the reason says why. */
  segments: SegmentReport[] | null;
  notApplicable: string | null;
  counters: Record<string, number>;
}

export interface ReplaySetup {
  config: Omit<DeviceConfig, 'iovaRange'>;
  ackPersist: boolean;
  profile: CostProfile;
  /** Sees the device before its first op (`replay --backend` records its ops as a script). */
  onDevice?: (dev: VhostVdpa) => void;
  /** 8.1+: ring INVALIDATEs whose munmap drops their pages (fresh-shadow.ts). */
  drops?: RingDrops;
}

/** The trace event each op came from, as a refusal names it. */
const EVENT_OF: Record<string, string> = { cvq_probe: 'the CVQ isolation probe (untraced, before this line)', suspend: 'suspend', reset: 'reset_device', status: 'add_status', group_asid: 'set_address_space_id', dma_map: 'dma_map', dma_unmap: 'dma_unmap', batch_begin: 'batch_begin', batch_end: 'batch_end' };

const BASE_ACK = featureBit('IOTLB_MSG_V2') | featureBit('IOTLB_BATCH') | featureBit('IOTLB_ASID');

export function replayDevice(stream: DeviceStream, ops: readonly StreamOp[], mm: HostMm, setup: ReplaySetup): DeviceReplay {
  const dev = new VhostVdpa({ ...setup.config, iovaRange: stream.iovaRange }, mm);
  setup.onDevice?.(dev);
  const vmm = newVmmCounters();
  const rec = new StepRecorder(dev.counters, vmm);
  const clock = new VirtualClock(setup.profile, setup.config.parent);
  const boot = newSegment('boot', 'boot', null);
  let na: string | null = null;
  boot.counters = rec.measure(() => {
    sendOp(dev, { op: 'set_owner' });
    const r = sendOp(dev, { op: 'set_backend_features', bits: BASE_ACK | (setup.ackPersist ? featureBit('IOTLB_PERSIST') : 0n) });
    if (r.ret !== 0) na = `SET_BACKEND_FEATURES with IOTLB_PERSIST: ${r.errno} (the ${setup.config.kernel} kernel model with ${setup.config.parent} does not offer it)`;
  });
  if (na) return { segments: null, notApplicable: na, counters: rec.totals() };
  price(boot, boot.counters, clock, false);

  const segments = [boot];
  let seg = boot;
  const mapped = new Set<string>();
  let guestRam = new Set<string>();
  let translating = false;
  const opens = segmentOpeners(ops);
  for (const op of ops) {
    if (opens.has(op)) {
      endSegment(seg, dev);
      seg = newSegment(`reset ${segments.length}`, 'guest-reset', op.lineNo);
      segments.push(seg);
      guestRam = new Set(mapped);
    }
    let res: OpResult | undefined;
    const delta = rec.measure(() => {
      res = playOp(dev, op);
      // 8.1+: the ring's munmap (vhost_svq_stop) and, counted with it, the next start's fresh mmap (a trace shows no start).
      const d = res.ret === 0 ? setup.drops?.get(op) : undefined;
      if (d) {
        mm.dropPages(d.page, d.pages);
        vmm.vmmMunmaps++;
        vmm.vmmMmaps++;
      }
    });
    if (res && res.ret !== 0) seg.refusals.push({ lineNo: op.lineNo, event: EVENT_OF[op.op === 'msg' ? op.event : op.op], errno: res.errno ?? '?', cause: res.cause ?? '?' });
    else if (op.op === 'msg') track(mapped, op);
    const now = isTranslating(dev, mapped, guestRam);
    price(seg, delta, clock, seg.event === 'guest-reset' && !(translating && now));
    translating = now;
  }
  endSegment(seg, dev);
  const close = newSegment('close', 'close', null);
  price(close, rec.measure(() => sendOp(dev, { op: 'close' })), clock, false);
  segments.push(close);
  return { segments, notApplicable: null, counters: rec.totals() };
}

/** One stream op as the ioctl or write() it stands for. */
function playOp(dev: VhostVdpa, op: StreamOp): OpResult {
  switch (op.op) {
    case 'msg':
      return sendOp(dev, writeCall(op.msg));
    case 'group_asid':
      return sendOp(dev, { op: 'set_group_asid', group: op.group, asid: op.asid });
    case 'suspend':
      return sendOp(dev, { op: 'suspend' });
    case 'reset':
      return sendOp(dev, { op: 'set_status', status: 0 });
    case 'status':
      return sendOp(dev, { op: 'set_status', status: op.status });
    case 'cvq_probe': {
      const o = runCvqProbe(dev, netDeviceFeatures(op.queuePairs), op.queuePairs);
      return o.failed ? o.failed.r : { ret: 0, errno: null, cause: null };
    }
  }
}

function newSegment(name: string, event: SegmentReport['event'], lineNo: number | null): SegmentReport {
  return {
    name, event, lineNo, messages: 0, updates: 0, invalidates: 0, batches: 0, entriesAdded: 0, entriesRemoved: 0,
    pagesPinned: 0, pagesUnpinned: 0, totalNs: 0, phases: zeroPhases(), blackoutNs: 0, refusals: [], counters: {}, viewProblems: [],
  };
}

function price(seg: SegmentReport, delta: Record<string, number>, clock: VirtualClock, blackout: boolean): void {
  const p = clock.price(delta);
  seg.totalNs += p.totalNs;
  addPhases(seg.phases, p.phases);
  if (blackout) seg.blackoutNs += p.totalNs;
  for (const k in delta) seg.counters[k] = (seg.counters[k] ?? 0) + delta[k];
  seg.messages += delta.messages ?? 0;
  seg.updates += delta.iotlbUpdates ?? 0;
  seg.invalidates += delta.iotlbInvalidates ?? 0;
  seg.batches += delta.batches ?? 0;
  seg.entriesAdded += delta.iotlbInserts ?? 0;
  seg.entriesRemoved += delta.iotlbRemoves ?? 0;
  seg.pagesPinned += delta.pagesPinned ?? 0;
  seg.pagesUnpinned += delta.pagesUnpinned ?? 0;
}

/** A running device (DRIVER_OK) must translate what vhost holds, in every ASID. */
function endSegment(seg: SegmentReport, dev: VhostVdpa): void {
  if ((dev.status & STATUS.DRIVER_OK) === 0) return;
  for (const asid of dev.spaces.keys()) {
    const v = viewState(dev, asid);
    if (v !== 'consistent') seg.viewProblems.push(`ASID ${asid}: device view ${v} while DRIVER_OK`);
  }
}

/** What QEMU's accepted maps hold now (ASID/iova/size), for the blackout. */
function track(mapped: Set<string>, op: Extract<StreamOp, { op: 'msg' }>): void {
  const m = op.msg;
  if (m.type === VHOST_IOTLB_UPDATE) mapped.add(`${m.asid}/${m.iova}/${m.size}`);
  else if (m.type === VHOST_IOTLB_INVALIDATE) mapped.delete(`${m.asid}/${m.iova}/${m.size}`);
}

/** The device translates every map held before the reset, and its view of ASID 0 agrees with vhost's. */
function isTranslating(dev: VhostVdpa, mapped: Set<string>, guestRam: Set<string>): boolean {
  for (const k of guestRam) if (!mapped.has(k)) return false;
  return viewState(dev, 0) === 'consistent';
}
