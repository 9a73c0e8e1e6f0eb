/** Pin and dirty tables: per folio, as the kernel keeps them, with per-page accounting. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostMm, newPinCounters, pinFrames, unpinFrames } from '../src/host/index.js';

function region(backing: '4k' | 'thp' | 'hugetlb-1g', pages: number) {
  return new HostMm().mmap({ startPage: 0x100000, pages, backing, seed: 1, shared: false });
}

test('4k: one count per frame', () => {
  const r = region('4k', 1024);
  const c = newPinCounters();
  pinFrames(r, 10, 3, c);
  assert.deepEqual([r.folioPins(9), r.folioPins(10), r.folioPins(12), r.folioPins(13)], [0, 1, 1, 0]);
  unpinFrames(r, 10, 3, true, c);
  assert.deepEqual([...r.dirty.subarray(9, 14)], [0, 1, 1, 1, 0]);
  assert.deepEqual(c, { pinCalls: 0, folioGrabs: 0, pagesPinned: 3, pagesUnpinned: 3, pagesDirtied: 3, faults: 0, pagesFaulted: 0 });
});

test('thp: a 2 MiB folio counts the pins of its pages; a range across folios splits exactly', () => {
  const r = region('thp', 2048);
  assert.equal(r.folios, 4);
  const c = newPinCounters();
  pinFrames(r, 500, 30, c); // 12 pages in folio 0, 18 in folio 1
  assert.deepEqual([...r.pins], [12, 18, 0, 0]);
  pinFrames(r, 0, 2048, c);
  assert.deepEqual([...r.pins], [524, 530, 512, 512]);
  unpinFrames(r, 510, 4, true, c); // 2 + 2: both folios dirty
  assert.deepEqual([...r.pins], [522, 528, 512, 512]);
  assert.deepEqual([...r.dirty], [1, 1, 0, 0]);
  unpinFrames(r, 0, 2048, false, c);
  unpinFrames(r, 500, 10, false, c);
  unpinFrames(r, 514, 16, false, c);
  assert.deepEqual([...r.pins], [0, 0, 0, 0]);
  assert.equal(c.pagesPinned, c.pagesUnpinned);
  assert.equal(c.pagesDirtied, 4);
});

test('hugetlb-1g: one folio per GiB', () => {
  const r = region('hugetlb-1g', 2 * 262144);
  assert.equal(r.folios, 2);
  const c = newPinCounters();
  pinFrames(r, 262140, 8, c);
  assert.deepEqual([...r.pins], [4, 4]);
});
