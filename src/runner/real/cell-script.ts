/**
 * A cell's vhost-vdpa operations as an `exec` script, so a real kernel can
 * be sent exactly what the model was: the cell's VM runs on the model once
 * more with every device's ops recorded (a recording wrapper on the device
 * object, so the model's own hot paths stay as they are). Each line keeps
 * its event, its phase and the model's answer (ret, errno, pinned_vm after
 * it), which the real kernel's answers are compared with.
 */
import { hex } from '../../iotlb/index.js';
import { phaseOf, recordOps, type ModelAnswer, type RealPhase } from './record-ops.js';
import { VirtualMachine, type EventName } from '../../vmm/index.js';
import { toVmSpec, type CellSpec } from '../../workload/index.js';
import { deviceShape, type ParentKind } from '../../kernel/index.js';

export type { RealPhase } from './record-ops.js';

export interface ScriptLineInfo {
  /** Index of the event in the cell (samples: one past the events, per cycle). */
  event: number;
  eventName: string;
  phase: RealPhase;
  model: ModelAnswer;
}

export interface CellScript {
  text: string;
  /** By script line number. */
  lines: Map<number, ScriptLineInfo>;
  devices: string[];
  mmapBytes: bigint;
  useVa: boolean;
  variant: 'set_map' | 'dma_map';
  iotlbLimit?: number;
  /** The cell's parent (the VM's plan follows it) and its devices' virtqueues (a VDUSE device in a VM is made with that many). */
  parent: ParentKind;
  nvqs: number;
}

/** The name the reset cycles repeated for a distribution go by. */
export const SAMPLE_EVENT = 'reset-cycle';

/**
 * The cell's events (close last), with `cycles` reset cycles of device 0
 * before the close for a distribution. Deterministic: the model runs the
 * same VM as the cell's modeled pass.
 */
export function recordCellScript(cell: CellSpec, cycles: number): CellScript {
  const spec = toVmSpec(cell.params);
  const vm = new VirtualMachine(spec);
  try {
    const ops: Record<string, unknown>[] = [];
    const info: Omit<ScriptLineInfo, 'phase'>[] = [];
    let event = 0;
    let eventName = 'setup';
    const devices = vm.backends.map((_, i) => `vdpa${i}`);
    const header: Record<string, unknown>[] = [
      ...devices.map((device) => ({
        op: 'open',
        device,
        parent: spec.devices.parent,
        kernel: spec.kernel,
        useVa: spec.devices.useVa,
        ...(spec.devices.variant ? { variant: spec.devices.variant } : {}),
        // The model's device shape (the probe ignores these): GET_VRING_GROUP answers by nvqs.
        ...deviceShape(spec.devices.parent, spec.devices.nas),
        nvqs: 2 * spec.devices.queuePairs + 1,
        ...(spec.iotlbLimit === null ? {} : { iotlbLimit: spec.iotlbLimit }),
      })),
      { op: 'setrlimit', memlock: spec.memlockBytes === null ? 'unlimited' : hex(BigInt(spec.memlockBytes)) },
      ...vm.mm.allRegions.map((r) => ({ op: 'mmap', uaddr: hex(BigInt(r.startPage) << 12n), size: hex(BigInt(r.pages) << 12n), backing: r.spec.backing, populate: r.spec.populated ?? true, shared: r.spec.shared })),
    ];
    vm.backends.forEach((b, i) =>
      recordOps(b.dev, devices[i], (line, res, faults) => {
        ops.push(line);
        info.push({ event, eventName, model: { ret: res.ret, errno: res.errno, pinnedVm: vm.mm.pinnedVm, faults } });
      }),
    );
    // 8.1+'s shadow ring areas are munmapped at each stop and mmapped fresh: the real process does the same, so its next pins fault.
    vm.onShadowRemap = (hva, bytes) => {
      const at = { uaddr: hex(BigInt(hva)), size: hex(BigInt(bytes)) };
      for (const line of [{ op: 'munmap', ...at }, { op: 'mmap', ...at, backing: '4k', populate: false, shared: true }]) {
        ops.push(line);
        info.push({ event, eventName, model: { ret: 0, errno: null, pinnedVm: vm.mm.pinnedVm, faults: 0 } });
      }
    };
    const events = cell.params.events as EventName[];
    const body = events[events.length - 1] === 'close' ? events.slice(0, -1) : events;
    body.forEach((name, k) => {
      event = k;
      eventName = name;
      vm.runEvent(name);
    });
    for (let c = 0; c < cycles; c++) {
      event = body.length + c;
      eventName = SAMPLE_EVENT;
      vm.resetCycle();
    }
    event = body.length + cycles;
    eventName = 'close';
    // A guest not preallocated has no frames at its mmap: its layout is read once the pins faulted them in (untimed).
    if (!spec.guest.prealloc) {
      for (const b of vm.memory.blocks) {
        ops.push({ op: 'layout', uaddr: hex(BigInt(b.hva)), size: hex(BigInt(b.bytes)) });
        info.push({ event, eventName, model: { ret: 0, errno: null, pinnedVm: vm.mm.pinnedVm, faults: 0 } });
      }
    }
    vm.runEvent('close');
    const lines = new Map<number, ScriptLineInfo>();
    ops.forEach((_, i) => lines.set(header.length + i + 1, { ...info[i], phase: phaseOf(ops, i) }));
    const text = [...header, ...ops].map((l) => JSON.stringify(l)).join('\n') + '\n';
    return {
      text,
      lines,
      devices,
      mmapBytes: vm.mm.allRegions.reduce((s, r) => s + (BigInt(r.pages) << 12n), 0n),
      useVa: spec.devices.useVa,
      variant: spec.devices.variant ?? 'set_map',
      ...(spec.iotlbLimit === null ? {} : { iotlbLimit: spec.iotlbLimit }),
      parent: spec.devices.parent,
      nvqs: 2 * spec.devices.queuePairs + 1,
    };
  } finally {
    vm.dispose();
  }
}
