/**
 * Which cells' guests would not fit in vhost_vdpa.max_iotlb_entries: the
 * warning `run` prints before it runs them. A PA-mode map takes one vhost
 * iotlb entry per physically contiguous run (docs/domain.md, "PA mode"),
 * and `vhost_iotlb_add_range_ctx` refuses the entry at the limit with ENOSPC,
 * so a guest whose RAM sections need more entries than the limit fails at
 * boot. With THP that is one entry per 2 MiB folio: a 39 GiB guest needs
 * about 20,000, ten times the default 2048 of a kernel with the 2026 fix.
 */
import { layoutGuest } from '../vmm/index.js';
import type { CellSpec } from './cell.js';
import { toVmSpec } from './cell.js';

const FOLIO_BYTES = { thp: 2 ** 21, 'hugetlb-2m': 2 ** 21, 'hugetlb-1g': 2 ** 30 } as const;

/**
 * About how many entries the listener's maps of guest RAM take in ASID 0:
 * exact for THP and hugetlb (one per folio a section touches: the model's
 * layout never puts two folios side by side), the mean for 4k (pages / meanRun).
 */
export function estimatedEntries(cell: CellSpec): number {
  const spec = toVmSpec(cell.params);
  if (spec.devices.useVa) return 0; // VA mode: one entry per VMA piece, a handful
  let n = 0;
  for (const s of layoutGuest(spec.guest).sections) {
    if (spec.guest.backing === '4k') {
      n += Math.ceil(s.bytes / 4096 / spec.guest.meanRun);
      continue;
    }
    const f = FOLIO_BYTES[spec.guest.backing];
    n += Math.floor((s.hva + s.bytes - 1) / f) - Math.floor(s.hva / f) + 1;
  }
  return n;
}

/** One line per cell whose guest needs more entries than its limit, or none. */
export function entryLimitWarnings(cells: CellSpec[]): string[] {
  const out: string[] = [];
  for (const c of cells) {
    const limit = c.params.iotlbLimit;
    if (limit === null) continue;
    const need = estimatedEntries(c);
    if (need <= limit) continue;
    out.push(
      `warning: ${c.label}: the guest's RAM needs about ${need} vhost iotlb entries and kernel ${c.params.kernel} allows ${limit} (vhost_vdpa.max_iotlb_entries): its boot will fail with ENOSPC (EFAULT to QEMU). Real deployments raise the module parameter; set iotlbLimit (a number, or "none") to model that.`,
    );
  }
  return out;
}
