/**
 * Kernel versions, named as `uname -r` names them, resolved to the
 * behaviours the model has. Each behaviour arrived in one mainline release
 * and, for some, in a stable line at some patch level (a backport); every
 * row carries its source: a commit and the release it was merged for, or a
 * real kernel that showed it (`exec --compare model,vm:6.1|6.12|7.2` boots
 * Debian's 6.1.192, 6.12.117 and 7.2.13).
 *
 * A stable patch level is only as exact as what the lab knows: where a
 * backport's first patch level is not known, the only points of that line
 * that get it are the ones a real kernel (or a source tree) showed, and a
 * version between says so in its notes.
 *
 * The two old names stay as aliases: `legacy` is 6.1.192's behaviour and
 * `reset-map` 6.12.117's, each WITHOUT a default entry limit, because before
 * versions existed the limit was a separate setting (null: none) and every
 * shipped workload and script must give the figures it gave.
 */
import { InputError } from '../errors.js';
import type { KernelGeneration } from './parents/types.js';

/** What the model varies by kernel version. */
export interface KernelBehaviour {
  /** The name as given (`6.12.117`, `reset-map`). */
  name: string;
  /** The release it resolves to (`6.12.117`; `mainline` for the 2026 tree). */
  release: string;
  /** Stable line (`6.12`) or `mainline`. */
  line: string;
  /** `reset-map` from v6.7 (.reset_map, .compat_reset, IOTLB_PERSIST), else `legacy`. */
  generation: KernelGeneration;
  /** vhost-vdpa knows and offers VHOST_BACKEND_F_SUSPEND where the parent has .suspend. */
  suspend: boolean;
  /** VHOST_BACKEND_F_RESUME (and parents' .resume). */
  resume: boolean;
  /** VHOST_VDPA_SUSPEND / RESUME answer 0 without calling the parent while DRIVER_OK is not set. */
  suspendNeedsDriverOk: boolean;
  /** VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK via the parent's .get_backend_features. */
  enableAfterDriverOk: boolean;
  /** VHOST_BACKEND_F_DESC_ASID (.get_vq_desc_group). */
  descAsid: boolean;
  /** .reset_map, .compat_reset and VHOST_BACKEND_F_IOTLB_PERSIST (same series as `generation`). */
  resetMap: boolean;
  /** vdpa_sim has the use_va module parameter (default true). */
  vdpaSimUseVa: boolean;
  /** mlx5_vdpa implements .resume (firmware permitting). */
  mlx5Resume: boolean;
  /** An INVALIDATE of size 0 is accepted (else EINVAL in vhost_chr_write_iter). */
  invalidateSize0: boolean;
  /** A read-only long-term pin unshares the shared zero page (a fresh page per 4 KiB) instead of pinning it (mm/gup.c). */
  roPinUnshare: boolean;
  /** VHOST_VDPA_SET_GROUP_ASID answers EBUSY while DRIVER_OK is set (after its EINVAL checks). */
  groupAsidBusyWhileRunning: boolean;
  /** VDUSE has .get_vq_group (group 0 for an API v0 device) instead of none (EOPNOTSUPP). */
  vduseVqGroup: boolean;
  /** VDUSE has .set_group_asid, which answers EINVAL for an API v0 device, instead of none (EOPNOTSUPP). */
  vduseGroupAsid: boolean;
  /** A write or unshare fault on a huge zero PMD allocates a writable THP (one fault per 2 MiB) instead of splitting it into 4 KiB pages. */
  thpOnHugeZeroWp: boolean;
  /**
   * pin_user_pages with a page list takes a PMD-mapped THP in one step (one
   * page-table walk, one try_grab_folio for every subpage the call covers);
   * without it, one walk and one reference grab per 4 KiB page. hugetlb is
   * taken per huge page in every modeled version (pin-user-pages.ts).
   */
  thpPinBatch: boolean;
  /** vhost_vdpa.max_iotlb_entries' default where the 2026 fix is in; undefined: no limit, no parameter. */
  defaultIotlbLimit: number | undefined;
  /** Why each behaviour is what it is, by behaviour name. */
  sources: Record<BehaviourName, string>;
  /** Caveats: a version between known points, an alias. */
  notes: string[];
}

export type BehaviourName =
  | 'suspend'
  | 'resume'
  | 'suspendNeedsDriverOk'
  | 'enableAfterDriverOk'
  | 'descAsid'
  | 'resetMap'
  | 'vdpaSimUseVa'
  | 'mlx5Resume'
  | 'invalidateSize0'
  | 'roPinUnshare'
  | 'groupAsidBusyWhileRunning'
  | 'thpOnHugeZeroWp'
  | 'vduseVqGroup'
  | 'vduseGroupAsid'
  | 'thpPinBatch'
  | 'entryLimit';

/** vhost_vdpa.max_iotlb_entries' default with the fix (drivers/vhost/vdpa.c, both Debian trees). */
export const DEFAULT_MAX_IOTLB_ENTRIES = 2048;

/** The lines the lab names a patch level for (the LTS lines it has sources or real kernels of). */
type Line = '6.1' | '6.6' | '6.12' | '7.2';

interface Arrival {
  /** The first mainline release (major, minor) that has it; null: only the `mainline` tree. */
  mainline: readonly [number, number] | null;
  /** Stable lines older than `mainline` that have it from this patch level on (a backport). */
  stable?: Partial<Record<Line, number>>;
  /** Lines where the backport is known to exist but not its first patch level. */
  stableUnknownBefore?: Partial<Record<Line, number>>;
  source: string;
}

const R = 'real kernel (exec --compare)';

/** When each behaviour arrived. Releases are those the commits were merged for. */
export const ARRIVALS: Record<BehaviourName, Arrival> = {
  suspend: {
    mainline: [6, 0],
    source: '"vhost-vdpa: introduce SUSPEND backend feature bit" (Eugenio Pérez), merged for v6.0; vdpa_sim and mlx5 .suspend in the same release. ' + `${R}: 6.1.192 and 6.12.117 offer it for vdpa_sim, and answer VHOST_VDPA_SUSPEND as the model does (suspend-resume.jsonl)`,
  },
  resume: {
    mainline: [6, 4],
    source: '"vhost-vdpa: Introduce RESUME backend feature bit" (Sebastien Boeuf), merged for v6.4, with vdpa_sim .resume. ' + `${R}: 6.12.117 offers it, 6.1.192 refuses the bit (EOPNOTSUPP) and answers VHOST_VDPA_RESUME as an unknown ioctl (EPERM, then EFAULT: suspend-resume.jsonl)`,
  },
  suspendNeedsDriverOk: {
    mainline: [6, 9],
    source: 'c4e8b5aed7cd "vdpa: skip suspend/resume ops if not DRIVER_OK" (Steve Sistare), merged for v6.9: vhost_vdpa_suspend/_resume return 0 before the op check while DRIVER_OK is clear; Debian\'s 6.12.117 tree has it, 6.1.192\'s calls ops->suspend whatever the status. Source only: vdpa_sim answers 0 either way (suspend-resume.jsonl agrees on both real kernels), so no real kernel here can tell'
  },
  enableAfterDriverOk: {
    mainline: [6, 6],
    source: '"vdpa: add get_backend_features vdpa operation" and "vdpa_sim: offer VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK" (Eugenio Pérez), merged for v6.6. ' + `${R}: 6.12.117 offers it for vdpa_sim`,
  },
  descAsid: {
    mainline: [6, 7],
    source: '"vhost-vdpa: introduce descriptor group backend feature" (Si-Wei Liu) and mlx5 .get_vq_desc_group (Dragos Tatulea), merged for v6.7 (bit 7, just before IOTLB_PERSIST). Source only: vdpa_sim has no descriptor groups',
  },
  resetMap: {
    mainline: [6, 7],
    source: 'series "vdpa: decouple reset of iotlb mapping from device reset" (Si-Wei Liu): .reset_map, .compat_reset/VDPA_RESET_F_CLEAN_MAP, VHOST_BACKEND_F_IOTLB_PERSIST, vdpa_sim and mlx5 .reset_map, merged for v6.7. ' + `${R}: 6.12.117 accepts PERSIST and keeps vdpa_sim's maps across a reset; 6.1.192 refuses it and wipes`,
  },
  vdpaSimUseVa: {
    mainline: [6, 4],
    source: '"vdpa_sim: add support for user VA" (Stefano Garzarella), merged for v6.4. ' + `${R}: 6.1.192's vdpa_sim has no use_va parameter (modinfo), 6.12.117's defaults it to true`,
  },
  mlx5Resume: {
    mainline: [6, 8],
    source: 'mlx5_vdpa .resume ("vdpa/mlx5: Introduce per vq and device resume", Dragos Tatulea), merged for v6.8; present in the 6.12.117 tree. Source only (no mlx5 hardware here)',
  },
  invalidateSize0: {
    mainline: [6, 6],
    // Backported to 6.1.y (Fixes: tag); the first 6.1 patch level that has it is not known to the lab.
    stableUnknownBefore: { '6.1': 192 },
    source: '"vhost: Allow null msg.size on VHOST_IOTLB_INVALIDATE" (Eric Auger, posted 23 Aug 2023, Fixes: e2ae38cf3d91 "vhost: fix hung thread due to erroneous iotlb entries", v5.17), in mainline from v6.6; 6.1.0 answers EINVAL. ' + `${R}: 6.1.192 and 6.12.117 accept iova 0 size 0 and remove everything`,
  },
  roPinUnshare: {
    mainline: [6, 2],
    source: '"mm/gup: reliable R/O long-term pinning in COW mappings" (David Hildenbrand, posted Nov 2022 for mm-unstable, merged for v6.2): gup_must_unshare() also breaks COW of the shared zero page and page cache pages in private mappings, so a read-only FOLL_LONGTERM pin of untouched anonymous memory takes a read fault and an unshare fault per page. ' + `${R}: 6.12.117 takes two faults per untouched 4 KiB page of a read-only map, 6.1.192 one (it pins the zero page) (read-only-first-touch.jsonl)`,
  },
  groupAsidBusyWhileRunning: {
    mainline: [7, 0],
    source: '"vhost: forbid change vq groups ASID if DRIVER_OK is set" (Eugenio Pérez), in the vhost pull for v7.0 (tag of 2026-02-09, with VDUSE\'s address spaces): vhost_vdpa_vring_ioctl returns -EBUSY for VHOST_VDPA_SET_GROUP_ASID when ops->get_status has DRIVER_OK, after the group/asid EINVAL check and before the EOPNOTSUPP one; Debian\'s 7.2.13 tree has it, 6.12.117\'s does not. ' + `${R}: 7.2.13 answers EBUSY for vdpa_sim's CVQ group while running and 0 after a reset, 6.12.117 and 6.1.192 answer 0 (group-asid-running.jsonl)`,
  },
  vduseVqGroup: {
    mainline: [7, 0],
    source: '"vduse: add vq group support" (Eugenio Pérez), in the vhost pull for v7.0 with "vduse: add v1 API definition" and "vduse: add vq group asid support": vduse_get_vq_group answers 0 below VDUSE_API_VERSION_1, so VHOST_VDPA_GET_VRING_GROUP on a VDUSE device answers group 0 where 6.12.117 had no op (EOPNOTSUPP); QEMU\'s CVQ isolation probe reads either as "not isolated". Debian\'s 7.2.13 tree has it. ' + `${R} with the lab's VDUSE device (native/vduse/, API v0): 7.2.13 answers group 0, 6.12.117 EOPNOTSUPP (vduse/vduse-errno.jsonl). VDUSE API v1 devices (several groups and address spaces) are not modeled`,
  },
  vduseGroupAsid: {
    mainline: [7, 0],
    source: '"vduse: add vq group asid support" (Eugenio Pérez), in the vhost pull for v7.0: VDUSE gains .set_group_asid, and vduse_set_group_asid answers -EINVAL below VDUSE_API_VERSION_1, so VHOST_VDPA_SET_GROUP_ASID of group 0 to ASID 0 on an API v0 device passes vhost-vdpa\'s checks and is EINVAL where 6.12.117 had no op (EOPNOTSUPP). ' + `${R}: 7.2.13 answered EINVAL where the model said EOPNOTSUPP (vduse/vduse-errno.jsonl)`,
  },
  thpOnHugeZeroWp: {
    mainline: [6, 13],
    source: '1ced09e0331f "mm: allocate THP on hugezeropage wp-fault" (Dev Jain, posted Sep 2024, merged for v6.13): do_huge_pmd_wp_page on a huge zero PMD calls do_huge_zero_wp_pmd, which maps a fresh THP (map_anon_folio_pmd: writable where the VMA is) for a write or an unshare fault, and only falls back to splitting the PMD when no THP can be allocated; Debian\'s 7.2.13 tree has it, 6.12.117\'s splits. ' + `${R}: a read-only pin of 4 MiB of untouched THP memory takes 4 faults on 7.2.13 (2 read, 2 unshare) and a later writable pin none; 1026 and 1024 on 6.12.117 (read-only-first-touch.jsonl). Assumes the THP allocation succeeds (the fallback is not modeled)`,
  },
  thpPinBatch: {
    mainline: [6, 5],
    source: '"mm/gup: accelerate thp gup even for "pages != NULL"" (Peter Xu, patch 6 of the series "mm/gup: Unify hugetlb, speed up thp", v4, June 2023), merged for v6.5: __get_user_pages keeps follow_page_mask\'s ctx.page_mask when a page list is passed, takes the rest of the folio with one try_grab_folio(folio, page_increm - 1) and records the subpages in a loop. Read in Debian\'s trees: 6.1.192\'s __get_user_pages sets ctx.page_mask = 0 whenever pages != NULL (so follow_trans_huge_pmd walks and grabs per 4 KiB page), 6.12.117\'s has the page_increm > 1 grab (follow_huge_pmd sets page_mask = HPAGE_PMD_NR - 1). hugetlb needs no row: 6.1.192\'s follow_hugetlb_page already grabs once per huge page ("mm/hugetlb: grab head page refcount once for group of subpages", Joao Martins, v5.12), and 6.12.117 takes hugetlb through the same generic follow_huge_pmd/follow_huge_pud step',
  },
  entryLimit: {
    mainline: null,
    stableUnknownBefore: { '6.1': 192, '6.12': 117, '7.2': 13 },
    source: '"vhost_iotlb: bound map allocation in add_range" (2026), in vhost_iotlb_add_range_ctx: vhost_vdpa.max_iotlb_entries (default 2048) for every address space, and each parent\'s own max_iotlb_entries (2048) for vdpa_sim\'s iommu[], mlx5\'s CVQ iotlb and 6.12 per-MR iotlbs, VDUSE\'s domain (parent-limits.ts); read in a 2026 mainline tree and in Debian\'s 6.1.192, 6.12.117 and 7.2.13 trees. ' + `${R}: 6.1.192, 6.12.117 and 7.2.13 enforce vhost_vdpa\'s (entry-limit.jsonl) and vdpa_sim\'s own (parent-entry-limit-*.jsonl)`,
  },
};

/** Releases the lab names in its tables and tests; any other `uname -r` name resolves too. */
export const NAMED_KERNELS = ['6.1.0', '6.1.192', '6.6.0', '6.12.0', '6.12.117', '7.2.13', 'mainline'] as const;

/** The old generation names and the release whose behaviour each keeps. */
export const KERNEL_ALIASES: Record<KernelGeneration, string> = { legacy: '6.1.192', 'reset-map': '6.12.117' };

/** Debian ABI names whose patch level the lab knows (`uname -r` of the prepared kernels). */
const DEBIAN_RELEASES: Record<string, string> = { '6.1.0-56-amd64': '6.1.192' };

const VERSION = /^(\d+)\.(\d+)(?:\.(\d+))?(?:[-+~][0-9A-Za-z.+~-]*)?$/;

interface Parsed {
  major: number;
  minor: number;
  patch: number;
  mainline: boolean;
}

function parse(name: string): Parsed {
  if (name === 'mainline') return { major: Infinity, minor: 0, patch: 0, mainline: true };
  const debian = DEBIAN_RELEASES[name];
  const m = VERSION.exec(debian ?? name);
  if (!m) {
    throw new InputError('kernel', `'${name}' is not a kernel version: give a release as uname -r names it (${NAMED_KERNELS.join(', ')}), or legacy / reset-map`);
  }
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (/^\d+\.\d+\.0-\d+-/.test(name) && !debian) {
    throw new InputError('kernel', `'${name}' is a Debian ABI name, which does not give the patch level: name the release (e.g. 6.1.192)`);
  }
  return { major, minor, patch, mainline: false };
}

function has(b: BehaviourName, v: Parsed, notes: string[]): boolean {
  const a = ARRIVALS[b];
  if (v.mainline) return true;
  if (a.mainline && (v.major > a.mainline[0] || (v.major === a.mainline[0] && v.minor >= a.mainline[1]))) return true;
  const line = `${v.major}.${v.minor}` as Line;
  const from = a.stable?.[line];
  if (from !== undefined && v.patch >= from) return true;
  const known = a.stableUnknownBefore?.[line];
  if (known !== undefined) {
    if (v.patch >= known) return true;
    if (v.patch > 0) notes.push(`${b}: backported to ${line}.y by ${line}.${known}; the first patch level is not known to the lab, so ${v.major}.${v.minor}.${v.patch} is modeled without it`);
  }
  return false;
}

/** Resolves a kernel name (a version or an old alias) to its behaviours; InputError naming `kernel` otherwise. */
export function resolveKernel(name: string): KernelBehaviour {
  const alias = KERNEL_ALIASES[name as KernelGeneration];
  const v = parse(alias ?? name);
  const notes: string[] = [];
  const b = (n: BehaviourName) => has(n, v, notes);
  const resetMap = b('resetMap');
  const limit = b('entryLimit') && !alias ? DEFAULT_MAX_IOTLB_ENTRIES : undefined;
  if (alias) notes.push(`${name}: alias of ${alias}'s behaviour with no default entry limit (set iotlbLimit for one), as the lab modeled it before kernel versions`);
  const sources = Object.fromEntries(Object.entries(ARRIVALS).map(([k, a]) => [k, a.source])) as Record<BehaviourName, string>;
  return {
    name,
    release: v.mainline ? 'mainline' : (alias ?? DEBIAN_RELEASES[name] ?? `${v.major}.${v.minor}.${v.patch}`),
    line: v.mainline ? 'mainline' : `${v.major}.${v.minor}`,
    generation: resetMap ? 'reset-map' : 'legacy',
    suspend: b('suspend'),
    resume: b('resume'),
    suspendNeedsDriverOk: b('suspendNeedsDriverOk'),
    enableAfterDriverOk: b('enableAfterDriverOk'),
    descAsid: b('descAsid'),
    resetMap,
    vdpaSimUseVa: b('vdpaSimUseVa'),
    mlx5Resume: b('mlx5Resume'),
    invalidateSize0: b('invalidateSize0'),
    roPinUnshare: b('roPinUnshare'),
    groupAsidBusyWhileRunning: b('groupAsidBusyWhileRunning'),
    thpOnHugeZeroWp: b('thpOnHugeZeroWp'),
    vduseVqGroup: b('vduseVqGroup'),
    vduseGroupAsid: b('vduseGroupAsid'),
    thpPinBatch: b('thpPinBatch'),
    defaultIotlbLimit: limit,
    sources,
    notes,
  };
}

/** True when `name` resolves (for schema checks that want a boolean). */
export function isKernelName(name: string): boolean {
  try {
    resolveKernel(name);
    return true;
  } catch {
    return false;
  }
}

/** `6.12.117` or `legacy (6.1.192, no default entry limit)`: how outputs name the kernel. */
export function kernelLabel(k: KernelBehaviour): string {
  return k.name in KERNEL_ALIASES ? `${k.name} (${k.release}'s behaviour, no default entry limit)` : k.release === k.name ? k.name : `${k.name} (${k.release})`;
}
