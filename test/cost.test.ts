/** Cost profiles, the virtual clock and the fit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COUNTER_PHASE, fitPrices, parseProfile, VirtualClock } from '../src/cost/index.js';
import { calibrate } from '../src/runner/index.js';
import { PACKAGE_ROOT } from '../src/workload/index.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultProfile } from './support/cells.js';
import { tempDir } from './support/temp-dir.js';

const { profile } = defaultProfile();

test('every counter has a phase and every price a source', () => {
  for (const [k, p] of Object.entries(profile.prices)) {
    assert.ok(k in COUNTER_PHASE, k);
    assert.ok(p.source.length > 10, `${k} has no real source`);
  }
});

test('the clock prices per phase, per parent, deterministically', () => {
  const c = { pagesPinned: 1000, pinCalls: 2, pagesUnpinned: 1000, vqConfigures: 17 };
  const sim = new VirtualClock(profile, 'vdpa_sim').price(c);
  const mlx5 = new VirtualClock(profile, 'mlx5').price(c);
  assert.equal(sim.phases.pin, Math.round(1000 * profile.prices.pagesPinned.ns + 2 * profile.prices.pinCalls.ns));
  assert.equal(sim.phases.unmap, 1000 * profile.prices.pagesUnpinned.ns);
  assert.equal(mlx5.phases.vqRestart, Math.round(17 * profile.parents.mlx5!.vqConfigures.ns));
  assert.ok(mlx5.phases.vqRestart > 100 * sim.phases.vqRestart);
  assert.equal(sim.totalNs, Object.values(sim.phases).reduce((a, b) => a + b, 0));
});

test('a profile without a source or with an unknown counter is refused, by path', () => {
  const bad = structuredClone(profile) as unknown as { prices: Record<string, unknown> };
  bad.prices.pagesPinned = { ns: 1 };
  assert.throws(() => parseProfile(bad, 'p.json'), /p\.json\.prices\.pagesPinned\.source/);
  const bad2 = structuredClone(profile) as unknown as { prices: Record<string, unknown> };
  bad2.prices.warpDrives = { ns: 1, source: 'x' };
  assert.throws(() => parseProfile(bad2, 'p.json'), /p\.json\.prices\.warpDrives: unknown counter/);
});

test('the fit solves exactly for as many prices as observations, and refuses what it cannot fix', () => {
  const obs = [
    { label: 'a', parent: 'vdpa_sim', counters: { pagesPinned: 1e6, pagesUnpinned: 1e6 }, seconds: 0.3 },
    { label: 'b', parent: 'vdpa_sim', counters: { pagesPinned: 2e6, pagesUnpinned: 1e6 }, seconds: 0.5 },
  ];
  const r = fitPrices(profile, ['pagesPinned', 'pagesUnpinned'], obs, 'c');
  assert.ok(Math.abs(r.prices.pagesPinned - 200) < 1e-6);
  assert.ok(Math.abs(r.prices.pagesUnpinned - 100) < 1e-6);
  assert.ok(r.rmsResidualSeconds < 1e-9);
  assert.throws(() => fitPrices(profile, ['mtts'], obs, 'c'), /no observation exercises mtts/);
  assert.throws(() => fitPrices(profile, ['pagesPinned'], [{ ...obs[0], seconds: 1e-6 }], 'c'), /negative price/);
});

test('calibrate reproduces the shipped default profile from its published figure', () => {
  const r = calibrate(`${PACKAGE_ROOT}/workloads/calibration/qemu-39g.json`);
  assert.equal(r.profile.prices.pagesPinned.ns, profile.prices.pagesPinned.ns);
  assert.ok(Math.abs(r.fit.rows[0].modeledSeconds - 2.63) < 1e-9);
  // docs/domain.md, "Published figures": about 0.26 us per 4 KiB page of pin+map (a gup step and a page each on that legacy THP guest).
  const perPage = profile.prices.folioGrabs.ns + profile.prices.pagesPinned.ns;
  assert.ok(perPage > 200 && perPage < 270, String(perPage));
});

test('calibrate also takes observed counters as they are, and fits several prices at once', () => {
  const dir = tempDir('cal');
  const file = join(dir, 'obs.json');
  writeFileSync(
    file,
    JSON.stringify({
      schema: 1,
      base: `${PACKAGE_ROOT}/workloads/profiles/default.json`,
      fit: ['pagesPinned', 'pagesUnpinned'],
      observations: [
        { label: 'a', source: 'test table', parent: 'vdpa_sim', counters: { pagesPinned: 1e6, pagesUnpinned: 1e6 }, seconds: 0.3 },
        { label: 'b', source: 'test table', parent: 'vdpa_sim', counters: { pagesPinned: 2e6, pagesUnpinned: 1e6 }, seconds: 0.5 },
      ],
    }),
  );
  const r = calibrate(file);
  assert.equal(r.profile.prices.pagesPinned.ns, 200);
  assert.equal(r.profile.prices.pagesUnpinned.ns, 100);
  assert.match(r.profile.prices.pagesUnpinned.source, /FITTED by `vdpa-lab calibrate .*obs\.json` from a \(test table\): 0\.3 s; b \(test table\): 0\.5 s/);
  writeFileSync(file, JSON.stringify({ schema: 1, base: 'default', fit: ['pagesPinned'], observations: [{ label: 'a', source: 's', parent: 'vdpa_sim', counters: {}, seconds: -1 }] }));
  assert.throws(() => calibrate(file), /obs\.json\.observations\[0\]/);
});
