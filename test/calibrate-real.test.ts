/**
 * `calibrate --from`: prices fitted to real-kernel figures. The real figures
 * here are made from known prices (a run's cells, priced event by event with
 * a "truth" profile), so the fit must recover exactly those prices and the
 * check must land on the real figures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VirtualClock, parseProfile } from '../src/cost/index.js';
import { addCounters, VirtualMachine, type EventName } from '../src/vmm/index.js';
import { toVmSpec } from '../src/workload/index.js';
import { workloadFile } from './support/workload-file.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const PROFILE = fileURLToPath(new URL('../../workloads/profiles/default.json', import.meta.url));

test('calibrate --from recovers the prices real figures were made with, and --check lands on them', () => {
  const { dir, path: w } = workloadFile('cal', {
    matrix: { guest: { ram: ['1GiB', '2GiB'], backing: '4k', meanRun: 8 }, devices: { parent: 'vdpa_sim', useVa: false, count: 1, queuePairs: 1, nas: 2 }, kernel: 'reset-map', flow: ['workaround', 'persist'], events: ['boot', 'guest-reset*2', 'close'], memlock: 'unlimited' },
  });
  const out = join(dir, 'out');
  assert.equal(spawnSync(process.execPath, [CLI, 'run', w, '--out', out, '--quiet'], { encoding: 'utf8' }).status, 0);
  const truth = parseProfile(JSON.parse(readFileSync(PROFILE, 'utf8')), 'default');
  truth.prices.pagesPinned = { ns: 300, source: 'test truth' };
  truth.prices.pagesUnpinned = { ns: 120, source: 'test truth' };
  truth.prices.resets = { ns: 40_000, source: 'test truth' };
  const file = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  for (const cell of file.cells) {
    const vm = new VirtualMachine(toVmSpec(cell.params));
    const clock = new VirtualClock(truth, cell.params.parent);
    const events = (cell.params.events as EventName[]).map((name) => {
      const counters: Record<string, number> = {};
      for (const s of vm.runEvent(name).steps) addCounters(counters, s.counters);
      const { totalNs, phases: p } = clock.price(counters);
      // As the real probe books its calls: the pins inside the UPDATE writes, the VMM's and status calls in `other`.
      return { name, ns: { map: p.map + p.pin, unmap: p.unmap, reset: p.reset, other: p.vqRestart + p.mrBuild }, totalNs, pinnedVm: 0 };
    });
    vm.dispose();
    const resets = events.filter((e) => e.name === 'guest-reset');
    cell.real = { backend: 'vm:6.12', status: 'agree', reason: null, kernel: '6.12.117+deb12-amd64', accel: 'tcg', events, resetCycleNs: null, perResetNs: resets.reduce((s, e) => s + e.totalNs, 0) / resets.length };
  }
  file.provenance.real = { backend: 'vm:6.12', kernel: '6.12.117+deb12-amd64', accel: 'tcg', cycles: 3 };
  const real = join(dir, 'real.json');
  writeFileSync(real, JSON.stringify(file));
  const profile = join(dir, 'fitted.json');
  const r = spawnSync(process.execPath, [CLI, 'calibrate', '--from', real, '--out', profile, '--check', real, '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const fit = JSON.parse(r.stdout);
  assert.ok(Math.abs(fit.prices.pagesPinned - 300) < 0.01, `pagesPinned ${fit.prices.pagesPinned}`);
  assert.ok(Math.abs(fit.prices.pagesUnpinned - 120) < 0.01, `pagesUnpinned ${fit.prices.pagesUnpinned}`);
  assert.ok(Math.abs(fit.prices.resets - 40_000) < 0.5, `resets ${fit.prices.resets}`);
  for (const row of fit.check) {
    assert.ok(Math.abs(row.errorPct) < 0.01, `${row.label}: ${row.errorPct}%`);
    // Per phase too: the modeled phases booked as the probe books the real calls (map holds the pins).
    for (const k of ['map', 'unmap', 'reset', 'other']) assert.ok(Math.abs(row.phases.modeled[k] - row.phases.real[k]) <= 0.01 * row.phases.real[k] + 2, `${row.label} ${k}: ${row.phases.modeled[k]} vs ${row.phases.real[k]}`);
    assert.ok(row.phases.real.map > row.phases.real.unmap || row.label.includes('persist'), `${row.label}: a workaround reset re-pins (map) more than it unpins`);
  }
  const written = JSON.parse(readFileSync(profile, 'utf8'));
  assert.match(written.prices.pagesPinned.source, /FITTED by `vdpa-lab calibrate --from` to real-kernel figures: .*real\.json \(6\.12\.117\+deb12-amd64, TCG, /);
  // A results file without real figures is refused, naming it.
  const plain = spawnSync(process.execPath, [CLI, 'calibrate', '--from', join(out, 'results.json')], { encoding: 'utf8' });
  assert.equal(plain.status, 2);
  assert.match(plain.stderr, /results\.json: holds no cell with real-kernel figures that agreed with the model/);
});
