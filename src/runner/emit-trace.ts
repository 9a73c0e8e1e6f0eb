/**
 * `run --emit-trace DIR`: for each cell, the QEMU trace lines a real QEMU
 * of the cell's release would have logged for the cell's message stream
 * (vmm/trace/model-trace.ts), so `vdpa-lab replay` of the file gives the
 * cell's kernel counters back. The cell's VM is run once more on the model
 * with its devices' ops recorded.
 */
import { VirtualMachine, type EventName } from '../vmm/index.js';
import { traceVm } from '../vmm/trace/index.js';
import { toVmSpec, type CellSpec } from '../workload/index.js';

export function emitCellTrace(cell: CellSpec): string {
  const vm = new VirtualMachine(toVmSpec(cell.params));
  try {
    return traceVm(vm, () => {
      for (const name of cell.params.events as EventName[]) vm.runEvent(name);
    });
  } finally {
    vm.dispose();
  }
}
