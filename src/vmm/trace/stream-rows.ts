/**
 * The model's messages and the real ones side by side: aligned as a diff of
 * the two sequences (Myers, `diff`'s diffArrays) on each message's key
 * (stream-messages.ts messageKey), then every row judged: the same message,
 * the same message with an expected difference (a named one: the host
 * address QEMU mapped a RAM section from, at the same offset in its block;
 * the address of a shadow vring or CVQ buffer; a message the model does not
 * send, where the caller names why), or an unexplained one (a field that
 * differs, a message on one side only).
 */
import { diffArrays } from 'diff';
import { hex } from '../../iotlb/index.js';
import { describeMessage, messageKey, type StreamMessage } from './stream-messages.js';

export type Verdict = 'same' | 'expected' | 'unexplained';

export interface StreamRow {
  /** The fd (in trace order) this row belongs to. */
  device: number;
  model: string | null;
  real: string | null;
  /** The real message's line in the trace. */
  realLine: number | null;
  verdict: Verdict;
  /** What differs: expected ones by their name, unexplained ones by field. */
  notes: string[];
}

/** Host blocks on each side, to tell an expected host address (same offset in the same block) from a wrong one. */
export interface HostBlocks {
  model: { hva: bigint; bytes: bigint }[];
  real: { hva: bigint; bytes: bigint }[];
}

export const EXPECTED = {
  'host-address': "a RAM section's uaddr: QEMU's mmap of the RAMBlock is not the lab's, and the offset into the block is the same",
  'shadow-host-address': "a shadow vring's or CVQ buffer's uaddr: memory QEMU mmaps (or qemu_memalign) for itself",
  'set-features-not-modeled':
    "VHOST_SET_FEATURES right before each FEATURES_OK: the model sends no SET_FEATURES at a start, as it sends none of the vring setup ioctls (SET_VRING_NUM/BASE/ADDR/KICK/CALL, GET_VRING_BASE): none moves a map or resets",
  'memory-map-changes':
    "QEMU 10.1+ registers the listener at vhost_vdpa_init: before the first start it maps and unmaps as the board adds RAM and the firmware reprograms PAM and SMRAM; the model maps the map of the first start at once (and unmaps it at the machine's first reset)",
  'guest-poweroff-reset':
    "a reset after the last stop, before QEMU quits: the traced guest reset the device on its way down (poweroff's device_shutdown writes status 0, and 9.2+'s virtio_reset resets the vhost device); the model's close is QEMU quitting under a running guest, a stop with no virtio reset",
} as const;
export type ExpectedName = keyof typeof EXPECTED;

function blockOffset(blocks: readonly { hva: bigint; bytes: bigint }[], uaddr: bigint): [number, bigint] | null {
  const i = blocks.findIndex((b) => uaddr >= b.hva && uaddr < b.hva + b.bytes);
  return i < 0 ? null : [i, uaddr - blocks[i].hva];
}

/** Differences of two messages with the same key: only what the key leaves out. */
function sameKeyNotes(m: StreamMessage, r: StreamMessage, blocks: HostBlocks): { expected: ExpectedName[]; unexplained: string[] } {
  const expected: ExpectedName[] = [];
  const unexplained: string[] = [];
  if (m.kind === 'map' && m.uaddr !== r.uaddr) {
    if (!m.batched) expected.push('shadow-host-address');
    else {
      const a = blockOffset(blocks.model, m.uaddr!);
      const b = blockOffset(blocks.real, r.uaddr!);
      if (a && b && a[0] === b[0] && a[1] === b[1]) expected.push('host-address');
      else unexplained.push(`uaddr ${hex(m.uaddr!)} vs ${hex(r.uaddr!)}: not the same offset into the same RAM block`);
    }
  }
  return { expected, unexplained };
}

const FIELDS = ['msgType', 'asid', 'iova', 'size', 'perm', 'batched', 'status', 'group'] as const;

/** Fields of two messages of one kind that differ. */
function fieldNotes(m: StreamMessage, r: StreamMessage): string[] {
  const show = (v: unknown) => (typeof v === 'bigint' ? hex(v) : String(v));
  return FIELDS.filter((f) => m[f] !== r[f]).map((f) => `${f} ${show(m[f])} vs ${show(r[f])}`);
}

function row(device: number, m: StreamMessage | null, r: StreamMessage | null, verdict: Verdict, notes: string[]): StreamRow {
  return { device, model: m && describeMessage(m), real: r && describeMessage(r), realLine: r?.lineNo ?? null, verdict, notes };
}

/** Side-by-side rows of one fd, and the count of each expected difference met. */
/** Why a message on one side only is expected (never paired with one of the other side), or null. */
export type OneSided = (m: StreamMessage) => ExpectedName | null;

export function compareMessages(device: number, model: StreamMessage[], real: StreamMessage[], blocks: HostBlocks, counts: Map<ExpectedName, number>, realOnly?: OneSided, modelOnly?: OneSided): StreamRow[] {
  const keyed = (xs: StreamMessage[]) => xs.map((x) => ({ x, key: messageKey(x) }));
  const parts = diffArrays(keyed(model), keyed(real), { comparator: (a, b) => a.key === b.key });
  const rows: StreamRow[] = [];
  let onlyModel: StreamMessage[] = [];
  let onlyReal: StreamMessage[] = [];
  const alone = (r: StreamMessage) => {
    const why = realOnly?.(r);
    if (why) counts.set(why, (counts.get(why) ?? 0) + 1);
    rows.push(why ? row(device, null, r, 'expected', [why]) : row(device, null, r, 'unexplained', ['the real QEMU sent it; the model does not']));
  };
  const flush = () => {
    // A message changed in place pairs up with the next real one of its kind; the rest stand alone.
    let next = 0;
    for (const m of onlyModel) {
      const why = modelOnly?.(m);
      if (why) {
        counts.set(why, (counts.get(why) ?? 0) + 1);
        rows.push(row(device, m, null, 'expected', [why]));
        continue;
      }
      const j = onlyReal.findIndex((r, k) => k >= next && r.kind === m.kind && !realOnly?.(r));
      if (j < 0) {
        rows.push(row(device, m, null, 'unexplained', ['the model sends it; the real QEMU did not']));
        continue;
      }
      onlyReal.slice(next, j).forEach(alone);
      rows.push(row(device, m, onlyReal[j], 'unexplained', fieldNotes(m, onlyReal[j])));
      next = j + 1;
    }
    onlyReal.slice(next).forEach(alone);
    onlyModel = [];
    onlyReal = [];
  };
  let mi = 0;
  let ri = 0;
  for (const p of parts) {
    if (p.removed) {
      onlyModel.push(...model.slice(mi, mi + p.value.length));
      mi += p.value.length;
    } else if (p.added) {
      onlyReal.push(...real.slice(ri, ri + p.value.length));
      ri += p.value.length;
    } else {
      flush();
      for (let i = 0; i < p.value.length; i++) {
        const m = model[mi++];
        const r = real[ri++];
        const d = sameKeyNotes(m, r, blocks);
        for (const e of d.expected) counts.set(e, (counts.get(e) ?? 0) + 1);
        const verdict: Verdict = d.unexplained.length ? 'unexplained' : d.expected.length ? 'expected' : 'same';
        rows.push(row(device, m, r, verdict, [...d.expected, ...d.unexplained]));
      }
    }
  }
  flush();
  return rows;
}
