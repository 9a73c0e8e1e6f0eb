/**
 * Huge pages a real run needs: the VM reserves the biggest script's pages of
 * each size on its kernel command line; the device backend checks this
 * host's pools and refuses, in one line naming the backing, what they lack.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';

import { join } from 'node:path';
import { hostHugetlbProblem, hugetlbNeedOf, maxNeed, needMiB, refuseHostHugetlb, reserveArgs } from '../src/real/hugetlb-pool.js';
import { qemuArgs } from '../src/real/vm/qemu.js';
import { tempDir } from './support/temp-dir.js';

const mmap = (size: string, backing: string) => JSON.stringify({ op: 'mmap', uaddr: '0x7f0000000000', size, backing });

test('a script needs one huge page per 2 MiB or 1 GiB it maps with hugetlb, nothing for 4k or thp', () => {
  const text = [mmap('0x40000000', 'hugetlb-2m'), mmap('0x80000000', 'hugetlb-1g'), mmap('0x40000000', 'thp'), mmap('0x1000', '4k')].join('\n');
  assert.deepEqual(hugetlbNeedOf(text), { 'hugetlb-2m': 512, 'hugetlb-1g': 2 });
});

test('the VM reserves the most any one script needs of each size, on its kernel command line', () => {
  const need = maxNeed([hugetlbNeedOf(mmap('0x40000000', 'hugetlb-2m')), hugetlbNeedOf(mmap('0x80000000', 'hugetlb-1g')), hugetlbNeedOf(mmap('0x800000', 'hugetlb-2m'))]);
  assert.deepEqual(need, { 'hugetlb-2m': 512, 'hugetlb-1g': 2 });
  assert.equal(needMiB(need), 1024 + 2048);
  const args = reserveArgs(need);
  assert.equal(args, 'hugepagesz=2M hugepages=512 hugepagesz=1G hugepages=2');
  const q = qemuArgs({ accel: 'tcg', memMiB: 5120, kernel: 'k', initrd: 'i', consoleLog: 'c', framesLog: 'f', kernelArgs: args });
  assert.equal(q[q.indexOf('-append') + 1], 'console=ttyS0 panic=-1 rdinit=/init hugepagesz=2M hugepages=512 hugepagesz=1G hugepages=2');
  assert.equal(reserveArgs(maxNeed([hugetlbNeedOf(mmap('0x1000', '4k'))])), '');
});

test("this host's pools: a size it lacks, or too few free pages, is refused in one line naming the backing", () => {
  const sys = tempDir('sys');
  const two = join(sys, 'kernel/mm/hugepages/hugepages-2048kB');
  mkdirSync(two, { recursive: true });
  writeFileSync(join(two, 'free_hugepages'), '4\n');
  assert.equal(hostHugetlbProblem({ 'hugetlb-2m': 4, 'hugetlb-1g': 0 }, sys), null);
  assert.match(hostHugetlbProblem({ 'hugetlb-2m': 5, 'hugetlb-1g': 0 }, sys)!.reason, /needs 5 free 2M huge pages and this host has 4/);
  const p = hostHugetlbProblem({ 'hugetlb-2m': 0, 'hugetlb-1g': 1 }, sys)!;
  assert.equal(p.backing, 'hugetlb-1g');
  assert.match(p.reason, /offers no 1G huge pages/);
  assert.throws(() => refuseHostHugetlb('s.jsonl: mmap', { 'hugetlb-2m': 0, 'hugetlb-1g': 1 }, sys), /s\.jsonl: mmap: backing hugetlb-1g: this host's kernel offers no 1G huge pages/);
});
