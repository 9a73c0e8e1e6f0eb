/**
 * What pin_user_pages does per backing and kernel version (mm/gup.c as read
 * in Debian's 6.1.192 and 6.12.117 trees): gup steps (a page-table walk and
 * one try_grab_folio each) per 4 KiB page on 4k, per huge page on hugetlb,
 * and on THP per page before v6.5 and per folio from it; the unmap still
 * dirties and unpins every page (vhost_vdpa_pa_unmap).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GUEST_UADDR, runScript, setup } from './support/session.js';

// A 4k guest of mean run 64 keeps its 64 MiB under the versions' default limit of 2048 entries.
function counts(backing: string, kernel: string, size = '0x4000000') {
  const { answers } = runScript([
    ...setup({ parent: 'vdpa_sim', variant: 'set_map', useVa: false, kernel }, size, backing, backing === '4k' ? { meanRun: 64 } : {}),
    { op: 'update', iova: '0x0', size, uaddr: GUEST_UADDR, perm: 'rw' },
    { op: 'invalidate', iova: '0x0', size },
    { op: 'dump' },
  ]);
  return (answers[5] as unknown as { counters: Record<string, number> }).counters;
}

const PAGES = 0x4000; // 64 MiB

test('4k: one gup step per page on every version', () => {
  for (const k of ['6.1.192', '6.12.117']) assert.equal(counts('4k', k).folioGrabs, PAGES, k);
});

test('thp: one gup step per page on 6.1, per 2 MiB folio on 6.12 (v6.5 "accelerate thp gup even for pages != NULL")', () => {
  assert.equal(counts('thp', '6.1.192').folioGrabs, PAGES);
  assert.equal(counts('thp', '6.12.117').folioGrabs, PAGES / 512);
});

test('hugetlb: one gup step per huge page a call covers, on both versions', () => {
  for (const k of ['6.1.192', '6.12.117']) {
    assert.equal(counts('hugetlb-2m', k).folioGrabs, PAGES / 512, k);
    // 1 GiB pages: a 512-page call covers part of one folio, so one step per call.
    assert.equal(counts('hugetlb-1g', k, '0x40000000').folioGrabs, 0x40000 / 512, k);
  }
});

test('every backing pins, dirties and unpins every 4 KiB page', () => {
  for (const b of ['4k', 'thp', 'hugetlb-2m']) {
    const c = counts(b, '6.12.117');
    assert.deepEqual([c.pagesPinned, c.pagesUnpinned, c.pagesDirtied, c.pinCalls], [PAGES, PAGES, PAGES, PAGES / 512], b);
  }
});
