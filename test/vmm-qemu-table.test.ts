/**
 * QEMU releases are one table (src/vmm/qemu-releases.ts): every consumer
 * (the workload schema, resolveQemu, the trace formats, the replay's CVQ
 * probe rule) derives from its rows, and a row added to a copy of the table
 * flows through the same derivations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QEMU_BEHAVIOUR_SOURCES, QEMU_BEHAVIOURS, QEMU_RELEASES, QEMU_TABLE, resolveQemu } from '../src/vmm/index.js';
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
