/**
 * `run --emit-trace DIR`: for each cell, the QEMU trace lines a real QEMU
 * of the cell's release (in its log format: traceFormat) would have logged
 * for the cell's message stream, so `vdpa-lab replay` of the file gives the
 * cell's kernel counters back. The cell's VM is run
 * once more on the model with its devices' ops recorded (record-ops.ts):
 * IOTLB messages become vhost_vdpa_dma_map / _dma_unmap / listener batch
 * lines, SET_STATUS writes vhost_vdpa_add_status / _reset_device lines.
 * VHOST_VDPA_SUSPEND becomes vhost_vdpa_suspend (QEMU 8.0+ with SUSPEND acked).
 * SET_GROUP_ASID becomes vhost_vdpa_set_address_space_id (net/trace-events),
 * so a nas >= 2 cell's CVQ maps in ASID 1, unbatched as QEMU sends them,
 * replay as they ran. SET_OWNER is traced (vhost_vdpa_set_owner) for the
 * order; what QEMU does not trace (the backend features, 8.1+'s CVQ
 * isolation probe) is not in the file, and a replay does its own.
 */
import { hex, U64_MAX } from '../iotlb/index.js';
import { resolveQemu, VirtualMachine, type EventName } from '../vmm/index.js';
import { toVmSpec, type CellSpec } from '../workload/index.js';
import { traceOf, type TraceContext } from '../kernel/index.js';

/** Pointers as QEMU prints them, one set per device; only their identity matters to a replay. */
function pointers(i: number): { dev: string; shared: string; vdpa: string; fd: number } {
  const n = (base: number) => `0x${(base + i * 0x1000).toString(16)}`;
  return { dev: n(0x55d0_0000_0000), shared: n(0x55d1_0000_0000), vdpa: n(0x7f30_0000_0000), fd: 20 + i };
}

/**
 * What the cell's QEMU release prints (trace/qemu-formats.ts): 9.0+ maps and
 * batches name the `vdpa_shared:` object, earlier releases the `vdpa:`;
 * 8.0+ maps carry their ASID; up to 8.0 vhost_vdpa_reset_device prints the
 * status it set. A replay reads the release range back from these, and so
 * knows whether QEMU ran its untraced CVQ isolation probe (8.1+).
 */
interface TraceFormat {
  shared: boolean;
  asid: boolean;
  resetStatus: boolean;
}

function traceFormat(qemu: string): TraceFormat {
  const q = resolveQemu(qemu);
  return { shared: q.traceShared, asid: q.traceAsid, resetStatus: q.traceResetStatus };
}

/** The op table's trace context for device `i` of the cell (kernel/ops/device-ops.ts writes the lines). */
function traceContext(p: ReturnType<typeof pointers>, f: TraceFormat): TraceContext {
  return {
    dev: p.dev,
    vdpa: p.vdpa,
    message: (event, msgType, body) => `${event} ${f.shared ? `vdpa_shared:${p.shared}` : `vdpa:${p.vdpa}`} fd: ${p.fd} msg_type: ${msgType} ${body}`,
    asid: (asid) => (f.asid ? `asid: ${asid} ` : ''),
    resetStatus: f.resetStatus,
    status: { bits: 0 },
  };
}

export function emitCellTrace(cell: CellSpec): string {
  const vm = new VirtualMachine(toVmSpec(cell.params));
  const f = traceFormat(vm.qemu.release);
  try {
    const lines: string[] = [];
    vm.backends.forEach((b, i) => {
      const p = pointers(i);
      lines.push(f.shared ? `vhost_vdpa_init dev: ${p.dev}, common dev: ${p.shared} vdpa: ${p.vdpa}` : `vhost_vdpa_init dev: ${p.dev} vdpa: ${p.vdpa}`);
      lines.push(`vhost_vdpa_get_iova_range dev: ${p.dev} first: 0x0 last: ${hex(U64_MAX)}`);
      const t = traceContext(p, f);
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
    for (const name of cell.params.events as EventName[]) vm.runEvent(name);
    return lines.join('\n') + '\n';
  } finally {
    vm.dispose();
  }
}
