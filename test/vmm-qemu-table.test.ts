/**
 * QEMU releases are one table (src/vmm/qemu-releases.ts): every consumer
 * (the workload schema, resolveQemu, the trace formats, the replay's CVQ
 * probe rule) derives from its rows, and a row added to a copy of the table
 * flows through the same derivations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QEMU_BEHAVIOUR_SOURCES, QEMU_BEHAVIOURS, QEMU_RELEASES, QEMU_TABLE, resolveQemu, VirtualMachine, type EventName } from '../src/vmm/index.js';
import { rangeWhere, releasesHint, resolveRelease, type QemuRow } from '../src/vmm/qemu-releases.js';
import { QEMU_RELEASES as TRACE_RELEASES, VARIANT_RELEASES, describeRange, tracedReleasesProbe, variantRanges } from '../src/vmm/trace/index.js';
import { expandWorkload, workloadSchema } from '../src/workload/index.js';

const releases = QEMU_TABLE.map((r) => r.release);

test('the release lists the VMM, the trace parser and the workload schema use are the table\'s rows', () => {
  assert.deepEqual([...QEMU_RELEASES], releases);
  assert.deepEqual([...TRACE_RELEASES], releases);
  assert.deepEqual(QEMU_BEHAVIOURS.map((b) => b.release), releases);
  for (const r of releases) assert.equal(resolveQemu(r).release, r);
  const w = workloadSchema.parse({ schema: 1, name: 'q', matrix: { guest: { ram: '64MiB' }, devices: { parent: 'mlx5' }, kernel: 'reset-map', qemu: releases, flow: 'workaround' } });
  assert.deepEqual(expandWorkload(w).cells.map((c) => c.params.qemu), releases);
  assert.throws(() => workloadSchema.parse({ schema: 1, name: 'q', matrix: { guest: { ram: '64MiB' }, devices: { parent: 'mlx5' }, kernel: 'reset-map', qemu: '8.3', flow: 'workaround' } }), /'8\.3' is not a QEMU release the lab models: one of 7\.2, 8\.0, .*, 10\.1\+ \(a later release such as 10\.2 is 10\.1\+\)/);
});

test('every behaviour of a row names its source (QEMU commit subjects)', () => {
  const fields = Object.keys(QEMU_TABLE[0]).filter((k) => k !== 'release' && k !== 'follows').sort();
  assert.deepEqual(Object.keys(QEMU_BEHAVIOUR_SOURCES).sort(), fields);
  for (const row of QEMU_TABLE) assert.deepEqual(Object.keys(row).filter((k) => k !== 'release' && k !== 'follows').sort(), fields, row.release);
  for (const [k, source] of Object.entries(QEMU_BEHAVIOUR_SOURCES)) assert.match(source, /"[^"]+"|series|trace-events/, k);
});

test('the trace format ranges are the ones read from hw/virtio/trace-events at each tag, derived from the rows', () => {
  const named = Object.fromEntries(Object.entries(VARIANT_RELEASES).map(([f, r]) => [f, describeRange(r)]));
  assert.deepEqual(named, {
    'dma:vdpa': 'QEMU 7.2',
    'dma:vdpa+asid': 'QEMU 8.0 to 8.2',
    'dma:vdpa_shared+asid': 'QEMU 9.0 or later',
    'batch:vdpa': 'QEMU 7.2 to 8.2',
    'batch:vdpa_shared': 'QEMU 9.0 or later',
    'reset:status': 'QEMU 7.2 to 8.0',
    'reset:plain': 'QEMU 8.1 or later',
    'init:vdpa': 'QEMU 7.2 to 8.2',
    'init:shared': 'QEMU 9.0 or later',
    group_asid: 'QEMU 8.0 or later',
  });
  // The replay puts the untraced CVQ probe back only where every release the formats fit ran it (8.1+).
  assert.equal(tracedReleasesProbe(VARIANT_RELEASES['reset:plain']), true);
  assert.equal(tracedReleasesProbe(VARIANT_RELEASES['reset:status']), false);
});

test('a hypothetical release added as a row flows through resolution, the hint and the format ranges', () => {
  const open = QEMU_TABLE[QEMU_TABLE.length - 1];
  // 10.1 becomes a closed row, and a made-up 10.2+ prints vhost_vdpa_reset_device's status again and drops the probe.
  const copy: QemuRow[] = [...QEMU_TABLE.slice(0, -1), { ...open, release: '10.1' }, { ...open, release: '10.2+', traceResetStatus: true, cvqProbe: false }];
  assert.equal(resolveRelease(copy, '10.1.3')?.release, '10.1');
  assert.equal(resolveRelease(copy, '10.2')?.release, '10.2+');
  assert.equal(resolveRelease(copy, '11.0')?.release, '10.2+');
  assert.equal(resolveRelease(copy, '6.2'), null);
  assert.match(releasesHint(copy), /, 10\.1, 10\.2\+ \(a later release such as 10\.3 is 10\.2\+\)$/);
  // reset:status comes back in 10.2+: it is no longer one run of releases, which the table refuses.
  assert.throws(() => variantRanges(copy), /trace format reset:status holds for releases 7\.2, 8\.0, 10\.2\+, not one contiguous run/);
  const sane = copy.map((r) => (r.release === '10.2+' ? { ...r, traceResetStatus: false } : r));
  const ranges = variantRanges(sane);
  assert.deepEqual(ranges['reset:plain'], { from: 2, to: sane.length - 1 });
  assert.deepEqual(rangeWhere(sane, (r) => r.cvqProbe, 'cvqProbe'), { from: 2, to: sane.length - 2 });
});

test('iovaTreeAtInit (10.1+): with x-svq=on the RAM mapped at vhost_vdpa_init takes the IOVA tree\'s first IOVAs and a start that finds it still mapped (a destination\'s resume) puts the shadow vrings after it; the machine\'s first reset (9.2+) empties the tree before a boot\'s first start; 10.0 allocates rings first at every start', () => {
  const maps = (qemu: string, events: readonly EventName[] = ['boot', 'guest-reset']): { iova: bigint; size: bigint; batched: boolean }[][] => {
    const vm = new VirtualMachine({
      guest: { ramBytes: 64 * 2 ** 20, backing: '4k', meanRun: 1, seed: 1, dimms: [], shared: false },
      devices: { parent: 'vdpa_sim', variant: 'set_map', useVa: false, count: 1, queuePairs: 1, nas: 2 },
      kernel: '6.12', qemu, flow: 'workaround', memlockBytes: null, iotlbLimit: null, svq: true,
    });
    const starts: { iova: bigint; size: bigint; batched: boolean }[][] = [[]];
    let batched = false;
    vm.backends[0].dev.observer = (call) => {
      if (call.op === 'batch_begin' || call.op === 'batch_end') batched = call.op === 'batch_begin';
      if (call.op === 'update' && call.msg.asid === 0) starts[starts.length - 1].push({ iova: call.msg.iova, size: call.msg.size, batched });
      if (call.op === 'set_status' && call.status === 0) starts.push([]);
    };
    try {
      for (const e of events) vm.runEvent(e);
    } finally {
      vm.dispose();
    }
    return starts.filter((s) => s.length);
  };
  const [first] = maps('10.1+', ['incoming', 'resume']);
  const ram = first.filter((m) => m.batched);
  const rings = first.filter((m) => !m.batched);
  assert.equal(ram[0].iova, 0x1000n, 'RAM at the bottom of the tree');
  const ramEnd = ram.reduce((e, m) => (m.iova + m.size > e ? m.iova + m.size : e), 0n);
  assert.ok(rings.length > 0 && rings.every((m) => m.iova >= ramEnd), 'the resume\'s rings after the RAM');
  // A boot: the init RAM at the bottom, alone; the machine's first reset unmaps it (virtio_reset -> vhost_vdpa_reset_device),
  // so the first start, as every later one, takes rings from the bottom and RAM after them, as 10.0 does at every start.
  const [init, start, again] = maps('10.1+');
  assert.ok(init.length > 0 && init.every((m) => m.batched) && init[0].iova === 0x1000n);
  assert.equal(start.find((m) => !m.batched)?.iova, 0x1000n);
  assert.equal(again.find((m) => !m.batched)?.iova, 0x1000n);
  const [old] = maps('10.0');
  assert.equal(old.find((m) => !m.batched)?.iova, 0x1000n);
  assert.ok(old.filter((m) => m.batched).every((m) => m.iova > 0x1000n));
});
