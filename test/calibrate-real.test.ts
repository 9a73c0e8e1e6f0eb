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
import { probePhaseCounters } from '../src/runner/real/probe-phases.js';
import type { CostProfile } from '../src/cost/index.js';
import { workloadFile } from './support/workload-file.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const PROFILE = fileURLToPath(new URL('../../workloads/profiles/default.json', import.meta.url));

/** A run's results with real figures made from `truth`'s prices, each phase booked as the probe books its calls. */
function realFromTruth(tag: string, truth: CostProfile): { dir: string; real: string; out: string } {
  const { dir, path: w } = workloadFile(tag, {
    matrix: { guest: { ram: ['1GiB', '2GiB'], backing: '4k', meanRun: 8 }, devices: { parent: 'vdpa_sim', useVa: false, count: 1, queuePairs: 1, nas: 2 }, kernel: 'reset-map', flow: ['workaround', 'persist'], events: ['boot', 'guest-reset*2', 'close'], memlock: 'unlimited' },
  });
  const out = join(dir, 'out');
  assert.equal(spawnSync(process.execPath, [CLI, 'run', w, '--out', out, '--quiet'], { encoding: 'utf8' }).status, 0);
  const file = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  for (const cell of file.cells) {
    const vm = new VirtualMachine(toVmSpec(cell.params));
    const clock = new VirtualClock(truth, cell.params.parent);
    const events = (cell.params.events as EventName[]).map((name) => {
      const counters: Record<string, number> = {};
      const { steps } = vm.runEvent(name);
      for (const s of steps) addCounters(counters, s.counters);
      const split = probePhaseCounters(steps);
      const ns = { map: clock.price(split.map).totalNs, unmap: clock.price(split.unmap).totalNs, reset: clock.price(split.reset).totalNs, other: clock.price(split.other).totalNs };
      return { name, ns, totalNs: clock.price(counters).totalNs, pinnedVm: 0 };
    });
    vm.dispose();
    const resets = events.filter((e) => e.name === 'guest-reset');
    cell.real = { backend: 'vm:6.12', status: 'agree', reason: null, kernel: '6.12.117+deb12-amd64', accel: 'tcg', events, resetCycleNs: null, perResetNs: resets.reduce((s, e) => s + e.totalNs, 0) / resets.length };
  }
  file.provenance.real = { backend: 'vm:6.12', kernel: '6.12.117+deb12-amd64', accel: 'tcg', cycles: 3 };
  const real = join(dir, 'real.json');
  writeFileSync(real, JSON.stringify(file));
  return { dir, real, out };
}

const defaultProfile = () => parseProfile(JSON.parse(readFileSync(PROFILE, 'utf8')), 'default');

test('calibrate --from recovers the prices real figures were made with, and --check lands on them', () => {
  const truth = defaultProfile();
  truth.prices.pagesPinned = { ns: 300, source: 'test truth' };
  truth.prices.pagesUnpinned = { ns: 120, source: 'test truth' };
  truth.prices.resets = { ns: 40_000, source: 'test truth' };
  const { dir, real, out } = realFromTruth('cal', truth);
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

test('calibrate --from --by-phase tells apart prices that always come together in a reset: the UPDATE and INVALIDATE writes, the reset and the VMM munmaps', () => {
  const truth = defaultProfile();
  const set = { pagesPinned: 300, pagesUnpinned: 120, resets: 40_000, iotlbUpdates: 2_500, iotlbInvalidates: 900, vmmMunmaps: 20_000, setMaps: 700 };
  for (const [k, ns] of Object.entries(set)) truth.prices[k] = { ns, source: 'test truth' };
  const { real } = realFromTruth('cal-phase', truth);
  const free = Object.keys(set).join(',');
  const byPhase = spawnSync(process.execPath, [CLI, 'calibrate', '--from', real, '--fit', free, '--by-phase', '--check', real, '--json'], { encoding: 'utf8' });
  assert.equal(byPhase.status, 0, byPhase.stderr);
  const fit = JSON.parse(byPhase.stdout);
  for (const [k, ns] of Object.entries(set)) assert.ok(Math.abs(fit.prices[k] - ns) < 0.01 * ns, `${k}: ${fit.prices[k]} vs ${ns}`);
  for (const row of fit.check) for (const k of ['map', 'unmap', 'reset', 'other']) assert.ok(Math.abs(row.phases.modeled[k] - row.phases.real[k]) <= 0.001 * row.phases.real[k] + 2, `${row.label} ${k}`);
  // One observation per event cannot split them: every reset of a flow sends as many updates as invalidates.
  const whole = spawnSync(process.execPath, [CLI, 'calibrate', '--from', real, '--fit', free, '--json'], { encoding: 'utf8' });
  const wholeFit = whole.status === 0 ? JSON.parse(whole.stdout).prices : null;
  assert.ok(!wholeFit || Object.entries(set).some(([k, ns]) => Math.abs(wholeFit[k] - ns) > 0.01 * ns), 'the whole-event fit recovered every price, so --by-phase shows nothing');
  // --by-phase splits real runs' observations: without --from it is bad input.
  const alone = spawnSync(process.execPath, [CLI, 'calibrate', '--check', real, '--profile', PROFILE, '--by-phase'], { encoding: 'utf8' });
  assert.equal(alone.status, 2);
  assert.match(alone.stderr, /--by-phase: .*needs --from/);
});
