/**
 * Rebuilds, from parsed trace events, what each vhost-vdpa fd received: the
 * exact IOTLB message sequence (one UPDATE per dma_map line, one INVALIDATE
 * per dma_unmap line, BATCH_BEGIN/END per listener batch line, with the
 * message type, ASID and perm QEMU traced), the SET_STATUS writes and the
 * resets, and the host memory the maps point into.
 *
 * Devices: QEMU traces maps with the `vdpa:`/`vdpa_shared:` pointer and the
 * fd, and status with the vhost_dev pointer. Several vhost devices share one
 * fd (a net device's data queues and its CVQ device), and the kernel object
 * is the fd, so streams are per fd. A vhost_dev is tied to its fd through
 * vhost_vdpa_init's pointers; one that never appears in a map line (7.2
 * traces maps with the CVQ device's pointer only) belongs to the only fd
 * when the trace has one.
 */
import { InputError } from '../../errors.js';
import { hex } from '../../iotlb/index.js';
import { VHOST_IOTLB_BATCH_BEGIN, VHOST_IOTLB_BATCH_END, type IotlbMsg } from '../../kernel/index.js';
import type { TraceEvent } from './event-grammar.js';

export type StreamOp =
  | { op: 'msg'; lineNo: number; event: 'dma_map' | 'dma_unmap' | 'batch_begin' | 'batch_end'; msg: IotlbMsg }
  /** SET_STATUS with the device's status after vhost_vdpa_add_status OR-ed its bits (`added`, as traced) in. */
  | { op: 'status'; lineNo: number; status: number; added: number }
  /** SET_STATUS 0 (vhost_vdpa_reset_device). */
  | { op: 'reset'; lineNo: number }
  /** VHOST_VDPA_SET_GROUP_ASID (vhost_vdpa_set_address_space_id: the CVQ's group to its ASID, 8.0+). */
  | { op: 'group_asid'; lineNo: number; group: number; asid: number }
  /** VHOST_VDPA_SUSPEND (vhost_vdpa_suspend, 8.0+: traced only when SUSPEND was acked, right before the ioctl). */
  | { op: 'suspend'; lineNo: number }
  /** QEMU 8.1+'s CVQ isolation probe, untraced: added where QEMU ran it (cvq-probe-ops.ts); `lineNo` is the line it preceded. */
  | { op: 'cvq_probe'; lineNo: number; queuePairs: number };

export interface DeviceStream {
  fd: number;
  /** `vdpa:`/`vdpa_shared:` pointers seen on this fd's map lines. */
  pointers: string[];
  /** vhost_dev pointers tied to this fd. */
  devs: string[];
  ops: StreamOp[];
  resets: number;
  /** From vhost_vdpa_get_iova_range of one of its devs, else the whole 64-bit space. */
  iovaRange: { first: bigint; last: bigint };
}

/** One guest RAM mapping of QEMU's, inferred from the maps' uaddr ranges. */
export interface InferredRegion {
  uaddr: bigint;
  bytes: bigint;
  /** The first dma_map line whose range falls in it. */
  firstLine: number;
  /** The dma_map line whose range reaches its end (the one that made it this big). */
  endLine: number;
}

export interface RebuiltTrace {
  devices: DeviceStream[];
  regions: InferredRegion[];
  /** Status or reset lines whose vhost_dev could not be tied to an fd (left out of every stream). */
  unattributedLines: number[];
}

const FULL_RANGE = { first: 0n, last: (1n << 64n) - 1n };

interface LiveMap {
  iova: bigint;
  last: bigint;
  uaddr: bigint;
  lineNo: number;
}

export function rebuildStreams(events: TraceEvent[], where: string): RebuiltTrace {
  const ptrFd = new Map<string, number>();
  const devPtrs = new Map<string, string[]>();
  const ranges = new Map<string, { first: bigint; last: bigint }>();
  for (const e of events) {
    if (e.kind === 'dma_map' || e.kind === 'dma_unmap' || e.kind === 'batch_begin' || e.kind === 'batch_end') {
      const had = ptrFd.get(e.vdpa);
      if (had !== undefined && had !== e.fd) throw new InputError(`${where}: line ${e.lineNo}`, `${e.vdpa} was traced with fd ${had} before and fd ${e.fd} here: the trace is inconsistent`);
      ptrFd.set(e.vdpa, e.fd);
    } else if (e.kind === 'init') devPtrs.set(e.dev, [e.vdpa, ...(e.shared ? [e.shared] : [])]);
    else if (e.kind === 'get_iova_range') ranges.set(e.dev, { first: e.first, last: e.last });
  }
  if (ptrFd.size === 0) throw new InputError(where, 'holds no vhost_vdpa_dma_map, dma_unmap or batch line: there is no message stream to replay');
  const fds = [...new Set(ptrFd.values())];
  const fdOfDev = (dev: string): number | undefined => {
    for (const p of devPtrs.get(dev) ?? []) if (ptrFd.has(p)) return ptrFd.get(p);
    return fds.length === 1 ? fds[0] : undefined;
  };
  /** A vhost_vdpa pointer (set_address_space_id's) to its fd: directly (7.2/8.x map lines print it), or through the vhost_dev init tied it to. */
  const fdOfVdpa = (vdpa: string): number | undefined => {
    if (ptrFd.has(vdpa)) return ptrFd.get(vdpa);
    for (const [dev, ptrs] of devPtrs) if (ptrs[0] === vdpa) return fdOfDev(dev);
    return fds.length === 1 ? fds[0] : undefined;
  };

  const streams = new Map<number, DeviceStream>();
  const stream = (fd: number): DeviceStream => {
    let s = streams.get(fd);
    if (!s) streams.set(fd, (s = { fd, pointers: [], devs: [], ops: [], resets: 0, iovaRange: FULL_RANGE }));
    return s;
  };
  for (const [p, fd] of ptrFd) stream(fd).pointers.push(p);
  for (const dev of devPtrs.keys()) {
    const fd = fdOfDev(dev);
    if (fd !== undefined) {
      stream(fd).devs.push(dev);
      const r = ranges.get(dev);
      if (r) stream(fd).iovaRange = r;
    }
  }

  const status = new Map<number, number>();
  const live = new Map<string, LiveMap[]>();
  const unattributedLines: number[] = [];
  const pinRanges: { start: bigint; end: bigint; lineNo: number }[] = [];
  for (const e of events) {
    switch (e.kind) {
      case 'dma_map': {
        const asid = e.asid ?? 0;
        checkConsistent(live, e.fd, asid, e.iova, e.size, e.uaddr, e.lineNo, where);
        stream(e.fd).ops.push({ op: 'msg', lineNo: e.lineNo, event: 'dma_map', msg: { msgType: e.msgType, type: e.type, asid, iova: e.iova, size: e.size, uaddr: e.uaddr, perm: e.perm } });
        // The kernel pins PFN_UP(size + (iova & ~PAGE_MASK)) pages from uaddr's page.
        const pages = (e.size + (e.iova & 0xfffn) + 0xfffn) >> 12n;
        pinRanges.push({ start: e.uaddr >> 12n, end: (e.uaddr >> 12n) + pages, lineNo: e.lineNo });
        break;
      }
      case 'dma_unmap': {
        const asid = e.asid ?? 0;
        forget(live, e.fd, asid, e.iova, e.size);
        stream(e.fd).ops.push({ op: 'msg', lineNo: e.lineNo, event: 'dma_unmap', msg: { msgType: e.msgType, type: e.type, asid, iova: e.iova, size: e.size, uaddr: 0n, perm: 0 } });
        break;
      }
      case 'batch_begin':
      case 'batch_end':
        stream(e.fd).ops.push({ op: 'msg', lineNo: e.lineNo, event: e.kind, msg: { msgType: e.msgType, type: e.kind === 'batch_begin' ? VHOST_IOTLB_BATCH_BEGIN : VHOST_IOTLB_BATCH_END, asid: 0, iova: 0n, size: 0n, uaddr: 0n, perm: 0 } });
        break;
      case 'set_group_asid': {
        const fd = fdOfVdpa(e.vdpa);
        if (fd === undefined) unattributedLines.push(e.lineNo);
        else stream(fd).ops.push({ op: 'group_asid', lineNo: e.lineNo, group: e.group, asid: e.asid });
        break;
      }
      case 'suspend': {
        const fd = fdOfDev(e.dev);
        if (fd === undefined) unattributedLines.push(e.lineNo);
        else stream(fd).ops.push({ op: 'suspend', lineNo: e.lineNo });
        break;
      }
      case 'add_status':
      case 'reset_device': {
        const fd = fdOfDev(e.dev);
        if (fd === undefined) {
          unattributedLines.push(e.lineNo);
          break;
        }
        const s = stream(fd);
        if (e.kind === 'reset_device') {
          status.set(fd, 0);
          s.ops.push({ op: 'reset', lineNo: e.lineNo });
          s.resets++;
        } else {
          // vhost_vdpa_add_status: read the status, OR the bits in, SET_STATUS.
          const next = (status.get(fd) ?? 0) | e.status;
          status.set(fd, next);
          s.ops.push({ op: 'status', lineNo: e.lineNo, status: next, added: e.status });
        }
        break;
      }
      default:
        break;
    }
  }
  return { devices: [...streams.values()].sort((a, b) => a.fd - b.fd), regions: mergeRanges(pinRanges), unattributedLines };
}

const liveKey = (fd: number, asid: number) => `${fd}/${asid}`;

/**
 * A map over an IOVA range the trace still holds mapped with another uaddr
 * for the same IOVA cannot be replayed: QEMU writes one only when the kernel
 * refused the earlier map, which the trace still shows as sent (QEMU traces
 * a message before its write()). With x-svq QEMU's IOVA allocator frees the
 * range of a refused map (vhost_vdpa_listener_region_add's fail_map) and
 * hands it to the next section: a 7.2 recording at the default 8 MiB
 * RLIMIT_MEMLOCK did that at each start. Bad input, naming that cause.
 * Overlaps with the same translation go to the kernel model (EEXIST).
 */
function checkConsistent(live: Map<string, LiveMap[]>, fd: number, asid: number, iova: bigint, size: bigint, uaddr: bigint, lineNo: number, where: string): void {
  const list = live.get(liveKey(fd, asid)) ?? [];
  const last = iova + size - 1n;
  for (const m of list) {
    if (m.iova <= last && iova <= m.last && m.uaddr - m.iova !== uaddr - iova) {
      throw new InputError(`${where}: line ${lineNo}`, `map of iova ${hex(iova)}+${hex(size)} to uaddr ${hex(uaddr)} overlaps the map of line ${m.lineNo} (iova ${hex(m.iova)} to uaddr ${hex(m.uaddr)}), still mapped, with another uaddr: QEMU sends that only after the kernel refused line ${m.lineNo}'s map (look for "vhost vdpa map fail!" in QEMU's stderr; ENOMEM past RLIMIT_MEMLOCK, say), and the trace shows that map as sent`);
    }
  }
  list.push({ iova, last, uaddr, lineNo });
  live.set(liveKey(fd, asid), list);
}

/** INVALIDATE's rule: every map overlapping [iova, iova + size - 1] (mod 2^64) goes whole. */
function forget(live: Map<string, LiveMap[]>, fd: number, asid: number, iova: bigint, size: bigint): void {
  const last = (iova + size - 1n) & ((1n << 64n) - 1n);
  const list = live.get(liveKey(fd, asid));
  if (list) live.set(liveKey(fd, asid), list.filter((m) => !(m.iova <= last && iova <= m.last)));
}

/**
 * Ranges closer than this (pages) belong to one RAMBlock: the listener skips
 * the VGA window and BIOS/option-ROM area (0xa0000-0x100000, 96 pages) of
 * pc.ram, so its maps leave that hole in one host mapping. Keeping the block
 * whole keeps its THP chunk boundaries where the host has them (2 MiB from
 * the block's start), not 1 MiB off.
 */
const SAME_BLOCK_GAP = 512n;

/** One region per run of pinned uaddr pages, runs less than SAME_BLOCK_GAP apart joined. */
function mergeRanges(ranges: { start: bigint; end: bigint; lineNo: number }[]): InferredRegion[] {
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: { start: bigint; end: bigint; lineNo: number; endLine: number }[] = [];
  for (const r of sorted) {
    const top = out[out.length - 1];
    if (top && r.start < top.end + SAME_BLOCK_GAP) {
      if (r.end > top.end) [top.end, top.endLine] = [r.end, r.lineNo];
      top.lineNo = Math.min(top.lineNo, r.lineNo);
    } else out.push({ ...r, endLine: r.lineNo });
  }
  return out.map((r) => ({ uaddr: r.start << 12n, bytes: (r.end - r.start) << 12n, firstLine: r.lineNo, endLine: r.endLine }));
}
