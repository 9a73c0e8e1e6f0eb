import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrace, rebuildStreams } from '../src/vmm/trace/index.js';
import { InputError } from '../src/errors.js';

const P = '187@1796053190.363212:';

/** The same map, unmap and batch in the format of each QEMU release family. */
const RELEASE_LINES = {
  '7.2': [
    'vhost_vdpa_init dev: 0x55aa vdpa: 0x7f01',
    'vhost_vdpa_listener_begin_batch vdpa:0x7f01 fd: 3 msg_type: 2 type: 5',
    'vhost_vdpa_dma_map vdpa:0x7f01 fd: 3 msg_type: 2 iova: 0x100000 size: 0x3ff00000 uaddr: 0x7f3021300000 perm: 0x3 type: 2',
    'vhost_vdpa_listener_commit vdpa:0x7f01 fd: 3 msg_type: 2 type: 6',
    'vhost_vdpa_reset_device dev: 0x55aa status: 0x0',
    'vhost_vdpa_dma_unmap vdpa:0x7f01 fd: 3 msg_type: 2 iova: 0x100000 size: 0x3ff00000 type: 3',
  ],
  '8.0': [
    'vhost_vdpa_init dev: 0x55aa vdpa: 0x7f01',
    'vhost_vdpa_listener_begin_batch vdpa:0x7f01 fd: 3 msg_type: 2 type: 5',
    'vhost_vdpa_dma_map vdpa:0x7f01 fd: 3 msg_type: 2 asid: 0 iova: 0x100000 size: 0x3ff00000 uaddr: 0x7f3021300000 perm: 0x3 type: 2',
    'vhost_vdpa_listener_commit vdpa:0x7f01 fd: 3 msg_type: 2 type: 6',
    'vhost_vdpa_reset_device dev: 0x55aa status: 0x0',
    'vhost_vdpa_dma_unmap vdpa:0x7f01 fd: 3 msg_type: 2 asid: 0 iova: 0x100000 size: 0x3ff00000 type: 3',
  ],
  '8.1': [
    'vhost_vdpa_init dev: 0x55aa vdpa: 0x7f01',
    'vhost_vdpa_listener_begin_batch vdpa:0x7f01 fd: 3 msg_type: 2 type: 5',
    'vhost_vdpa_dma_map vdpa:0x7f01 fd: 3 msg_type: 2 asid: 0 iova: 0x100000 size: 0x3ff00000 uaddr: 0x7f3021300000 perm: 0x3 type: 2',
    'vhost_vdpa_listener_commit vdpa:0x7f01 fd: 3 msg_type: 2 type: 6',
    'vhost_vdpa_reset_device dev: 0x55aa',
    'vhost_vdpa_dma_unmap vdpa:0x7f01 fd: 3 msg_type: 2 asid: 0 iova: 0x100000 size: 0x3ff00000 type: 3',
  ],
  '9.0': [
    'vhost_vdpa_init dev: 0x55aa, common dev: 0x5600 vdpa: 0x7f01',
    'vhost_vdpa_listener_begin_batch vdpa_shared:0x5600 fd: 3 msg_type: 2 type: 5',
    'vhost_vdpa_dma_map vdpa_shared:0x5600 fd: 3 msg_type: 2 asid: 0 iova: 0x100000 size: 0x3ff00000 uaddr: 0x7f3021300000 perm: 0x3 type: 2',
    'vhost_vdpa_listener_commit vdpa_shared:0x5600 fd: 3 msg_type: 2 type: 6',
    'vhost_vdpa_reset_device dev: 0x55aa',
    'vhost_vdpa_dma_unmap vdpa_shared:0x5600 fd: 3 msg_type: 2 asid: 0 iova: 0x100000 size: 0x3ff00000 type: 3',
  ],
};
const EXPECTED_LABEL = { '7.2': 'QEMU 7.2', '8.0': 'QEMU 8.0', '8.1': 'QEMU 8.1 to 8.2', '9.0': 'QEMU 9.0 or later' };

for (const [release, lines] of Object.entries(RELEASE_LINES)) {
  for (const prefixed of [true, false]) {
    test(`QEMU ${release} lines ${prefixed ? 'with' : 'without'} the PID@SECONDS.MICROS: prefix parse to one stream with a reset`, () => {
      const text = lines.map((l) => (prefixed ? P + l : l)).join('\n') + '\n';
      const t = parseTrace(text, 'x.log');
      assert.equal(t.formatLabel, EXPECTED_LABEL[release as keyof typeof EXPECTED_LABEL]);
      assert.equal(t.timestamps, prefixed);
      const r = rebuildStreams(t.events, 'x.log');
      assert.equal(r.devices.length, 1);
      const d = r.devices[0];
      assert.equal(d.fd, 3);
      assert.deepEqual(d.devs, ['0x55aa'], 'the vhost_dev is tied to the fd through init');
      assert.deepEqual(d.ops.map((o) => (o.op === 'msg' ? o.msg.type : o.op)), [5, 2, 6, 'reset', 3]);
      assert.equal(d.resets, 1);
      const map = d.ops[1];
      assert.ok(map.op === 'msg');
      assert.deepEqual([map.msg.iova, map.msg.size, map.msg.uaddr, map.msg.perm, map.msg.asid], [0x100000n, 0x3ff00000n, 0x7f3021300000n, 3, 0]);
      assert.deepEqual(r.regions, [{ uaddr: 0x7f3021300000n, bytes: 0x3ff00000n, firstLine: 3, endLine: 3 }]);
    });
  }
}

test('lines of events the replay does not read are skipped', () => {
  const text = ['vhost_vdpa_set_vring_num dev: 0x1 index: 0 num: 256', 'virtio_set_status vdev 0x2 val 15', RELEASE_LINES['7.2'][2]].join('\n') + '\n';
  const t = parseTrace(text, 'x.log');
  assert.equal(t.usedLines, 1);
  assert.equal(t.vdpaLines, 2);
});

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InputError, String(e));
    return e;
  }
  assert.fail('expected an InputError');
}

test('a known event whose arguments match no format is an error naming its line', () => {
  const e = inputError(() => parseTrace(`${RELEASE_LINES['7.2'][2]}\nvhost_vdpa_dma_map vdpa:0x7f01 fd: 3 iova: 0x0\n`, 'x.log'));
  assert.equal(e.where, 'x.log: line 2');
  assert.match(e.reason, /vhost_vdpa_dma_map: arguments match no QEMU 7.2-or-later format/);
});

test('a truncated last line (no newline, does not parse) is reported with its line number', () => {
  const whole = RELEASE_LINES['7.2'].slice(0, 3).join('\n');
  const e = inputError(() => parseTrace(whole.slice(0, -20), 'x.log'));
  assert.equal(e.where, 'x.log: line 3');
  assert.match(e.reason, /truncated last line/);
  const e2 = inputError(() => parseTrace(`${RELEASE_LINES['7.2'][2]}\n187@17960`, 'x.log'));
  assert.equal(e2.where, 'x.log: line 2');
  // A whole last line without its newline is still read.
  assert.equal(parseTrace(whole, 'x.log').usedLines, 3);
});

test('a file without any vhost_vdpa line is not a QEMU vhost-vdpa trace', () => {
  const e = inputError(() => parseTrace('hello\nworld\n', 'notes.txt'));
  assert.match(e.message, /not a QEMU vhost-vdpa trace/);
});

test('lines of two QEMU releases in one file are an unknown format, naming the line', () => {
  const e = inputError(() => parseTrace([RELEASE_LINES['7.2'][2], RELEASE_LINES['9.0'][2]].join('\n') + '\n', 'x.log'));
  assert.equal(e.where, 'x.log: line 2');
  assert.match(e.reason, /unknown QEMU format/);
});

test('a map over a still-mapped IOVA with another uaddr is refused, naming the kernel refusal of the earlier map that is its only cause', () => {
  const text = [
    'vhost_vdpa_dma_map vdpa:0x7f01 fd: 3 msg_type: 2 iova: 0x0 size: 0x200000 uaddr: 0x7f0000000000 perm: 0x3 type: 2',
    'vhost_vdpa_dma_map vdpa:0x7f01 fd: 3 msg_type: 2 iova: 0x100000 size: 0x200000 uaddr: 0x7f1000000000 perm: 0x3 type: 2',
  ].join('\n') + '\n';
  const e = inputError(() => rebuildStreams(parseTrace(text, 'x.log').events, 'x.log'));
  assert.equal(e.where, 'x.log: line 2');
  assert.match(e.reason, /overlaps the map of line 1 .* the kernel refused line 1's map/);
});

test("QEMU 7.2's x-svq allocator reusing the IOVA of a guest RAM map the kernel refused (RLIMIT_MEMLOCK) is named as that refusal", () => {
  // Lines 81-83 of a 7.2.22 --svq recording at the default 8 MiB RLIMIT_MEMLOCK: QEMU's stderr had "failed to write, fd=4,
  // errno=14" and "vhost vdpa map fail!" for the 255 MiB map, whose IOVA range the allocator then gave to the BIOS ROM.
  const text = [
    '158@1796669199.833453:vhost_vdpa_listener_region_add vdpa: 0x7f3cc71fd190 iova 0x100000 llend 0x10000000 vaddr: 0x7f3cabf00000 read-only: 0',
    '158@1796669199.833462:vhost_vdpa_dma_map vdpa:0x7f3cc71fd190 fd: 4 msg_type: 2 iova: 0x10b000 size: 0xff00000 uaddr: 0x7f3cabf00000 perm: 0x3 type: 2',
    '158@1796669199.837962:vhost_vdpa_listener_region_add vdpa: 0x7f3cc71fd190 iova 0xfffc0000 llend 0x100000000 vaddr: 0x7f3cc6800000 read-only: 1',
    '158@1796669199.838027:vhost_vdpa_dma_map vdpa:0x7f3cc71fd190 fd: 4 msg_type: 2 iova: 0x10b000 size: 0x40000 uaddr: 0x7f3cc6800000 perm: 0x1 type: 2',
  ].join('\n') + '\n';
  const e = inputError(() => rebuildStreams(parseTrace(text, 'svq.log').events, 'svq.log'));
  assert.equal(e.where, 'svq.log: line 4');
  assert.match(e.reason, /the kernel refused line 2's map \(look for "vhost vdpa map fail!" in QEMU's stderr/);
});

test('the same host pages at two IOVAs (a BIOS alias) are not an inconsistency, and infer one region', () => {
  const text = [
    'vhost_vdpa_dma_map vdpa:0x7f01 fd: 3 msg_type: 2 iova: 0xe0000 size: 0x20000 uaddr: 0x7f0000020000 perm: 0x1 type: 2',
    'vhost_vdpa_dma_map vdpa:0x7f01 fd: 3 msg_type: 2 iova: 0xfffc0000 size: 0x40000 uaddr: 0x7f0000000000 perm: 0x1 type: 2',
  ].join('\n') + '\n';
  const r = rebuildStreams(parseTrace(text, 'x.log').events, 'x.log');
  assert.deepEqual(r.regions, [{ uaddr: 0x7f0000000000n, bytes: 0x40000n, firstLine: 1, endLine: 2 }]);
});
