/**
 * Huge pages a set of scripts needs from a real kernel. A MAP_HUGETLB mmap
 * takes its pages from the pool of its size (MAP_HUGE_2MB / MAP_HUGE_1GB),
 * which is empty unless someone reserved it: a VM without a reservation
 * answers ENOMEM, which is the VM's shortage, not the kernel's answer to the
 * script. So the vm backend reserves, on the guest kernel's command line
 * (`hugepagesz=2M hugepages=N hugepagesz=1G hugepages=M`, Documentation/
 * admin-guide/mm/hugetlbpage.rst), what the biggest script maps of each size,
 * and grows the VM by as much; the device backend can only check this host's
 * pools and refuses a script they cannot hold.
 */
import { existsSync, readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { HUGETLB_PAGE_BYTES, type Backing } from '../host/index.js';
import { parseU64 } from '../iotlb/index.js';

export type HugetlbBacking = 'hugetlb-2m' | 'hugetlb-1g';
export const HUGETLB_BACKINGS: readonly HugetlbBacking[] = ['hugetlb-2m', 'hugetlb-1g'];

/** Huge pages of each size, by backing. */
export type HugetlbNeed = Record<HugetlbBacking, number>;

/** The kernel's name for each pool (hugepagesz= and /sys/kernel/mm/hugepages/hugepages-<kB>kB). */
const POOL: Record<HugetlbBacking, { size: string; kB: number }> = {
  'hugetlb-2m': { size: '2M', kB: 2048 },
  'hugetlb-1g': { size: '1G', kB: 1048576 },
};

/** Huge pages the mmap lines of one script take (a script that maps twice needs both at once in the worst case). */
export function hugetlbNeedOf(text: string): HugetlbNeed {
  const need: HugetlbNeed = { 'hugetlb-2m': 0, 'hugetlb-1g': 0 };
  for (const raw of text.split('\n')) {
    const t = raw.trim();
    if (!t.startsWith('{') || !t.includes('"mmap"') || !t.includes('hugetlb')) continue;
    const o = JSON.parse(t) as { op?: string; backing?: Backing; size?: string };
    if (o.op !== 'mmap' || (o.backing !== 'hugetlb-2m' && o.backing !== 'hugetlb-1g')) continue;
    const bytes = Number(parseU64(String(o.size)) ?? 0n);
    need[o.backing] += Math.ceil(bytes / HUGETLB_PAGE_BYTES[o.backing]!);
  }
  return need;
}

/** The most any one script needs of each size (a VM runs its scripts one at a time; each frees its pages). */
export function maxNeed(needs: HugetlbNeed[]): HugetlbNeed {
  const out: HugetlbNeed = { 'hugetlb-2m': 0, 'hugetlb-1g': 0 };
  for (const n of needs) for (const b of HUGETLB_BACKINGS) out[b] = Math.max(out[b], n[b]);
  return out;
}

/** MiB of guest memory the reservation takes. */
export function needMiB(n: HugetlbNeed): number {
  return HUGETLB_BACKINGS.reduce((s, b) => s + (n[b] * HUGETLB_PAGE_BYTES[b]!) / 2 ** 20, 0);
}

/** The guest kernel's command line that reserves `n` (empty when nothing is needed). */
export function reserveArgs(n: HugetlbNeed): string {
  return HUGETLB_BACKINGS.filter((b) => n[b] > 0)
    .map((b) => `hugepagesz=${POOL[b].size} hugepages=${n[b]}`)
    .join(' ');
}

/**
 * Why this host cannot give a script its huge pages (the device backend maps on
 * this host), or null. Reads the pools under `sysRoot`/kernel/mm/hugepages.
 */
export function hostHugetlbProblem(n: HugetlbNeed, sysRoot = '/sys'): { backing: HugetlbBacking; reason: string } | null {
  for (const b of HUGETLB_BACKINGS) {
    if (n[b] === 0) continue;
    const dir = `${sysRoot}/kernel/mm/hugepages/hugepages-${POOL[b].kB}kB`;
    if (!existsSync(dir)) return { backing: b, reason: `this host's kernel offers no ${POOL[b].size} huge pages (no ${dir})` };
    const free = Number(readFileSync(`${dir}/free_hugepages`, 'utf8').trim());
    if (free < n[b]) return { backing: b, reason: `needs ${n[b]} free ${POOL[b].size} huge pages and this host has ${free} (${dir}/free_hugepages; reserve more with nr_hugepages)` };
  }
  return null;
}

/** The one-line refusal of a script whose huge pages the host cannot give. */
export function refuseHostHugetlb(where: string, n: HugetlbNeed, sysRoot = '/sys'): void {
  const p = hostHugetlbProblem(n, sysRoot);
  if (p) throw new InputError(`${where}: backing ${p.backing}`, p.reason);
}
