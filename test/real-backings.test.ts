/**
 * THP and hugetlb guests on the real 6.12 kernel (in a VM, which reserves the
 * huge pages on its kernel command line) beside the model: every line answers
 * as the model's (ret, errno, VmPin), and the folio shape the model prices
 * holds on the real kernel: a workaround reset's re-pin takes one gup step
 * per huge page, while vhost_vdpa_pa_unmap still dirties and unpins page by
 * page, so the unmap costs several times the map, real and modeled alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VirtualClock, loadProfile } from '../src/cost/index.js';
import { addCounters, VirtualMachine, type EventName } from '../src/vmm/index.js';
import { makeCell, toVmSpec, type CellParams } from '../src/workload/index.js';
import { defaultProbePath } from '../src/real/probe-path.js';
import { readPreparedKernel } from '../src/real/vm/index.js';
import { workloadFile } from './support/workload-file.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const TCG_PROFILE = fileURLToPath(new URL('../../workloads/profiles/vdpa-sim-tcg-6.12.json', import.meta.url));

const why = !existsSync(defaultProbePath()) ? 'the probe is not built' : (() => {
  try {
    readPreparedKernel('6.12');
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
})();

/** The model's map (pin + map) and unmap phases of one guest reset of the cell, under the TCG profile. */
function modeledReset(params: CellParams): { map: number; unmap: number } {
  const cell = makeCell(params);
  const vm = new VirtualMachine(toVmSpec(cell.params));
  const clock = new VirtualClock(loadProfile(TCG_PROFILE).profile, params.parent);
  try {
    let priced = { map: 0, unmap: 0 };
    for (const name of params.events as EventName[]) {
      const counters: Record<string, number> = {};
      for (const s of vm.runEvent(name).steps) addCounters(counters, s.counters);
      const p = clock.price(counters).phases;
      if (name === 'guest-reset') priced = { map: p.map + p.pin, unmap: p.unmap };
    }
    return priced;
  } finally {
    vm.dispose();
  }
}

test('thp and hugetlb-2m guests on real 6.12 answer as the model does, and unmap costs several times the re-pin there and in the model', { skip: why && !process.env.CI ? why : false, timeout: 15 * 60_000 }, () => {
  assert.equal(why, undefined, `CI must prepare the kernels first: ${why}`);
  const { dir, path } = workloadFile('real-backings', {
    matrix: {
      guest: { ram: '256MiB', backing: ['thp', 'hugetlb-2m'], prealloc: true },
      devices: { parent: 'vdpa_sim', variant: 'set_map', useVa: false, count: 1, queuePairs: 1, nas: 2 },
      kernel: 'reset-map',
      flow: 'workaround',
      events: ['boot', 'guest-reset', 'close'],
      memlock: 'unlimited',
      iotlbLimit: 1048576,
    },
  });
  const out = join(dir, 'out');
  const r = spawnSync(process.execPath, [CLI, 'run', path, '--out', out, '--backend', 'vm:6.12', '--real-cycles', '2', '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const cells = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).cells as { label: string; params: CellParams; real: { status: string; reason: string | null; events: { name: string; ns: { map: number; unmap: number }; pinnedVm: number }[] } }[];
  assert.equal(cells.length, 2);
  for (const c of cells) {
    assert.equal(c.real.status, 'agree', `${c.label}: ${c.real.reason}`);
    // 256 MiB less the VGA/ROM window, plus the CVQ buffers (2) and shadow vring areas (1 + 1, its 64 entries): pinned after boot, on the real kernel.
    assert.equal(c.real.events[0].pinnedVm, 65536 - 96 + 2 + 2, c.label);
    const reset = c.real.events.find((e) => e.name === 'guest-reset')!;
    const model = modeledReset(c.params);
    assert.ok(reset.ns.unmap > 3 * reset.ns.map, `${c.label}: real unmap ${reset.ns.unmap} ns vs map ${reset.ns.map} ns`);
    assert.ok(model.unmap > 3 * model.map, `${c.label}: modeled unmap ${model.unmap} ns vs map ${model.map} ns`);
  }
});
