/**
 * QEMU's stop with SUSPEND acked (hw/virtio/vhost-vdpa.c vhost_vdpa_suspend,
 * 8.0+) now reaches the kernel model as VHOST_VDPA_SUSPEND: counted, recorded
 * for `run --backend real`, emitted as the `vhost_vdpa_suspend` trace line, and
 * on mlx5 the shadow-vring unmaps between it and the reset swap MRs on a
 * suspended device (no VQ suspend/resume).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCell } from '../src/runner/index.js';
import { emitCellTrace } from '../src/runner/emit-trace.js';
import { recordOps } from '../src/runner/real/record-ops.js';
import { parseTrace, rebuildStreams } from '../src/vmm/trace/index.js';
import { VirtualMachine, type EventName } from '../src/vmm/index.js';
import { toVmSpec, type CellParams } from '../src/workload/index.js';
import { cell, defaultProfile, params } from './support/cells.js';

const { profile, hash } = defaultProfile();
const EVENTS: EventName[] = ['boot', 'guest-reset', 'guest-reset', 'close'];
/** Stops in EVENTS: each guest reset and the close. */
const STOPS = 3;

type Op = Record<string, unknown>;

function guestResetOps(over: Partial<CellParams>): Op[] {
  const vm = new VirtualMachine(toVmSpec(params({ ...over, events: EVENTS })));
  const ops: Op[] = [];
  vm.runEvent('boot');
  recordOps(vm.backends[0].dev, 'vdpa0', (line) => ops.push(line));
  vm.runEvent('guest-reset');
  vm.dispose();
  return ops;
}

test('8.0+ stop: VHOST_VDPA_SUSPEND is the first op, before the CVQ shadow-vring unmaps and SET_STATUS 0 (vhost_vdpa_dev_start(false): vhost_vdpa_suspend, then vhost_vdpa_svqs_stop); 7.2 sends none', () => {
  for (const parent of ['mlx5', 'vdpa_sim'] as const) {
    const ops = guestResetOps({ parent, variant: parent === 'vdpa_sim' ? 'set_map' : null });
    assert.equal(ops[0].op, 'suspend', parent);
    assert.equal(ops.filter((o) => o.op === 'suspend').length, 1, parent);
    const firstUnmap = ops.findIndex((o) => o.op === 'invalidate' && o.asid === 1);
    const reset = ops.findIndex((o) => o.op === 'set_status' && o.status === 0);
    assert.ok(firstUnmap > 0 && firstUnmap < reset, `${parent}: the CVQ rings go between SUSPEND and the reset`);
  }
  assert.equal(guestResetOps({ qemu: '7.2' }).filter((o) => o.op === 'suspend').length, 0);
});

test('mlx5 stop with SUSPEND: the shadow-vring unmaps swap MRs on a suspended device, so no VQ is resumed; one VQ suspend per stop (SUSPEND\'s own), on 6.1 and 6.12', async () => {
  for (const kernel of ['legacy', 'reset-map']) {
    const r = await runCell(cell({ parent: 'mlx5', kernel, events: EVENTS }), { profile, profileHash: hash, samples: 0 });
    assert.equal(r.status, 'ok', r.reason ?? '');
    assert.equal(r.counters!.vqResumes, 0, kernel);
    assert.equal(r.counters!.vqSuspends, STOPS, kernel);
  }
  // 7.2 resets first (no SUSPEND): the unmaps after it find the device stopped, and nothing is suspended either.
  const old = await runCell(cell({ parent: 'mlx5', qemu: '7.2', events: EVENTS }), { profile, profileHash: hash, samples: 0 });
  assert.equal(old.counters!.vqSuspends, 0);
});

test('--emit-trace writes QEMU\'s `vhost_vdpa_suspend dev: %p` line for each stop, and the trace parser reads it back as the device\'s SUSPEND', () => {
  const text = emitCellTrace(cell({ parent: 'mlx5', events: EVENTS }));
  const lines = text.split('\n').filter((l) => l.startsWith('vhost_vdpa_suspend '));
  assert.equal(lines.length, STOPS);
  assert.match(lines[0], /^vhost_vdpa_suspend dev: 0x[0-9a-f]+$/);
  const rebuilt = rebuildStreams(parseTrace(text, 'emitted').events, 'emitted');
  const ops = rebuilt.devices[0].ops;
  assert.equal(ops.filter((o) => o.op === 'suspend').length, STOPS);
});
