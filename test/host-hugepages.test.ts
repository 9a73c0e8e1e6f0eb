/**
 * The tests' reading of a host's hugetlb pools (support/host-hugepages.ts),
 * on fake sysfs trees of the hosts the suite must pass on: one offering only
 * 2 MiB pages, one offering 1 GiB pages with none reserved, one with some free.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hugePagePools, hugetlbMmapAnswers } from './support/host-hugepages.js';
import { tempDir } from './support/temp-dir.js';

function fakeSysfs(pools: Record<number, Partial<Record<'nr_hugepages' | 'free_hugepages' | 'resv_hugepages' | 'nr_overcommit_hugepages' | 'surplus_hugepages', number>>>): string {
  const root = tempDir('hugepages');
  for (const [kib, files] of Object.entries(pools)) {
    const dir = join(root, `hugepages-${kib}kB`);
    mkdirSync(dir);
    for (const f of ['nr_hugepages', 'free_hugepages', 'resv_hugepages', 'nr_overcommit_hugepages', 'surplus_hugepages'] as const) writeFileSync(join(dir, f), `${files[f] ?? 0}\n`);
  }
  return root;
}

const GiB = 2 ** 30;

test('a host offering only 2 MiB pages: a 1 GiB hugetlb mmap is EINVAL (ENODEV through memfd), a 2 MiB one ENOMEM with none free', () => {
  const pools = hugePagePools(fakeSysfs({ 2048: {} }));
  assert.deepEqual([...pools.keys()], [2048]);
  assert.deepEqual(hugetlbMmapAnswers(pools, 1048576, GiB, false).errnos, ['EINVAL']);
  assert.deepEqual(hugetlbMmapAnswers(pools, 1048576, GiB, true).errnos, ['ENODEV']);
  assert.match(hugetlbMmapAnswers(pools, 1048576, GiB, false).why, /offers no 1048576 KiB huge pages \(offers: 2048 KiB\)/);
  assert.deepEqual(hugetlbMmapAnswers(pools, 2048, 4 << 20, true).errnos, ['ENOMEM']);
});

test('a host offering 1 GiB pages: none free is ENOMEM, enough free unreserved pages succeed, reserved ones do not count, overcommit may go either way', () => {
  assert.deepEqual(hugetlbMmapAnswers(hugePagePools(fakeSysfs({ 2048: {}, 1048576: {} })), 1048576, GiB, false).errnos, ['ENOMEM']);
  assert.deepEqual(hugetlbMmapAnswers(hugePagePools(fakeSysfs({ 1048576: { nr_hugepages: 2, free_hugepages: 2 } })), 1048576, 2 * GiB, false).errnos, [null]);
  assert.deepEqual(hugetlbMmapAnswers(hugePagePools(fakeSysfs({ 1048576: { nr_hugepages: 2, free_hugepages: 2, resv_hugepages: 1 } })), 1048576, 2 * GiB, false).errnos, ['ENOMEM']);
  assert.deepEqual(hugetlbMmapAnswers(hugePagePools(fakeSysfs({ 1048576: { nr_overcommit_hugepages: 4, surplus_hugepages: 1 } })), 1048576, 2 * GiB, false).errnos, [null, 'ENOMEM']);
  assert.deepEqual(hugetlbMmapAnswers(hugePagePools(fakeSysfs({ 1048576: { nr_overcommit_hugepages: 4, surplus_hugepages: 3 } })), 1048576, 2 * GiB, false).errnos, ['ENOMEM']);
});

test('a kernel without hugetlbfs offers no size at all', () => {
  const pools = hugePagePools(join(tempDir('hugepages'), 'absent'));
  assert.equal(pools.size, 0);
  assert.deepEqual(hugetlbMmapAnswers(pools, 2048, 2 << 20, false).errnos, ['EINVAL']);
});
