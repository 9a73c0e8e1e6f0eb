/**
 * What this host's kernel offers in hugetlb pages, read from sysfs, and the
 * answer a MAP_HUGETLB mmap (or a MFD_HUGETLB memfd) of one size gets from
 * it. Tests ask this instead of assuming: one machine offers only 2 MiB
 * pages (no hugepages-1048576kB directory), another offers 1 GiB pages with
 * none reserved, a third has some free.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const HUGEPAGES_SYSFS = '/sys/kernel/mm/hugepages';

/** One hstate (one huge page size) as /sys/kernel/mm/hugepages/hugepages-<kib>kB reports it. */
export interface HugePagePool {
  kib: number;
  /** nr_hugepages: the persistent pool. */
  nr: number;
  /** free_hugepages: in the pool and not faulted in. */
  free: number;
  /** resv_hugepages: free, but promised to an earlier mapping. */
  resv: number;
  /** nr_overcommit_hugepages - surplus_hugepages: how many more the kernel may try to allocate on demand. */
  overcommitLeft: number;
}

function readCount(dir: string, file: string): number {
  try {
    return Number(readFileSync(join(dir, file), 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

/** Every huge page size the running kernel offers, by size in KiB (empty without hugetlbfs). */
export function hugePagePools(root = HUGEPAGES_SYSFS): Map<number, HugePagePool> {
  const pools = new Map<number, HugePagePool>();
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return pools;
  }
  for (const name of names) {
    const m = /^hugepages-(\d+)kB$/.exec(name);
    if (!m) continue;
    const dir = join(root, name);
    const kib = Number(m[1]);
    pools.set(kib, {
      kib,
      nr: readCount(dir, 'nr_hugepages'),
      free: readCount(dir, 'free_hugepages'),
      resv: readCount(dir, 'resv_hugepages'),
      overcommitLeft: Math.max(0, readCount(dir, 'nr_overcommit_hugepages') - readCount(dir, 'surplus_hugepages')),
    });
  }
  return pools;
}

/**
 * The errnos a hugetlb mapping of `bytes` in `kib` pages may get on a host
 * with these pools (null: it succeeds), and why. Kernel sources:
 * - size not offered, private: mm/mmap.c ksys_mmap_pgoff, `hs = hstate_sizelog(...); if (!hs) return -EINVAL;`
 * - size not offered, shared (memfd_create(MFD_HUGETLB)): fs/hugetlbfs/inode.c hugetlb_file_setup,
 *   `if (hstate_idx < 0) return ERR_PTR(-ENODEV);` (both from "mm: support more pagesizes for MAP_HUGETLB/SHM_HUGETLB")
 * - offered, too few unreserved pages: hugetlbfs_file_mmap -> hugetlb_reserve_pages -> hugetlb_acct_memory: -ENOMEM,
 *   unless overcommit lets gather_surplus_pages try the buddy allocator, which may or may not find the memory.
 */
export function hugetlbMmapAnswers(pools: Map<number, HugePagePool>, kib: number, bytes: number, shared: boolean): { errnos: (string | null)[]; why: string } {
  const pool = pools.get(kib);
  if (!pool) return { errnos: [shared ? 'ENODEV' : 'EINVAL'], why: `this kernel offers no ${kib} KiB huge pages (offers: ${[...pools.keys()].join(', ') || 'none'} KiB)` };
  const needed = Math.ceil(bytes / (kib * 1024));
  const available = pool.free - pool.resv;
  if (available >= needed) return { errnos: [null], why: `${available} free ${kib} KiB pages, ${needed} needed` };
  if (available + pool.overcommitLeft >= needed) return { errnos: [null, 'ENOMEM'], why: `${available} free ${kib} KiB pages, ${needed} needed: the rest is overcommit, allocated on demand if memory allows` };
  return { errnos: ['ENOMEM'], why: `${available} free ${kib} KiB pages, ${needed} needed, no overcommit` };
}
