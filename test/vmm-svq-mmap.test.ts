/**
 * QEMU 8.1+'s shadow vrings and CVQ buffers are fresh MAP_SHARED|MAP_ANONYMOUS
 * mmaps ("vdpa: map shadow vrings with MAP_SHARED", Eugenio Pérez, June 2023
 * pull, first in 8.1): `vhost_svq_start` mmaps each ring's driver and device
 * area without a memset and `vhost_svq_stop` munmaps them; `net_vhost_vdpa_init`
 * mmaps the two CVQ buffers once and `vhost_vdpa_cleanup` munmaps them. Shmem
 * has no zero page: the first pin of each page faults it in, read-only or
 * writable. 7.2 and 8.0 use qemu_memalign + memset: populated, no fault.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PageStates } from '../src/host/index.js';
import { VHOST_IOTLB_BATCH_BEGIN, VHOST_IOTLB_BATCH_END, VHOST_IOTLB_INVALIDATE, VHOST_IOTLB_UPDATE } from '../src/kernel/index.js';
import { ringDrops, shadowRegions } from '../src/runner/replay/fresh-shadow.js';
import { VirtualMachine, type EventName } from '../src/vmm/index.js';
import { toVmSpec, type CellParams } from '../src/workload/index.js';
import { params } from './support/cells.js';

/** Page faults per event of a VM whose guest RAM is preallocated: only the shadow memory can fault. */
function faultsPerEvent(over: Partial<CellParams>, events: EventName[]): number[] {
  const vm = new VirtualMachine(toVmSpec(params({ parent: 'vdpa_sim', variant: 'set_map', prealloc: true, queuePairs: 1, nas: 2, ...over, events })));
  try {
    return events.map((e) => vm.runEvent(e).steps.reduce((s, st) => s + (st.counters.faults ?? 0), 0));
  } finally {
    vm.dispose();
  }
}

// The CVQ's two buffers (1 page each), its ring's driver area and device area (1 page each: 64 entries).
const CVQ_BOOT = 2 + 1 + 1;
const CVQ_RINGS = 1 + 1;
/** A data VQ's ring (256 entries): driver area 2 pages, device area 1. */
const DATA_RINGS = 2 + 1;

for (const qemu of ['8.1', '9.0', '10.0', '10.1+']) {
  test(`${qemu}: the isolated CVQ's buffers fault on their first pin only, its shadow rings at every start (munmapped at each stop)`, () => {
    const [boot, r1, r2, close] = faultsPerEvent({ qemu }, ['boot', 'guest-reset', 'reboot', 'close']);
    assert.equal(boot, CVQ_BOOT, 'shmem: the read-only driver-area pin faults too (no zero page)');
    assert.equal(r1, CVQ_RINGS);
    assert.equal(r2, CVQ_RINGS);
    assert.equal(close, 0);
  });
}

for (const qemu of ['7.2', '8.0']) {
  test(`${qemu}: shadow rings and CVQ buffers are qemu_memalign + memset, populated: no start faults`, () => {
    assert.deepEqual(faultsPerEvent({ qemu }, ['boot', 'guest-reset', 'reboot', 'close']), [0, 0, 0, 0]);
  });
}

test('nas 1 (no isolated CVQ, no shadowed VQ): nothing shadow is mapped, nothing faults, 8.1+ as before', () => {
  assert.deepEqual(faultsPerEvent({ qemu: '10.0', nas: 1 }, ['boot', 'guest-reset', 'close']), [0, 0, 0]);
});

test('8.2+: migrate-svq shadows every data VQ, fresh rings each start; svq-cancel leaves only the CVQ rings fresh', () => {
  const [boot, svq, reset, cancel] = faultsPerEvent({ qemu: '10.0' }, ['boot', 'migrate-svq', 'guest-reset', 'svq-cancel', 'close']);
  assert.equal(boot, CVQ_BOOT);
  // 2 data VQs (queuePairs 1), 3 pages each, and the CVQ's 2; the CVQ buffers were faulted at boot.
  assert.equal(svq, 2 * DATA_RINGS + CVQ_RINGS);
  assert.equal(reset, 2 * DATA_RINGS + CVQ_RINGS);
  assert.equal(cancel, CVQ_RINGS);
});

test("two devices: each net client has shadow memory of its own, so each faults its own pages", () => {
  const [boot, reset] = faultsPerEvent({ qemu: '10.0', devices: 2 }, ['boot', 'guest-reset', 'close']);
  assert.equal(boot, 2 * CVQ_BOOT);
  assert.equal(reset, CVQ_RINGS, 'a guest reset restarts device 0 only');
});

test('page states: drop() empties pages so the next pin faults them again; pages around keep their state', () => {
  const R612 = { unshareZero: true, thpOnHugeZeroWp: false };
  const s = new PageStates({ pages: 10, folioShift: 0, hugetlb: false, shared: true, startPage: 0 }, false);
  assert.deepEqual(s.pin(0, 10, false, R612), { folios: 10, pages: 10 });
  s.drop(3, 4);
  assert.deepEqual(s.pin(0, 10, true, R612), { folios: 4, pages: 4 }, 'only the dropped pages fault');
  s.drop(0, 10);
  assert.ok(s.empty);
  s.drop(0, 3);
  assert.deepEqual(s.pin(0, 2, false, R612), { folios: 2, pages: 2 });
});

test('replay of an 8.1+ trace: small regions an unbatched UPDATE points into are shadow memory (a ROM mapped in a batch is not); a ring INVALIDATE before the reset drops its pages, a CVQ buffer INVALIDATE after it does not', () => {
  const msg = (type: number, iova: bigint, uaddr: bigint, size = 0x1000n) => ({ op: 'msg' as const, lineNo: 0, event: 'dma_map' as const, msg: { msgType: 2, type, asid: 0, iova, size, uaddr, perm: 3 } });
  const [U, I, B, E] = [VHOST_IOTLB_UPDATE, VHOST_IOTLB_INVALIDATE, VHOST_IOTLB_BATCH_BEGIN, VHOST_IOTLB_BATCH_END];
  const rom = 0x7f00_0000_0000n;
  const buf = 0x7f10_0000_0000n;
  const ring = 0x7f20_0000_0000n;
  const ringInvalidate = msg(I, 0x3000n, 0n);
  const bufInvalidate = msg(I, 0x1000n, 0n);
  const ops = [msg(B, 0n, 0n), msg(U, 0x10000n, rom), msg(E, 0n, 0n), msg(U, 0x1000n, buf), msg(U, 0x3000n, ring), ringInvalidate, { op: 'reset' as const, lineNo: 0 }, bufInvalidate];
  const regions = [rom, buf, ring].map((uaddr, i) => ({ uaddr, bytes: 0x1000n, firstLine: i, endLine: i }));
  assert.deepEqual([...shadowRegions([ops], regions, 2n ** 21n)].sort(), [1, 2]);
  const drops = ringDrops(ops);
  assert.deepEqual([...drops.keys()], [ringInvalidate]);
  assert.deepEqual(drops.get(ringInvalidate), { page: Number(ring >> 12n), pages: 1 });
});

/** The VMM's own munmaps and mmaps of shadow memory per event (counters vmmMunmaps, vmmMmaps). */
function vmmCallsPerEvent(over: Partial<CellParams>, events: EventName[]): [number, number][] {
  const vm = new VirtualMachine(toVmSpec(params({ parent: 'vdpa_sim', variant: 'set_map', prealloc: true, queuePairs: 1, nas: 2, ...over, events })));
  try {
    return events.map((e) => {
      const steps = vm.runEvent(e).steps;
      return [steps.reduce((s, st) => s + (st.counters.vmmMunmaps ?? 0), 0), steps.reduce((s, st) => s + (st.counters.vmmMmaps ?? 0), 0)];
    });
  } finally {
    vm.dispose();
  }
}

// The isolated CVQ's shadow ring: a driver area and a device area, one mmap each (vhost_svq_start), one munmap each (vhost_svq_stop).
const RING_AREAS = 2;

for (const qemu of ['8.1', '9.0', '10.0', '10.1+']) {
  test(`${qemu}: each shadowed start mmaps each ring area fresh and each stop munmaps it: one munmap + one mmap per area and reset`, () => {
    const [boot, reset, reboot, close] = vmmCallsPerEvent({ qemu }, ['boot', 'guest-reset', 'reboot', 'close']);
    assert.deepEqual(boot, [0, RING_AREAS], 'boot starts the CVQ: vhost_svq_start mmaps its ring; nothing was stopped');
    assert.deepEqual(reset, [RING_AREAS, RING_AREAS]);
    assert.deepEqual(reboot, [RING_AREAS, RING_AREAS]);
    assert.deepEqual(close, [RING_AREAS, 0], 'QEMU quits: the stop munmaps, nothing starts');
  });
}

for (const qemu of ['7.2', '8.0']) {
  test(`${qemu}: shadow memory is qemu_memalign'd once, never munmapped or mmapped on the reset path`, () => {
    assert.deepEqual(vmmCallsPerEvent({ qemu }, ['boot', 'guest-reset', 'reboot', 'close']), [[0, 0], [0, 0], [0, 0], [0, 0]]);
  });
}

test('10.0 migrate-svq: the stop munmaps the CVQ ring, the start mmaps every shadowed VQ\'s ring (2 data VQs + CVQ); later resets remap all three', () => {
  const [, svq, reset, cancel] = vmmCallsPerEvent({ qemu: '10.0' }, ['boot', 'migrate-svq', 'guest-reset', 'svq-cancel', 'close']);
  assert.deepEqual(svq, [RING_AREAS, 3 * RING_AREAS]);
  assert.deepEqual(reset, [3 * RING_AREAS, 3 * RING_AREAS]);
  assert.deepEqual(cancel, [3 * RING_AREAS, RING_AREAS], 'back to the CVQ alone');
});

test('the VMM calls are priced in the vqRestart phase, by the profile (the default: 0 ns, the TCG profile: fitted)', async () => {
  const { COUNTER_PHASE, loadProfile } = await import('../src/cost/index.js');
  const { PROFILES_DIR } = await import('../src/workload/index.js');
  assert.equal(COUNTER_PHASE.vmmMunmaps, 'vqRestart');
  assert.equal(COUNTER_PHASE.vmmMmaps, 'vqRestart');
  const def = loadProfile(`${PROFILES_DIR}/default.json`).profile.prices;
  assert.deepEqual([def.vmmMunmaps.ns, def.vmmMmaps.ns], [0, 0]);
  assert.match(def.vmmMunmaps.source, /no published figure/);
});
