/**
 * QEMU 8.1+ runs its CVQ isolation probe (../cvq-probe.ts) with raw
 * ioctl()s that no trace event shows, so a replay puts it back where QEMU
 * ran it: on each fd, after what vhost_vdpa_init traced (the
 * ACKNOWLEDGE|DRIVER of the first device) and before anything else: the
 * first FEATURES_OK (up to 10.0) or the first RAM map (10.1+, whose maps
 * come when the board adds RAM, after every netdev exists). A trace fits
 * 8.1+ only when its formats say so (`reset:plain`: 8.1 dropped the status
 * from vhost_vdpa_reset_device's line); a 7.2 or 8.0 trace, or one whose
 * lines fit those too, gets no probe.
 *
 * The probe ends in a reset, so the status QEMU's next vhost_vdpa_add_status
 * reads is 0: the rebuilt status of each add_status up to the next traced
 * reset is recomputed from the bits it added.
 */
import { STATUS } from '../../kernel/index.js';
import { QEMU_TABLE, type ReleaseRange } from '../qemu-releases.js';
import type { DeviceStream, StreamOp } from './rebuild-streams.js';

/** Every release the trace's formats fit probes (cvqProbe in each one's row: 8.1+). */
export function tracedReleasesProbe(releases: ReleaseRange): boolean {
  return QEMU_TABLE.slice(releases.from, releases.to + 1).every((r) => r.cvqProbe);
}

/**
 * QEMU's cvq_index is 2 * queue_pairs, and each queue pair and the CVQ are
 * one vhost_dev (one vhost_vdpa_init line) on the fd; a stream with fewer
 * tied devs takes the parent's own VQ count (`defaultNvqs`: 2 pairs + CVQ).
 */
export function queuePairsOf(stream: DeviceStream, defaultNvqs: number): number {
  return stream.devs.length > 1 ? stream.devs.length - 1 : Math.max(1, (defaultNvqs - 1) >> 1);
}

/** `ops` with the probe inserted before the first op that is not vhost_vdpa_init's ACKNOWLEDGE|DRIVER. */
export function withCvqProbe(ops: readonly StreamOp[], queuePairs: number): StreamOp[] {
  const initBits = STATUS.ACKNOWLEDGE | STATUS.DRIVER;
  const at = ops.findIndex((op) => !(op.op === 'status' && (op.added & ~initBits) === 0));
  if (at < 0) return [...ops];
  const out: StreamOp[] = [...ops.slice(0, at), { op: 'cvq_probe', lineNo: ops[at].lineNo, queuePairs }];
  let status: number | null = 0;
  for (const op of ops.slice(at)) {
    if (op.op === 'reset') status = null; // from here the rebuild's own status is right again
    if (op.op === 'status' && status !== null) {
      status |= op.added;
      out.push({ ...op, status });
    } else out.push(op);
  }
  return out;
}
