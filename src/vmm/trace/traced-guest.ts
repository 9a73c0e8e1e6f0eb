/**
 * The guest a real QEMU trace shows, as the VMM model needs it to send the
 * same VM's stream (`qemu check`): its memory map (the listener's RAM
 * sections, from vhost_vdpa_listener_region_add/_del), its device starts
 * and stops (the status writes), whether the data VQs were shadowed
 * (x-svq=on: the listener maps a section at an IOVA from the IOVA tree, not
 * at its GPA), and its devices and queue pairs (vhost_vdpa_init).
 */
import { STATUS } from '../../kernel/index.js';
import type { GivenLayout } from '../guest-memory.js';
import type { TraceEvent } from './event-grammar.js';
import type { DeviceStream, RebuiltTrace } from './rebuild-streams.js';
import { queuePairsOf } from './cvq-probe-ops.js';

export interface TracedGuest {
  layout: GivenLayout;
  /** Where each block of the layout starts in the traced QEMU (its host address). */
  blockHvas: bigint[];
  /** DRIVER_OK writes, and stops (the first reset or SUSPEND after each) of the first fd. */
  starts: number;
  /** Per start: the resets after the stop before it had added ACKNOWLEDGE|DRIVER back (9.2+'s virtio_reset: 1 at a guest reset, 2 at a reboot). */
  virtioResets: number[];
  stops: number;
  /** The data VQs were shadowed at each start (x-svq=on, or switched at migration). */
  svq: boolean[];
  devices: number;
  queuePairs: number;
  /** The CVQ went to an address space of its own (SET_GROUP_ASID, or a map in ASID 1): the device has two. */
  cvqIsolated: boolean;
  /** vhost_vdpa_cleanup was traced: QEMU quit (or deleted the netdev) inside the trace. */
  closed: boolean;
}

interface Section {
  gpa: bigint;
  end: bigint;
  hva: bigint;
  readonly: boolean;
}

/** Host ranges closer than this are one block (as rebuild-streams.ts joins a RAMBlock across the VGA/ROM hole). */
const SAME_BLOCK_GAP = 2n << 20n;

/**
 * The sections live when the first device start completed (its DRIVER_OK),
 * in the order the listener added them: 7.2 to 10.0 register the listener
 * at that start, 10.1+ at vhost_vdpa_init, when the board's RAM is added
 * and the firmware still reprograms PAM; what is live at the first
 * DRIVER_OK is the map every later start re-maps.
 */
function liveSections(events: readonly TraceEvent[], untilLine: number): Section[] {
  const live = new Map<string, Section>();
  for (const e of events) {
    if (e.lineNo > untilLine) break;
    // Keyed by GPA (sections never overlap in it): region_del prints llend exclusive in 7.2 and inclusive in 11.1.
    if (e.kind === 'region_add' && e.vaddr !== '(nil)') live.set(String(e.iova), { gpa: e.iova, end: e.llend, hva: BigInt(e.vaddr), readonly: e.readonly });
    else if (e.kind === 'region_del') live.delete(String(e.iova));
  }
  return [...live.values()];
}

/** Without region_add lines: the listener's batched ASID 0 maps of the first fd (IOVA = GPA without SVQ), up to the first DRIVER_OK. */
function batchedMaps(stream: DeviceStream, untilLine: number): Section[] {
  const out = new Map<string, Section>();
  let inBatch = false;
  for (const op of stream.ops) {
    if (op.lineNo > untilLine || op.op !== 'msg') continue;
    if (op.event === 'batch_begin' || op.event === 'batch_end') inBatch = op.event === 'batch_begin';
    else if (inBatch && op.msg.asid === 0) {
      const key = `${op.msg.iova}/${op.msg.size}`;
      if (op.event === 'dma_map') out.set(key, { gpa: op.msg.iova, end: op.msg.iova + op.msg.size, hva: op.msg.uaddr, readonly: op.msg.perm === 1 });
      else out.delete(key);
    }
  }
  return [...out.values()];
}

/** Blocks: the sections' host ranges joined where they touch, overlap (aliases) or lie less than SAME_BLOCK_GAP apart. */
function layoutOf(sections: Section[]): { layout: GivenLayout; blockHvas: bigint[] } {
  const ranges = [...sections].sort((a, b) => (a.hva < b.hva ? -1 : a.hva > b.hva ? 1 : 0)).map((s) => ({ start: s.hva, end: s.hva + (s.end - s.gpa) }));
  const blocks: { start: bigint; end: bigint }[] = [];
  for (const r of ranges) {
    const top = blocks[blocks.length - 1];
    if (top && r.start < top.end + SAME_BLOCK_GAP) top.end = r.end > top.end ? r.end : top.end;
    else blocks.push({ ...r });
  }
  const blockOf = (hva: bigint) => blocks.findIndex((b) => hva >= b.start && hva < b.end);
  const hex = (v: bigint) => `0x${v.toString(16)}`;
  return {
    blockHvas: blocks.map((b) => b.start),
    layout: {
      blocks: blocks.map((b) => ({ name: `block@${hex(b.start)}`, bytes: Number(b.end - b.start) })),
      sections: sections.map((s) => {
        const block = blockOf(s.hva);
        return { name: `gpa ${hex(s.gpa)}`, gpa: Number(s.gpa), bytes: Number(s.end - s.gpa), block, offset: Number(s.hva - blocks[block].start), readonly: s.readonly };
      }),
    },
  };
}

/**
 * Whether the data VQs were shadowed at each start (x-svq=on, or after the
 * switch at migration): a section the listener added in that start's span
 * was mapped at another IOVA than its GPA (the next dma_map after its
 * region_add); without region lines, a map in ASID 0 outside any batch in
 * that span (a data shadow vring: without SVQ only an isolated CVQ maps
 * alone, in ASID 1).
 */
function shadowedStarts(events: readonly TraceEvent[], stream: DeviceStream, spans: readonly { from: number; to: number }[]): boolean[] {
  const regions = events.some((e) => e.kind === 'region_add');
  const odd: number[] = [];
  if (regions) {
    let pending: bigint | null = null;
    for (const e of events) {
      if (e.kind === 'region_add') pending = e.iova;
      else if (e.kind === 'dma_map' && pending !== null) {
        if (e.iova !== pending) odd.push(e.lineNo);
        pending = null;
      }
    }
  } else {
    let inBatch = false;
    for (const op of stream.ops) {
      if (op.op !== 'msg') continue;
      if (op.event === 'batch_begin' || op.event === 'batch_end') inBatch = op.event === 'batch_begin';
      else if (op.event === 'dma_map' && !inBatch && op.msg.asid === 0) odd.push(op.lineNo);
    }
  }
  return spans.map((s) => odd.some((l) => l > s.from && l < s.to));
}

/**
 * Starts and stops of one fd: a DRIVER_OK is a start; the first reset or
 * SUSPEND after it, a stop. Each start's span runs from the stop before it,
 * and counts the resets after the stop's ACKNOWLEDGE|DRIVER (vhost_vdpa's
 * own reset is done by then): 9.2+'s virtio_reset, once at a guest's reset,
 * twice at a reboot (the system reset, then the rebooted driver's probe).
 */
function startsAndStops(stream: DeviceStream): { spans: { from: number; to: number; virtioResets: number }[]; stops: number } {
  const ackDriver = STATUS.ACKNOWLEDGE | STATUS.DRIVER;
  let running = false;
  let stops = 0;
  let from = 0;
  let virtioResets: number | null = null;
  const spans: { from: number; to: number; virtioResets: number }[] = [];
  for (const op of stream.ops) {
    if (op.op === 'status' && op.added & STATUS.DRIVER_OK && !running) {
      running = true;
      spans.push({ from, to: op.lineNo, virtioResets: virtioResets ?? 0 });
      virtioResets = null;
    } else if ((op.op === 'reset' || op.op === 'suspend') && running) {
      running = false;
      stops++;
      from = op.lineNo;
    } else if (op.op === 'status' && op.added === ackDriver && !running && stops > 0) virtioResets = 0;
    else if (op.op === 'reset' && virtioResets !== null) virtioResets++;
  }
  return { spans, stops };
}

export function tracedGuest(events: readonly TraceEvent[], rebuilt: RebuiltTrace): TracedGuest {
  const first = rebuilt.devices[0];
  const { spans, stops } = startsAndStops(first);
  const firstStartLine = spans[0]?.to ?? Infinity;
  const fromRegions = liveSections(events, firstStartLine);
  const sections = fromRegions.length ? fromRegions : batchedMaps(first, firstStartLine);
  return {
    ...layoutOf(sections),
    starts: spans.length,
    virtioResets: spans.map((s) => s.virtioResets),
    stops,
    svq: shadowedStarts(events, first, spans),
    devices: rebuilt.devices.length,
    cvqIsolated: first.ops.some((op) => op.op === 'group_asid' || (op.op === 'msg' && op.msg.asid > 0)),
    // The lab's vdpa_sim_net default: one queue pair and the CVQ.
    queuePairs: queuePairsOf(first, 3),
    closed: events.some((e) => e.kind === 'cleanup'),
  };
}
