/**
 * Where a replay's segments split: at a reset that stops a device which ran
 * (a DRIVER_OK since the segment opened). A reset before the first start
 * stays in `boot` (9.2+'s virtio_reset at the machine's first reset and at
 * the guest driver's probe), and a second reset in the same stop stays in
 * that stop's segment (9.2+'s virtio_reset after vhost_vdpa_reset_status,
 * an 8.0+ suspend that fell back to a reset), so one segment is one guest
 * reset: its unmaps and the re-maps of the start after it.
 */
import { STATUS } from '../../kernel/index.js';
import type { StreamOp } from '../../vmm/trace/index.js';

/** The reset ops that open a segment. */
export function segmentOpeners(ops: readonly StreamOp[]): Set<StreamOp> {
  const out = new Set<StreamOp>();
  let ran = false;
  for (const op of ops) {
    if (op.op === 'status' && op.status & STATUS.DRIVER_OK) ran = true;
    else if (op.op === 'reset' && ran) {
      out.add(op);
      ran = false;
    }
  }
  return out;
}
