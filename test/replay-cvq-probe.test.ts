/**
 * Where a replay puts QEMU 8.1+'s untraced CVQ isolation probe back
 * (src/vmm/trace/cvq-probe-ops.ts): which traces get it (by their formats'
 * release range), before which traced op, and the status QEMU's next
 * vhost_vdpa_add_status reads after its reset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitCellTrace } from '../src/runner/emit-trace.js';
import { parseTrace, queuePairsOf, rebuildStreams, tracedReleasesProbe, withCvqProbe } from '../src/vmm/trace/index.js';
import { cell } from './support/cells.js';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

const INIT = 'vhost_vdpa_init dev: 0x10, common dev: 0x20 vdpa: 0x30';
const map = (asid: number, iova: string) => `vhost_vdpa_dma_map vdpa_shared:0x20 fd: 9 msg_type: 2 asid: ${asid} iova: ${iova} size: 0x1000 uaddr: 0x7f0000000000 perm: 0x3 type: 2`;

test('the probe goes after vhost_vdpa_init\'s ACKNOWLEDGE|DRIVER and before the first FEATURES_OK; add_status after it reads 0 until the next traced reset', () => {
  const text = [
    INIT,
    'vhost_vdpa_add_status dev: 0x10 status: 0x3',
    'vhost_vdpa_add_status dev: 0x10 status: 0x8',
    map(0, '0x0'),
    'vhost_vdpa_add_status dev: 0x10 status: 0x4',
    'vhost_vdpa_reset_device dev: 0x10',
    'vhost_vdpa_add_status dev: 0x10 status: 0x3',
    'vhost_vdpa_add_status dev: 0x10 status: 0x8',
  ].join('\n');
  const parsed = parseTrace(text, 't');
  assert.ok(tracedReleasesProbe(parsed.releases), '9.0+ formats: a release that probes');
  const [s] = rebuildStreams(parsed.events, 't').devices;
  const ops = withCvqProbe(s.ops, queuePairsOf(s, 3));
  assert.deepEqual(ops.map((o) => (o.op === 'status' ? `status ${o.status}` : o.op)), ['status 3', 'cvq_probe', 'status 8', 'msg', 'status 12', 'reset', 'status 3', 'status 11']);
  const probe = ops[1];
  assert.equal(probe.op === 'cvq_probe' && probe.queuePairs, 1);
  assert.equal(probe.lineNo, 3, 'named by the traced line it precedes');
});

test('10.1+ (RAM mapped at board init, after every netdev): the probe precedes the first map; a trace of only maps gets it first', () => {
  const [s] = rebuildStreams(parseTrace([INIT, 'vhost_vdpa_add_status dev: 0x10 status: 0x3', map(0, '0x0')].join('\n'), 't').events, 't').devices;
  assert.deepEqual(withCvqProbe(s.ops, 1).map((o) => o.op), ['status', 'cvq_probe', 'msg']);
  const [bare] = rebuildStreams(parseTrace(map(0, '0x0'), 't').events, 't').devices;
  assert.deepEqual(withCvqProbe(bare.ops, 1).map((o) => o.op), ['cvq_probe', 'msg']);
});

test('only traces whose formats fit 8.1+ alone probe: 7.2, 8.0, and a trace that fits 8.0 too, do not', () => {
  const old = (reset: string) => parseTrace([`vhost_vdpa_dma_map vdpa:0x30 fd: 9 msg_type: 2 asid: 0 iova: 0x0 size: 0x1000 uaddr: 0x7f0000000000 perm: 0x3 type: 2`, reset].join('\n'), 't').releases;
  assert.equal(tracedReleasesProbe(old('vhost_vdpa_reset_device dev: 0x10 status: 0x0')), false, '8.0: reset prints its status');
  assert.equal(tracedReleasesProbe(old('vhost_vdpa_reset_device dev: 0x10')), true, '8.1-8.2');
  assert.equal(tracedReleasesProbe(parseTrace('vhost_vdpa_dma_map vdpa:0x30 fd: 9 msg_type: 2 asid: 0 iova: 0x0 size: 0x1000 uaddr: 0x7f0000000000 perm: 0x3 type: 2', 't').releases), false, '8.0-8.2: cannot tell');
  assert.equal(tracedReleasesProbe(parseTrace('vhost_vdpa_dma_map vdpa:0x30 fd: 9 msg_type: 2 iova: 0x0 size: 0x1000 uaddr: 0x7f0000000000 perm: 0x3 type: 2', 't').releases), false, '7.2');
});

test("the CVQ's index comes from the fd's vhost_devs (one per queue pair and one for the CVQ), else from the parent's own VQ count", () => {
  const two = [INIT, 'vhost_vdpa_init dev: 0x11, common dev: 0x20 vdpa: 0x31', 'vhost_vdpa_init dev: 0x12, common dev: 0x20 vdpa: 0x32', map(0, '0x0')].join('\n');
  const [s] = rebuildStreams(parseTrace(two, 't').events, 't').devices;
  assert.equal(queuePairsOf(s, 17), 2);
  const [one] = rebuildStreams(parseTrace([INIT, map(0, '0x0')].join('\n'), 't').events, 't').devices;
  assert.equal(queuePairsOf(one, 17), 8);
  assert.equal(queuePairsOf(one, 3), 1);
});

test("replay says where it added the untraced probe: an 8.1+ trace's output names it, the real QEMU 7.2 trace's does not", () => {
  const replay = (file: string) => spawnSync(process.execPath, [CLI, 'replay', file, '--backing', '4k', '--parent', 'vdpa_sim'], { encoding: 'utf8' });
  const file = join(tempDir('probe-text'), 'q81.log');
  writeFileSync(file, emitCellTrace(cell({ parent: 'vdpa_sim', variant: 'set_map', queuePairs: 1, qemu: '8.1', events: ['boot', 'guest-reset', 'close'] })));
  const now = replay(file);
  assert.equal(now.status, 0, now.stderr);
  assert.match(now.stdout, /QEMU 8\.1 to 8\.2 trace format/);
  assert.match(now.stdout, /CVQ isolation probe .* is not traced: replayed on each fd where QEMU ran it/);
  const old = replay(fileURLToPath(new URL('../../workloads/traces/qemu-7.2-vdpa_sim-6.12.117-baseline.log', import.meta.url)));
  assert.equal(old.status, 0, old.stderr);
  assert.doesNotMatch(old.stdout, /CVQ isolation probe/);
});
