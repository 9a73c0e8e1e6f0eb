/**
 * QEMU 8.1+'s shadow memory in a replay ("vdpa: map shadow vrings with
 * MAP_SHARED", first in 8.1; src/vmm/qemu-versions.ts svqMmap): shadow
 * vrings and CVQ buffers are fresh MAP_SHARED|MAP_ANONYMOUS mmaps with
 * nothing behind them, and `vhost_svq_stop` munmaps each ring at every stop,
 * so the next start's pins fault its pages in again. A trace shows neither
 * mmap nor munmap, so both are read from the message stream:
 * - a shadow region is a small one (under 2 MiB) that an unbatched UPDATE
 *   points into (vhost_vdpa_svq_map_ring and vhost_vdpa_cvq_map_buf call
 *   vhost_vdpa_dma_map outside the listener's batches; a ROM the listener
 *   maps, populated by QEMU's copy of its image, is mapped in a batch);
 * - a ring's INVALIDATE is an unbatched one that only other unbatched
 *   INVALIDATEs separate from the stop's reset: vhost_vdpa_svqs_stop runs
 *   before vhost_vdpa_reset_status, while vhost_vdpa_net_cvq_stop unmaps the
 *   CVQ buffers after it (and they stay mapped in QEMU until cleanup). 9.2+'s
 *   virtio_reset then resets once more right after those buffer INVALIDATEs:
 *   a reset after the stop's ACKNOWLEDGE|DRIVER is that one, not the stop's.
 */
import { STATUS, VHOST_IOTLB_BATCH_BEGIN, VHOST_IOTLB_BATCH_END, VHOST_IOTLB_INVALIDATE, VHOST_IOTLB_UPDATE } from '../../kernel/index.js';
import type { InferredRegion, StreamOp } from '../../vmm/trace/index.js';

/** Pages a successful op's munmap drops, by op. */
export type RingDrops = Map<StreamOp, { page: number; pages: number }>;

type Msg = Extract<StreamOp, { op: 'msg' }>;

/** Indexes of the regions an unbatched UPDATE of any stream points into. */
export function shadowRegions(streams: readonly (readonly StreamOp[])[], regions: readonly InferredRegion[], small: bigint): Set<number> {
  const out = new Set<number>();
  for (const ops of streams) {
    let batched = false;
    for (const op of ops) {
      if (op.op !== 'msg') continue;
      const m = op.msg;
      if (m.type === VHOST_IOTLB_BATCH_BEGIN) batched = true;
      else if (m.type === VHOST_IOTLB_BATCH_END) batched = false;
      else if (m.type === VHOST_IOTLB_UPDATE && !batched) {
        const i = regions.findIndex((r) => m.uaddr >= r.uaddr && m.uaddr < r.uaddr + r.bytes);
        if (i >= 0 && regions[i].bytes < small) out.add(i);
      }
    }
  }
  return out;
}

/** The ring INVALIDATEs of one stream and the pages each one's munmap drops (the uaddr of the UPDATE it undoes). */
export function ringDrops(ops: readonly StreamOp[]): RingDrops {
  const out: RingDrops = new Map();
  const live = new Map<string, bigint>();
  let batched = false;
  let run: Msg[] = [];
  // ACKNOWLEDGE|DRIVER added since the last DRIVER_OK: vhost_vdpa_reset_status (or 7.2's stop) is done.
  let acked = false;
  for (const op of ops) {
    const m = op.op === 'msg' ? op.msg : null;
    if (op.op === 'msg' && m!.type === VHOST_IOTLB_INVALIDATE && !batched) {
      run.push(op);
      continue;
    }
    if (op.op === 'status') acked = op.status & STATUS.DRIVER_OK ? false : acked || op.added === (STATUS.ACKNOWLEDGE | STATUS.DRIVER);
    if (op.op === 'reset' && !acked) for (const r of run) add(out, r, live);
    for (const r of run) live.delete(key(r));
    run = [];
    if (!m) continue;
    if (m.type === VHOST_IOTLB_BATCH_BEGIN) batched = true;
    else if (m.type === VHOST_IOTLB_BATCH_END) batched = false;
    else if (m.type === VHOST_IOTLB_UPDATE) live.set(key(op as Msg), m.uaddr);
    else if (m.type === VHOST_IOTLB_INVALIDATE) live.delete(key(op as Msg));
  }
  return out;
}

const key = (op: Msg) => `${op.msg.asid}/${op.msg.iova}`;

function add(out: RingDrops, op: Msg, live: Map<string, bigint>): void {
  const uaddr = live.get(key(op));
  if (uaddr !== undefined) out.set(op, { page: Number(uaddr >> 12n), pages: Number(op.msg.size >> 12n) });
}
