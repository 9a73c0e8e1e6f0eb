import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RegionLayout, type Backing } from '../src/host/index.js';

test('region layouts map pages to distinct frames, and runs never touch the next run', () => {
  fc.assert(
    fc.property(
      fc.constantFrom<Backing>('4k', 'thp'),
      fc.integer({ min: 1, max: 6000 }),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc.integer({ min: 1, max: 600 }),
      (backing, pages, seed, meanRun) => {
        const l = new RegionLayout({ pages, backing, seed, meanRun });
        const seen = new Uint8Array(l.framePages);
        let prevLast = -10;
        for (let idx = 0; idx < pages; ) {
          const frame = l.frameOf(idx);
          const len = Math.min(l.runLeft, pages - idx);
          assert.ok(len >= 1);
          // A new run must not continue the previous one physically (else it would be one run).
          assert.notEqual(frame, prevLast + 1, `page ${idx}: run continues the previous run`);
          for (let f = frame; f < frame + len; f++) {
            assert.ok(f >= 0 && f < l.framePages, 'frame in range');
            assert.equal(seen[f], 0, `frame ${f} used twice`);
            seen[f] = 1;
          }
          prevLast = frame + len - 1;
          idx += len;
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('hugetlb-1g regions are one run per 1 GiB page', () => {
  const l = new RegionLayout({ pages: 3 * 2 ** 18, backing: 'hugetlb-1g', seed: 5 });
  const f0 = l.frameOf(0);
  assert.equal(l.runLeft, 2 ** 18);
  assert.equal(f0 % 2 ** 18, 0);
  const f1 = l.frameOf(2 ** 18);
  assert.notEqual(f1, f0 + 2 ** 18);
});

test('large folios laid out in runs of k: every k consecutive folios are physically contiguous, and no two runs touch (what the real kernel showed: a 1 GiB THP guest in 6 runs)', () => {
  fc.assert(
    fc.property(
      fc.constantFrom<Backing>('thp', 'hugetlb-2m'),
      fc.integer({ min: 1, max: 300 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      (backing, folios, k, seed) => {
        const pages = folios * 512;
        const l = new RegionLayout({ pages, backing, seed, meanRun: k * 512 });
        const seen = new Uint8Array(l.framePages);
        // Merge the pieces frameOf gives into physical runs, as vhost_vdpa_pa_map does.
        const runs: number[] = [];
        let prevLast = -10;
        for (let idx = 0; idx < pages; ) {
          const frame = l.frameOf(idx);
          const len = Math.min(l.runLeft, pages - idx);
          for (let f = frame; f < frame + len; f++) {
            assert.ok(f >= 0 && f < l.framePages, 'frame in range');
            assert.equal(seen[f], 0, `frame ${f} used twice`);
            seen[f] = 1;
          }
          if (frame === prevLast + 1) runs[runs.length - 1] += len;
          else runs.push(len);
          prevLast = frame + len - 1;
          idx += len;
        }
        const perRun = Math.min(k, folios);
        assert.equal(runs.length, Math.ceil(folios / perRun), `${folios} folios in runs of ${perRun}`);
        for (const r of runs.slice(0, -1)) assert.equal(r, perRun * 512);
      },
    ),
    { numRuns: 200 },
  );
  // The default (no meanRun) keeps every folio apart: one run each.
  const l = new RegionLayout({ pages: 4 * 512, backing: 'thp', seed: 1 });
  let prev = -10;
  for (let idx = 0; idx < 4 * 512; idx += 512) {
    const f = l.frameOf(idx);
    assert.notEqual(f, prev + 1);
    prev = f + 511;
  }
});
