/**
 * The `qemu` axis: what each QEMU release sends to vhost-vdpa, op by op
 * (src/vmm/qemu-versions.ts; docs/domain.md, "QEMU versions"). Each test is
 * named for the behaviour and the QEMU function it follows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCell } from '../src/runner/index.js';
import { recordOps } from '../src/runner/real/record-ops.js';
import { DEFAULT_QEMU, resolveQemu, VirtualMachine, type EventName } from '../src/vmm/index.js';
import { expandWorkload, toVmSpec, workloadSchema, type CellParams } from '../src/workload/index.js';
import { cell, defaultProfile, params } from './support/cells.js';
import { tempDir } from './support/temp-dir.js';

const { profile, hash } = defaultProfile();
const run = (over: Partial<CellParams>) => runCell(cell(over), { profile, profileHash: hash, samples: 0 });
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

type Op = Record<string, unknown>;

/** Device 0's kernel ops per event, as `run --backend` records them. */
function opsPerEvent(over: Partial<CellParams>, events: EventName[]): Map<number, Op[]> {
  const vm = new VirtualMachine(toVmSpec(params({ ...over, events })));
  const out = new Map<number, Op[]>();
  let current: Op[] = [];
  recordOps(vm.backends[0].dev, 'vdpa0', (line) => current.push(line));
  events.forEach((e, i) => {
    current = [];
    vm.runEvent(e);
    out.set(i, current);
  });
  vm.dispose();
  return out;
}

const isStatus = (s: number) => (o: Op) => o.op === 'set_status' && o.status === s;
const inBatch = (ops: Op[], i: number) => {
  let open = false;
  for (let j = 0; j < i; j++) open = ops[j].op === 'batch_begin' ? true : ops[j].op === 'batch_end' ? false : open;
  return open;
};

test('CVQ buffers and the CVQ shadow vring areas are mapped in ASID 1 one unbatched UPDATE each (vhost_vdpa_cvq_map_buf, vhost_vdpa_svq_map_rings)', () => {
  const ops = opsPerEvent({ parent: 'vdpa_sim', variant: 'set_map' }, ['boot', 'guest-reset', 'close']);
  for (const i of [0, 1]) {
    const e = ops.get(i)!;
    const cvq = e.map((o, j) => [o, j] as const).filter(([o]) => o.op === 'update' && o.asid === 1);
    assert.equal(cvq.length, 4, 'out and status buffers, driver and device areas');
    for (const [, j] of cvq) assert.equal(inBatch(e, j), false, `update ${j} is outside any batch`);
    assert.equal(e.filter((o) => o.op === 'batch_begin' && o.asid === 1).length, 0, 'no batch in ASID 1');
  }
  const reset = ops.get(1)!;
  const unmaps = reset.map((o, j) => [o, j] as const).filter(([o]) => o.op === 'invalidate' && o.asid === 1);
  assert.equal(unmaps.length, 4, 'vhost_vdpa_svq_unmap_rings and vhost_vdpa_cvq_unmap_buf at the stop');
  for (const [, j] of unmaps) assert.equal(inBatch(reset, j), false);
});

test('on a set_map parent each unbatched CVQ map is a whole-table set_map of its own', async () => {
  const r = await run({ parent: 'vdpa_sim', variant: 'set_map', events: ['boot', 'guest-reset', 'close'] });
  assert.equal(r.status, 'ok', r.reason ?? '');
  const setMaps = (nas: number) => {
    const vm = new VirtualMachine(toVmSpec(params({ parent: 'vdpa_sim', variant: 'set_map', nas })));
    const map = vm.runEvent('boot').steps.find((s) => s.kind === 'map')!;
    vm.dispose();
    return map.counters.setMaps;
  };
  // Four CVQ UPDATEs outside a batch (batched, they were one set_map): one set_map per physically
  // contiguous run each (vhost_vdpa_pa_map); the CVQ's ring areas (64 entries) are a page each, so four.
  assert.equal(setMaps(2) - setMaps(1), 4);
});

test('the start order is FEATURES_OK, SET_GROUP_ASID, the CVQ maps, the listener (RAM), DRIVER_OK (vhost_net_start, vhost_vdpa_net_cvq_start, vhost_vdpa_dev_start)', () => {
  const e = opsPerEvent({ parent: 'mlx5' }, ['boot', 'close']).get(0)!;
  const at = (f: (o: Op) => boolean) => e.findIndex(f);
  // After 8.1+'s CVQ isolation probe the status is 0: the start adds FEATURES_OK (0x8), then DRIVER_OK (0xc).
  const featuresOk = at(isStatus(0x8));
  const group = at((o) => o.op === 'set_group_asid');
  const cvq = at((o) => o.op === 'update' && o.asid === 1);
  const ram = at((o) => o.op === 'batch_begin');
  const driverOk = at(isStatus(0xc));
  assert.ok(featuresOk >= 0 && featuresOk < group && group < cvq && cvq < ram && ram < driverOk, JSON.stringify({ featuresOk, group, cvq, ram, driverOk }));
});

test('SUSPEND acked: a stop is one reset (vhost_vdpa_suspend); not offered (VDUSE, platform IOMMU): vhost_vdpa_suspend falls back to a second reset', async () => {
  // Plus, 9.2+ (the default release is 10.0), virtio_reset's own reset after the stop ("virtio: Always reset vhost devices").
  for (const [parent, useVa, resets] of [['mlx5', false, 1], ['vdpa_sim', false, 1], ['vduse', true, 2], ['platform-iommu', false, 2]] as const) {
    const e = opsPerEvent({ parent, useVa, variant: parent === 'vdpa_sim' ? 'set_map' : null }, ['boot', 'guest-reset', 'close']).get(1)!;
    assert.equal(e.filter(isStatus(0)).length, resets + 1, parent);
    const before = opsPerEvent({ parent, useVa, variant: parent === 'vdpa_sim' ? 'set_map' : null, qemu: '9.1' }, ['boot', 'guest-reset', 'close']).get(1)!;
    assert.equal(before.filter(isStatus(0)).length, resets, `${parent}, 9.1`);
  }
  // 7.2 has no vhost_vdpa_suspend: one reset, whatever the parent offers.
  const old = opsPerEvent({ parent: 'vduse', useVa: true, qemu: '7.2' }, ['boot', 'guest-reset', 'close']).get(1)!;
  assert.equal(old.filter(isStatus(0)).length, 1);
});

test('7.2 acks neither IOTLB_ASID nor SUSPEND: the CVQ stays in ASID 0, unshadowed (vhost_vdpa_set_backend_cap), and migrate-svq is n/a', async () => {
  const e = opsPerEvent({ parent: 'mlx5', qemu: '7.2' }, ['boot', 'close']).get(0)!;
  const features = e.find((o) => o.op === 'set_backend_features')!.features as string[];
  assert.deepEqual([...features].sort(), ['IOTLB_BATCH', 'IOTLB_MSG_V2']);
  assert.equal(e.filter((o) => o.op === 'set_group_asid' || (o.op === 'update' && o.asid === 1)).length, 0);
  const r = await run({ qemu: '7.2', events: ['boot', 'migrate-svq', 'close'] });
  assert.equal(r.status, 'n/a');
  assert.match(r.reason!, /QEMU 7\.2 has no migrate-svq/);
});

test('up to 10.0 the listener registers in vhost_vdpa_dev_start: RAM is mapped after FEATURES_OK; 10.1+ registers in vhost_vdpa_set_owner, right after SET_OWNER', () => {
  const before = opsPerEvent({ parent: 'mlx5', qemu: '10.0' }, ['boot', 'close']).get(0)!;
  assert.ok(before.findIndex((o) => o.op === 'batch_begin') > before.findIndex(isStatus(0x8)));
  const after = opsPerEvent({ parent: 'mlx5', qemu: '10.1+' }, ['boot', 'close']).get(0)!;
  const ram = after.findIndex((o) => o.op === 'batch_begin');
  const owner = after.findIndex((o) => o.op === 'set_owner');
  // Only the CVQ isolation probe (raw ioctls ending in a reset) comes between: the board adds RAM after every netdev.
  const probeReset = after.findIndex(isStatus(0));
  assert.ok(owner < probeReset, 'the probe follows SET_OWNER');
  assert.equal(ram, probeReset + 1, 'the first message after SET_OWNER and the probe');
  assert.ok(ram < after.findIndex(isStatus(0x8)), 'before FEATURES_OK');
  // vhost_vdpa_init: the backend features, then ACKNOWLEDGE|DRIVER, before SET_OWNER.
  assert.ok(after.findIndex((o) => o.op === 'set_backend_features') < after.findIndex(isStatus(0x3)));
  assert.ok(after.findIndex(isStatus(0x3)) < owner);
});

test('migration destination: 10.1+ pins guest RAM at incoming, before the downtime; up to 10.0 the pinning is in resume (the downtime)', async () => {
  const events: EventName[] = ['incoming', 'resume', 'guest-reset', 'close'];
  const old = await run({ qemu: '10.0', events });
  const now = await run({ qemu: '10.1+', events });
  for (const r of [old, now]) assert.equal(r.status, 'ok', r.reason ?? '');
  const pinned = (r: typeof old, i: number) => r.modeled!.events[i].pagesPinned;
  assert.equal(pinned(old, 0), 0);
  assert.ok(pinned(now, 0) > 0);
  assert.equal(pinned(now, 1), 4, 'only the CVQ buffers and shadow vrings are pinned in the downtime');
  assert.equal(pinned(old, 1), pinned(now, 0) + 4);
  const pin = (r: typeof old) => r.modeled!.events[1].phases.pin;
  assert.ok(pin(now) < pin(old) / 100, 'the downtime loses the pinning');
  assert.ok(now.modeled!.events[1].totalNs < old.modeled!.events[1].totalNs);
  // A guest reset after that unmaps and maps again in both: the listener is unregistered at the reset.
  assert.equal(pinned(now, 2), pinned(old, 2));
});

test('10.1+ unregisters in vhost_vdpa_reset_device: without SUSPEND the RAM goes at the first reset (the suspend fallback); 10.0 unregisters in vhost_vdpa_reset_status, after the second', () => {
  const where = (qemu: string) => {
    const e = opsPerEvent({ parent: 'vduse', useVa: true, qemu }, ['boot', 'guest-reset', 'close']).get(1)!;
    const resets = e.map((o, j) => (isStatus(0)(o) ? j : -1)).filter((j) => j >= 0);
    const ramUnmap = e.findIndex((o) => o.op === 'invalidate' && o.asid === 0);
    return { resets, ramUnmap };
  };
  const a = where('10.1+');
  assert.ok(a.ramUnmap > a.resets[0] && a.ramUnmap < a.resets[1], JSON.stringify(a));
  const b = where('10.0');
  assert.ok(b.ramUnmap > b.resets[1], JSON.stringify(b));
});

test('migrate-svq switches to shadow virtqueues only; svq-cancel switches back (vdpa_net_migration_state_notifier)', async () => {
  const there = await run({ events: ['boot', 'migrate-svq', 'guest-reset', 'close'] });
  assert.equal(there.counters.svqSwitches, 1);
  // The guest reset in SVQ mode maps the data VQs' shadow vrings again (2 queue pairs: 4 VQs x 3 pages).
  const plain = await run({ events: ['boot', 'guest-reset', 'close'] });
  assert.equal(there.modeled!.events[2].pagesPinned, plain.modeled!.events[1].pagesPinned + 12);
  const back = await run({ events: ['boot', 'migrate-svq', 'svq-cancel', 'guest-reset', 'close'] });
  assert.equal(back.counters.svqSwitches, 2);
  assert.equal(back.modeled!.events[3].pagesPinned, plain.modeled!.events[1].pagesPinned);
});

test('close stops a running device first (vm_shutdown -> vhost_net_stop), then releases the fd', () => {
  const e = opsPerEvent({ parent: 'mlx5' }, ['boot', 'close']).get(1)!;
  const reset = e.findIndex(isStatus(0));
  const unmap = e.findIndex((o) => o.op === 'invalidate' && o.asid === 0);
  const close = e.findIndex((o) => o.op === 'close');
  assert.ok(reset >= 0 && reset < unmap && unmap < close);
});

test('the qemu axis: releases resolve (a later x.y is 10.1+), expand into cells named by kernel and QEMU, and the default keeps the ids of cells from before the axis', () => {
  assert.equal(resolveQemu('10.2').release, '10.1+');
  assert.equal(resolveQemu('8.2.1').release, '8.2');
  assert.throws(() => resolveQemu('6.2'), /qemu: '6\.2' is not a QEMU release/);
  const w = workloadSchema.parse({ schema: 1, name: 'q', matrix: { guest: { ram: '64MiB' }, devices: { parent: 'mlx5' }, kernel: 'reset-map', qemu: ['7.2', '10.0', '10.1'], flow: 'workaround' } });
  const { cells, problems } = expandWorkload(w);
  assert.deepEqual(problems, []);
  assert.deepEqual(cells.map((c) => c.params.qemu), ['7.2', '10.0', '10.1+']);
  assert.match(cells[0].label, /^mlx5 reset-map qemu-7\.2 workaround /);
  const noAxis = expandWorkload(workloadSchema.parse({ schema: 1, name: 'q', matrix: { guest: { ram: '64MiB' }, devices: { parent: 'mlx5' }, kernel: 'reset-map', flow: 'workaround' } })).cells[0];
  assert.equal(noAxis.params.qemu, DEFAULT_QEMU);
  assert.equal(noAxis.id, cells[1].id, 'qemu 10.0 given or not: one cell');
  assert.notEqual(cells[0].id, cells[1].id);
});

test('a workload naming an unknown QEMU release is refused with one line naming the field, exit 2', () => {
  const dir = tempDir('qemu');
  const w = join(dir, 'w.json');
  writeFileSync(w, JSON.stringify({ schema: 1, name: 'q', matrix: { guest: { ram: '64MiB' }, devices: { parent: 'mlx5' }, kernel: 'reset-map', qemu: ['10.0', '5.0'], flow: 'workaround' } }));
  const r = spawnSync(process.execPath, [CLI, 'run', w, '--out', join(dir, 'out'), '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /qemu\[1\].*'5\.0' is not a QEMU release/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test("8.1+: the CVQ isolation probe at net init (vhost_vdpa_probe_cvq_isolation, 845ec38ae1's order): after SET_OWNER and the backend features, before any map; 7.2 and 8.0 send none", () => {
  const probe = (o: Op[]) => o.slice(o.findIndex((x) => x.op === 'set_backend_features') + 1, o.findIndex(isStatus(0)) + 1).map((x) => (x.op === 'get_vring_group' ? `group ${String(x.index)}` : x.op === 'set_status' ? `status ${String(x.status)}` : String(x.op)));
  for (const qemu of ['8.1', '9.0', '10.0']) {
    const e = opsPerEvent({ parent: 'mlx5', queuePairs: 8, qemu }, ['boot', 'close']).get(0)!;
    // The CVQ is VQ 16 (2 * queue_pairs): with MQ negotiated mlx5 puts it in group 1, VQ 0 is in group 0, so every data VQ is asked.
    assert.deepEqual(probe(e), ['status 3', 'set_features', 'status 11', 'group 16', ...Array.from({ length: 16 }, (_, i) => `group ${i}`), 'status 0'], qemu);
    assert.ok(e.findIndex(isStatus(0)) < e.findIndex((o) => o.op === 'update' || o.op === 'batch_begin'), `${qemu}: no map precedes it`);
    assert.equal(e.filter((o) => o.op === 'set_group_asid').length, 1, `${qemu}: isolated, so the CVQ still goes to ASID 1`);
  }
  for (const qemu of ['7.2', '8.0']) {
    const e = opsPerEvent({ parent: 'mlx5', qemu }, ['boot', 'close']).get(0)!;
    assert.equal(e.filter((o) => o.op === 'get_vring_group' || o.op === 'set_features').length, 0, qemu);
    assert.equal(e.filter(isStatus(0)).length, 0, `${qemu}: the boot resets nothing`);
  }
});

test('8.1+: a parent without .get_vq_group (VDUSE: EOPNOTSUPP) is "not isolated": the probe still resets, and no start puts the CVQ in ASID 1', () => {
  const e = opsPerEvent({ parent: 'vduse', useVa: true, nas: 2, qemu: '10.0' }, ['boot', 'close']).get(0)!;
  const groups = e.filter((o) => o.op === 'get_vring_group');
  assert.deepEqual(groups.map((o) => o.index), [2 * params({}).queuePairs]);
  assert.ok(e.findIndex(isStatus(0)) > e.indexOf(groups[0]), 'the reset at out: follows the refused query');
  assert.equal(e.filter((o) => o.op === 'set_group_asid' || (o.op === 'update' && o.asid === 1)).length, 0);
});

test("8.1+ boots cost one more reset and the probe's ioctls; reset cycles do not change (the probe runs at net init only)", async () => {
  const events: EventName[] = ['boot', 'guest-reset', 'close'];
  const old = await run({ parent: 'vdpa_sim', variant: 'set_map', queuePairs: 8, qemu: '8.0', events });
  const now = await run({ parent: 'vdpa_sim', variant: 'set_map', queuePairs: 8, qemu: '8.1', events });
  const ev = (r: typeof old, i: number) => r.modeled!.events[i];
  assert.equal(now.counters.resets - old.counters.resets, 1);
  // GET_BACKEND_FEATURES, SET_STATUS x3, SET_FEATURES and GET_VRING_GROUP of the CVQ and each of the 16 data VQs (queuePairs 8).
  assert.equal(now.counters.ioctls - old.counters.ioctls, 4 + 1 + 1 + 16);
  assert.ok(ev(now, 0).totalNs > ev(old, 0).totalNs);
  // The probe adds nothing to a guest reset; 8.1's shadow CVQ rings are fresh shared memory at each start (vm.ts, svqMmap): 2 faults.
  assert.equal(now.counters.faults - old.counters.faults, 4 + 2, 'buffers and rings at boot, rings again at the guest reset');
  const { pin, ...rest } = ev(now, 1).phases;
  const { pin: oldPin, ...oldRest } = ev(old, 1).phases;
  assert.ok(pin > oldPin, 'a guest reset pins its shadow CVQ rings through faults');
  assert.deepEqual(rest, oldRest, 'and costs what it cost otherwise');
});
