/**
 * Huge pages a real run needs: the VM reserves the biggest script's pages of
 * each size on its kernel command line; the device backend checks this
 * host's pools and refuses, in one line naming the backing, what they lack.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';

import { join } from 'node:path';
import { hostHugetlbProblem, hugetlbNeedOf, maxNeed, needMiB, refuseHostHugetlb, reserveArgs } from '../src/real/hugetlb-pool.js';
import { qemuArgs } from '../src/real/vm/qemu.js';
import { tempDir } from './support/temp-dir.js';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

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

test('a hugetlb mmap the real side refused (its pool short: ENOMEM, or EINVAL with no pool of that size) makes the cell n/a naming the backing and the line, never the kernel\'s answer', async () => {
  const { hugetlbShortage } = await import('../src/runner/real/run-real.js');
  const text = [JSON.stringify({ op: 'open', device: 'vdpa0' }), mmap('0x40000000', 'hugetlb-2m'), mmap('0x40000000', 'hugetlb-1g'), mmap('0x1000', '4k')].join('\n');
  const answer = (line: number, ret: 0 | -1, errno: string | null) => ({ line, op: line === 1 ? 'open' : 'mmap', ret, errno, cause: null });
  assert.equal(hugetlbShortage(text, [answer(1, 0, null), answer(2, 0, null), answer(3, 0, null), answer(4, 0, null)]), null, 'every mmap held');
  assert.equal(hugetlbShortage(text, [answer(2, -1, 'ENOMEM')]), "hugetlb-2m: the real side could not hold line 2's mmap (ENOMEM: its 2 MiB huge page pool is short)");
  assert.equal(hugetlbShortage(text, [answer(2, 0, null), answer(3, -1, 'EINVAL')]), "hugetlb-1g: the real side could not hold line 3's mmap (EINVAL: its 1 GiB huge page pool is short)");
  assert.equal(hugetlbShortage(text, [answer(4, -1, 'ENOMEM')]), null, 'a 4k mmap refused is the kernel\'s answer, compared as any other line');
  assert.equal(hugetlbShortage(text, [answer(1, -1, 'ENOENT')]), null, 'not an mmap');
});

test('exec --backend vm: a hugetlb-1g script bigger than a VM this host can hold: one line naming the script, the backing and what is missing, exit 2, before any boot', () => {
  const dir = tempDir('huge-vm');
  const gib = Math.ceil(totalmem() / 2 ** 30) + 1;
  const script = join(dir, 'big.jsonl');
  writeFileSync(script, `${mmap(`0x${(BigInt(gib) << 30n).toString(16)}`, 'hugetlb-1g')}\n`);
  // No prepared kernel needed: the refusal comes first (a host without one would otherwise exit 1 naming the kernel).
  const r = spawnSync(process.execPath, [CLI, 'exec', '--backend', 'vm:6.12', script], { encoding: 'utf8', env: { ...process.env, VDPA_LAB_CACHE: join(dir, 'empty-cache') } });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^error: .*/big\\.jsonl: mmap: backing hugetlb-1g: maps ${gib} huge pages, and a VM reserving them needs more than 75% of this host's \\d+ MiB$`, 'm'));
  assert.equal(r.stdout, '');
});
