/**
 * The QEMU trace lines a real QEMU of the VM's release (in its log format)
 * would have logged for what the VM sends: IOTLB messages become
 * vhost_vdpa_dma_map / _dma_unmap / listener batch lines, SET_STATUS writes
 * vhost_vdpa_add_status / _reset_device lines, VHOST_VDPA_SUSPEND
 * vhost_vdpa_suspend (8.0+ with SUSPEND acked), SET_GROUP_ASID
 * vhost_vdpa_set_address_space_id (net/trace-events), so a nas >= 2 VM's
 * CVQ maps in ASID 1, unbatched as QEMU sends them, read back as they ran.
 * SET_OWNER is traced (vhost_vdpa_set_owner) for the order; what QEMU does
 * not trace (the backend features, 8.1+'s CVQ isolation probe) is not in
 * the text. `run --emit-trace` writes it, `qemu check` parses it back to
 * set the model's stream beside a real one.
 */
import { hex, U64_MAX } from '../../iotlb/index.js';
import { traceOf, type TraceContext } from '../../kernel/index.js';
import type { VirtualMachine } from '../vm.js';

/** Pointers as QEMU prints them, one set per device; only their identity matters to a reader. */
function pointers(i: number): { dev: string; shared: string; vdpa: string; fd: number } {
  const n = (base: number) => `0x${(base + i * 0x1000).toString(16)}`;
  return { dev: n(0x55d0_0000_0000), shared: n(0x55d1_0000_0000), vdpa: n(0x7f30_0000_0000), fd: 20 + i };
}

/**
 * What the release prints (qemu-formats.ts): 9.0+ maps and batches name the
 * `vdpa_shared:` object, earlier releases the `vdpa:`; 8.0+ maps carry
 * their ASID; up to 8.0 vhost_vdpa_reset_device prints the status it set.
 * A reader gets the release range back from these, and so knows whether
 * QEMU ran its untraced CVQ isolation probe (8.1+).
 */
function traceContext(p: ReturnType<typeof pointers>, vm: VirtualMachine): TraceContext {
  const q = vm.qemu;
  return {
    dev: p.dev,
    vdpa: p.vdpa,
    message: (event, msgType, body) => `${event} ${q.traceShared ? `vdpa_shared:${p.shared}` : `vdpa:${p.vdpa}`} fd: ${p.fd} msg_type: ${msgType} ${body}`,
    asid: (asid) => (q.traceAsid ? `asid: ${asid} ` : ''),
    resetStatus: q.traceResetStatus,
    status: { bits: 0 },
  };
}

/** Runs `body` (the VM's events) with every device's ops recorded, and returns the trace text (one line per traced op). */
export function traceVm(vm: VirtualMachine, body: () => void): string {
  const lines: string[] = [];
  vm.backends.forEach((b, i) => {
    const p = pointers(i);
    lines.push(vm.qemu.traceShared ? `vhost_vdpa_init dev: ${p.dev}, common dev: ${p.shared} vdpa: ${p.vdpa}` : `vhost_vdpa_init dev: ${p.dev} vdpa: ${p.vdpa}`);
    lines.push(`vhost_vdpa_get_iova_range dev: ${p.dev} first: 0x0 last: ${hex(U64_MAX)}`);
    const t = traceContext(p, vm);
    b.dev.observer = (call) => {
      // QEMU 8.1+'s CVQ isolation probe calls ioctl() directly: no trace line, but its reset leaves the status 0.
      if (b.probing) {
        if (call.op === 'set_status' && call.status === 0) t.status.bits = 0;
        return;
      }
      const line = traceOf(call, t);
      if (line) lines.push(line);
    };
  });
  try {
    body();
  } finally {
    for (const b of vm.backends) b.dev.observer = undefined;
  }
  return lines.join('\n') + '\n';
}
