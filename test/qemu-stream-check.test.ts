/**
 * `qemu check`: the model's stream for a QEMU release and the guest a real
 * trace shows, beside the trace, message by message. The shipped QEMU 7.2
 * trace (a real run on vdpa_sim) has no unexplained difference; a trace
 * changed in one field, or checked against another release, has.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../src/workload/index.js';
import { QEMU_RELEASES, VirtualMachine, type EventName } from '../src/vmm/index.js';
import { checkStream, formatStreamCheck, traceVm } from '../src/vmm/trace/index.js';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
const REAL_72 = resolve(PACKAGE_ROOT, 'workloads/traces/qemu-7.2-vdpa_sim-6.12.117-baseline.log');
const text72 = readFileSync(REAL_72, 'utf8');

test('the real QEMU 7.2 trace: the guest comes from its regions and status writes, and every message matches the model but for named differences', () => {
  const c = checkStream(text72, { qemu: '7.2' });
  assert.deepEqual(c.unexplained, [], formatStreamCheck(c));
  // q35, 1 GiB: RAM below the VGA window, the PAM-programmed ROM shadows (two read-only), RAM above 1 MiB, the BIOS flash.
  assert.equal(c.guest.sections, 6);
  assert.deepEqual([c.guest.starts, c.guest.stops, c.guest.svq, c.guest.devices, c.guest.queuePairs], [4, 4, [false, false, false, false], 1, 1]);
  assert.deepEqual(c.guest.events, ['boot', 'guest-reset', 'guest-reset', 'guest-reset', 'stop-and-copy']);
  // 13 status writes, 4 resets, 24 maps, 24 unmaps, 16 batch lines, 4 SET_FEATURES: every one has its row.
  assert.equal(c.rows.length, 13 + 4 + 24 + 24 + 16 + 4);
  const expected = Object.fromEntries(c.expected.map((e) => [e.name, e.count]));
  assert.equal(expected['host-address'], 24);
  assert.equal(expected['set-features-not-modeled'], 4);
  assert.ok(c.rows.some((r) => r.real === 'map asid 0 0xc3000+0x25000 ro' && r.verdict === 'expected'));
});

test('a trace changed in one field, or missing one message, is an unexplained difference naming its line', () => {
  const perm = text72.replace('iova: 0xc3000 size: 0x25000 uaddr: 0x7f30212c3000 perm: 0x1', 'iova: 0xc3000 size: 0x25000 uaddr: 0x7f30212c3000 perm: 0x3');
  const c = checkStream(perm, { qemu: '7.2' });
  assert.equal(c.unexplained.length, 1);
  assert.equal(c.unexplained[0].realLine, 68);
  assert.match(c.unexplained[0].what, /perm 1 vs 3/);
  const lines = text72.split('\n');
  // Line 101: the INVALIDATE of the ROM shadow at 0xc3000 in the first stop.
  const dropped = checkStream([...lines.slice(0, 100), ...lines.slice(101)].join('\n'), { qemu: '7.2' });
  assert.equal(dropped.unexplained.length, 1);
  assert.match(dropped.unexplained[0].what, /^unmap asid 0 0xc3000\+0x25000 \| \(nothing\): the model sends it/);
  // Without its BATCH_BEGIN the first start's six RAM maps went unbatched: each is a difference.
  const unbatched = checkStream([...lines.slice(0, 64), ...lines.slice(65)].join('\n'), { qemu: '7.2' });
  assert.deepEqual(unbatched.unexplained.map((u) => u.realLine), [null, 65, 67, 69, 71, 73, 75]);
  assert.match(unbatched.unexplained[1].what, /^map asid 0 0x0\+0xc3000 rw \| map asid 0 0x0\+0xc3000 rw \(alone\): batched true vs false$/);
  // A RAM map from another offset of its block is not a host address difference.
  const moved = checkStream(text72.replace('uaddr: 0x7f30212e8000 perm: 0x3', 'uaddr: 0x7f30212e9000 perm: 0x3'), { qemu: '7.2' });
  assert.equal(moved.unexplained.length, 1);
  assert.match(moved.unexplained[0].what, /not the same offset into the same RAM block/);
});

test("10.2+'s trace lines (qemu_log's ISO 8601 time prefix; 11.1.3's region_del prints llend inclusive) read as the 7.2 ones do", () => {
  const iso = text72
    .replace(/^\d+@(\d+)\.(\d+):/gm, (_m, s: string, us: string) => `${new Date(Number(s) * 1000).toISOString().slice(0, 19)}.${us}Z `)
    .replace(/(region_del vdpa: \S+ iova 0x[0-9a-f]+ llend 0x)([0-9a-f]+)$/gm, (_m, head: string, end: string) => `${head}${(BigInt(`0x${end}`) - 1n).toString(16)}`);
  assert.match(iso, /^2026-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z vhost_vdpa_init dev: /);
  assert.match(iso, /region_del vdpa: 0x7f3085427190 iova 0x0 llend 0xc2fff$/m);
  const c = checkStream(iso, { qemu: '7.2' });
  assert.deepEqual(c.unexplained, [], formatStreamCheck(c));
  assert.ok(c.expected.some((e) => e.name === 'timestamps'));
});

test('checked against another release, the 7.2 trace differs where the releases do (trace format, SUSPEND at each stop)', () => {
  const c = checkStream(text72, { qemu: '10.0' });
  assert.ok(c.unexplained.some((u) => u.row === null && /trace format: its lines are QEMU 7\.2's, not QEMU 10\.0's/.test(u.what)));
  assert.equal(c.rows.filter((r) => r.model === 'suspend' && r.real === null).length, 4);
});

test("every release's own emitted stream checks clean: the guest, starts, stops and x-svq are read back from a trace", () => {
  const events: EventName[] = ['boot', 'guest-reset', 'guest-reset', 'close'];
  for (const qemu of QEMU_RELEASES) {
    for (const svq of [false, true]) {
      const vm = new VirtualMachine({
        guest: { ramBytes: 256 * 2 ** 20, backing: 'thp', meanRun: 1, seed: 1, dimms: [], shared: false },
        devices: { parent: 'vdpa_sim', variant: 'set_map', useVa: false, count: 1, queuePairs: 1, nas: 2 },
        kernel: '6.12', qemu, flow: 'workaround', memlockBytes: null, iotlbLimit: null, svq,
      });
      let text: string;
      try {
        text = traceVm(vm, () => events.forEach((e) => vm.runEvent(e)));
      } finally {
        vm.dispose();
      }
      const c = checkStream(text, { qemu });
      assert.deepEqual(c.unexplained, [], `${qemu} svq ${svq}\n${formatStreamCheck(c)}`);
      assert.deepEqual(c.guest.svq, [svq, svq, svq], `${qemu} svq ${svq}`);
      assert.deepEqual([c.guest.starts, c.guest.stops], [3, 3]);
    }
  }
});

test("the shipped lab traces check clean against the release that wrote them, the SVQ switch at migration and back read start by start", () => {
  for (const [name, qemu] of [['lab-vdpa_sim-set_map-1GiB-4k-workaround', '10.0'], ['lab-vdpa_sim-dma_map-1GiB-4k-workaround', '10.0'], ['lab-vdpa_sim-nas2-qemu10.1-1GiB-4k-svq', '10.1']]) {
    const c = checkStream(readFileSync(resolve(PACKAGE_ROOT, `workloads/traces/${name}.log`), 'utf8'), { qemu });
    assert.deepEqual(c.unexplained, [], `${name}\n${formatStreamCheck(c)}`);
  }
  const svq = checkStream(readFileSync(resolve(PACKAGE_ROOT, 'workloads/traces/lab-vdpa_sim-nas2-qemu10.1-1GiB-4k-svq.log'), 'utf8'), { qemu: '10.1' });
  assert.deepEqual(svq.guest.events, ['boot', 'guest-reset', 'migrate-svq', 'svq-cancel', 'stop-and-copy']);
  assert.equal(svq.guest.cvqIsolated, true);
});

test('qemu check: exit 0 on the 7.2 trace, 1 on an unexplained difference, 2 on bad input with one line; --out keeps a file it did not write', () => {
  const dir = tempDir('qemu-check');
  const ok = cli(['qemu', 'check', REAL_72, '--qemu', '7.2']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /Unexplained differences: none/);
  const other = cli(['qemu', 'check', REAL_72, '--qemu', '10.0', '--json']);
  assert.equal(other.status, 1, other.stderr);
  assert.ok(JSON.parse(other.stdout).unexplained.length > 0);

  const unknown = cli(['qemu', 'check', REAL_72, '--qemu', '6.2']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /^error: --qemu: '6\.2' is not a QEMU release the lab models/);
  assert.equal(unknown.stderr.trim().split('\n').length, 1);
  const bad = join(dir, 'bad.log');
  writeFileSync(bad, text72.replace('vhost_vdpa_dma_map vdpa:0x7f3085427190 fd: 3 msg_type: 2 iova: 0xc3000', 'vhost_vdpa_dma_map vdpa:0x7f3085427190 fd: 3 msg_type: 2 iova: zz'));
  const malformed = cli(['qemu', 'check', bad, '--qemu', '7.2']);
  assert.equal(malformed.status, 2);
  assert.match(malformed.stderr, /^error: .*bad\.log: line 68: vhost_vdpa_dma_map: arguments match no/);
  const missing = cli(['qemu', 'check', join(dir, 'none.log'), '--qemu', '7.2']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read the trace \(ENOENT\)/);

  const foreign = join(dir, 'notes.txt');
  writeFileSync(foreign, 'my notes\n');
  const refused = cli(['qemu', 'check', REAL_72, '--qemu', '7.2', '--out', foreign]);
  assert.equal(refused.status, 2);
  assert.equal(readFileSync(foreign, 'utf8'), 'my notes\n');
  const out = join(dir, 'check.txt');
  assert.equal(cli(['qemu', 'check', REAL_72, '--qemu', '7.2', '--out', out]).status, 0);
  assert.match(readFileSync(out, 'utf8'), /^Stream check: [^]*Side by side/);
  assert.equal(cli(['qemu', 'check', REAL_72, '--qemu', '7.2', '--out', out, '--json']).status, 0);
  assert.equal(JSON.parse(readFileSync(out, 'utf8')).release, '7.2');
});
