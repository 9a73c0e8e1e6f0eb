/**
 * `--what-if persist`: the same message stream as QEMU would send it with
 * VHOST_BACKEND_F_IOTLB_PERSIST acked. The kernel then keeps the maps across
 * SET_STATUS 0, so an INVALIDATE after a reset followed, before the next
 * reset, by an UPDATE that re-maps exactly what it removed (same ASID, iova,
 * size, uaddr and perm) is a pair QEMU would not send: both go. "Reset" is
 * a guest reset, as the replay's segments count them (segments.ts): 9.2+
 * resets twice per stop, and its unmaps follow the first reset, its re-maps
 * the second. A re-map at
 * another IOVA (a switch to shadow virtqueues) or of other host memory is
 * kept, as is its INVALIDATE. A listener batch left empty goes too (its
 * BATCH_END would still cost a set_map on a set_map parent).
 */
import { VHOST_IOTLB_INVALIDATE, VHOST_IOTLB_UPDATE } from '../../kernel/index.js';
import type { StreamOp } from '../../vmm/trace/index.js';
import { segmentOpeners } from './segments.js';

export interface PersistStream {
  ops: StreamOp[];
  /** Per reset (index 0 = the first reset): INVALIDATE/UPDATE pairs dropped. */
  pairsDroppedPerReset: number[];
  /** Trace lines of every dropped message (pairs and emptied batches). */
  droppedLines: number[];
}

interface Pending {
  index: number;
  uaddr: bigint;
  perm: number;
}

export function dropPersistedRemaps(ops: readonly StreamOp[]): PersistStream {
  const drop = new Uint8Array(ops.length);
  const live = new Map<string, { uaddr: bigint; perm: number }>();
  const pending = new Map<string, Pending>();
  const pairs: number[] = [];
  let reset = -1;
  const opens = segmentOpeners(ops);
  ops.forEach((op, i) => {
    if (opens.has(op)) {
      reset++;
      pairs.push(0);
      pending.clear();
      return;
    }
    if (op.op !== 'msg') return;
    const m = op.msg;
    const key = `${m.asid}/${m.iova}/${m.size}`;
    if (m.type === VHOST_IOTLB_UPDATE) {
      const p = pending.get(key);
      if (p && p.uaddr === m.uaddr && p.perm === m.perm) {
        drop[i] = 1;
        drop[p.index] = 1;
        pairs[reset]++;
        pending.delete(key);
      }
      live.set(key, { uaddr: m.uaddr, perm: m.perm });
    } else if (m.type === VHOST_IOTLB_INVALIDATE) {
      const held = live.get(key);
      if (held && reset >= 0) pending.set(key, { index: i, ...held });
      live.delete(key);
    }
  });
  dropEmptyBatches(ops, drop);
  const droppedLines = ops.filter((_, i) => drop[i]).map((o) => o.lineNo);
  return { ops: ops.filter((_, i) => !drop[i]), pairsDroppedPerReset: pairs, droppedLines };
}

/** A BATCH_BEGIN..BATCH_END whose messages all went is dropped whole. */
function dropEmptyBatches(ops: readonly StreamOp[], drop: Uint8Array): void {
  let begin = -1;
  let kept = 0;
  ops.forEach((op, i) => {
    if (op.op !== 'msg') {
      kept++;
      return;
    }
    if (op.event === 'batch_begin') {
      begin = i;
      kept = 0;
    } else if (op.event === 'batch_end') {
      if (begin >= 0 && kept === 0) drop[begin] = drop[i] = 1;
      begin = -1;
    } else if (!drop[i]) kept++;
  });
}
