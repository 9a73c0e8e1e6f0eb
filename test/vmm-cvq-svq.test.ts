/**
 * The CVQ while the data VQs are shadowed (src/vmm/vm.ts cvqGoesToAsid1,
 * src/vmm/qemu-versions.ts): what the kernel model receives per QEMU release
 * at a `migrate-svq` start, at the stop that follows and after `svq-cancel`,
 * read from net/vhost-vdpa.c `vhost_vdpa_net_cvq_start` (`shadow_data`: goto
 * out before SET_GROUP_ASID, `address_space_id` left at 0),
 * `vhost_vdpa_net_cvq_stop` / `vhost_vdpa_cvq_unmap_buf` (the same ASID) and
 * `net_vhost_vdpa_init`'s CVQ migration blocker (8.0, 8.1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCell } from '../src/runner/index.js';
import { recordOps } from '../src/runner/real/record-ops.js';
import { VirtualMachine, type EventName } from '../src/vmm/index.js';
import { toVmSpec, type CellParams } from '../src/workload/index.js';
import { cell, defaultProfile, params } from './support/cells.js';

type Op = Record<string, unknown>;
const { profile, hash } = defaultProfile();

/** Device 0's kernel ops per event. */
function opsPerEvent(over: Partial<CellParams>, events: EventName[]): Op[][] {
  const vm = new VirtualMachine(toVmSpec(params({ parent: 'vdpa_sim', variant: 'set_map', ...over, events })));
  const out: Op[][] = [];
  recordOps(vm.backends[0].dev, 'vdpa0', (line) => out[out.length - 1].push(line));
  for (const e of events) {
    out.push([]);
    vm.runEvent(e);
  }
  vm.dispose();
  return out;
}

/** The CVQ's messages: its two buffers and two shadow vring areas are the only maps of one or two pages outside the RAM sections. */
const small = (o: Op) => (o.op === 'update' || o.op === 'invalidate') && Number(o.size) <= 2 * 4096;
const count = (ops: Op[], f: (o: Op) => boolean) => ops.filter(f).length;
const groupAsid = (o: Op) => o.op === 'set_group_asid';
const at = (op: string, asid: number) => (o: Op) => o.op === op && o.asid === asid && small(o);

const EVENTS: EventName[] = ['boot', 'migrate-svq', 'guest-reset', 'svq-cancel', 'guest-reset', 'close'];

for (const qemu of ['8.2', '9.0', '10.0', '10.1+']) {
  test(`${qemu}: with the data VQs shadowed the CVQ gets no SET_GROUP_ASID and its buffers and shadow vrings go to ASID 0; after svq-cancel ASID 1 again`, () => {
    // queuePairs 1: 2 data VQs, so the data shadow vrings are 4 small maps and the CVQ's are 4 more.
    const [boot, svq, resetInSvq, cancel, resetAfter] = opsPerEvent({ qemu, queuePairs: 1 }, EVENTS);
    assert.equal(count(boot, groupAsid), 1);
    assert.equal(count(boot, at('update', 1)), 4, 'out and status buffers, driver and device areas in ASID 1');
    // The switch: the old start's CVQ maps leave ASID 1, the new start maps none there and sets no group.
    assert.equal(count(svq, at('invalidate', 1)), 4);
    assert.equal(count(svq, at('update', 1)), 0);
    assert.equal(count(svq, groupAsid), 0, 'vhost_vdpa_net_cvq_start jumps to out: before SET_GROUP_ASID');
    assert.equal(count(svq, at('update', 0)), 8, 'data shadow vrings (4) and the CVQ (4), all in ASID 0');
    // A stop and start in SVQ mode: vhost_vdpa_net_cvq_stop unmaps in v->address_space_id, still 0.
    assert.equal(count(resetInSvq, at('invalidate', 0)), 8);
    assert.equal(count(resetInSvq, (o) => o.asid === 1 || groupAsid(o)), 0, 'nothing for ASID 1 while shadowed');
    // svq-cancel: the SVQ stop unmaps in ASID 0; the first start without shadow_data sets the group and maps in ASID 1.
    assert.equal(count(cancel, at('invalidate', 0)), 8);
    assert.deepEqual(cancel.filter(groupAsid).map((o) => [o.group, o.asid]), [[1, 1]]);
    assert.equal(count(cancel, at('update', 1)), 4);
    assert.equal(count(cancel, at('update', 0)), 0, 'no shadow vrings left');
    assert.equal(count(resetAfter, groupAsid), 1);
    assert.equal(count(resetAfter, at('invalidate', 1)), 4);
  });
}

test('a CVQ that is not isolated (nas 1) is still shadowed after the switch: vhost_vdpa_net_cvq_start reaches out: before the isolation check', () => {
  const [boot, svq, , cancel] = opsPerEvent({ nas: 1, queuePairs: 1 }, EVENTS);
  assert.equal(count(boot, small), 0, 'not isolated: no CVQ maps, the CVQ is passthrough');
  assert.equal(count(svq, at('update', 0)), 8, 'data shadow vrings (4) and the CVQ (4)');
  assert.equal(count(svq, groupAsid), 0);
  assert.equal(count(cancel, at('invalidate', 0)), 8);
  assert.equal(count(cancel, (o) => o.op === 'update' && small(o)), 0, 'back to passthrough');
});

test('8.0 and 8.1 block migration of a device with a CVQ (net_vhost_vdpa_init): migrate-svq and svq-cancel are n/a; 8.2 lifted it', async () => {
  const run = (over: Partial<CellParams>) => runCell(cell(over), { profile, profileHash: hash, samples: 0 });
  for (const qemu of ['8.0', '8.1']) {
    for (const events of [['boot', 'migrate-svq', 'close'], ['boot', 'svq-cancel', 'close']] as EventName[][]) {
      const r = await run({ qemu, events });
      assert.equal(r.status, 'n/a', `${qemu} ${events[1]}`);
      assert.match(r.reason!, new RegExp(`QEMU ${qemu.replace('.', '\\.')} has no ${events[1]} for a device with a CVQ: .*net vdpa cannot migrate with CVQ feature`));
    }
  }
  const ok = await run({ qemu: '8.2', events: ['boot', 'migrate-svq', 'close'] });
  assert.equal(ok.status, 'ok', ok.reason ?? '');
  assert.equal(ok.counters.svqSwitches, 1);
});

