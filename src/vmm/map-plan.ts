/**
 * What one device's start maps, with IOVAs allocated in QEMU's order. With
 * shadow virtqueues one IOVA tree serves the whole net client (data rings,
 * then the CVQ's buffers and rings, then the listener's RAM sections:
 * vhost_vdpa_svqs_start of each data device, vhost_vdpa_net_cvq_start,
 * the CVQ device's vhost_vdpa_svqs_start, the last device's listener
 * register); without them RAM is mapped at IOVA = GPA and the CVQ's items
 * come from a tree of their own.
 *
 * QEMU 10.1+ with x-svq=on registers the listener at vhost_vdpa_init, so
 * the RAM sections take the tree's first IOVAs (ramFromTree) and the first
 * start's rings and CVQ buffers come after them (`iovaFrom`); the tree
 * lives as long as the netdev ("vdpa: move iova_tree allocation to
 * net_vhost_vdpa_init"), and a stop empties it, so later starts allocate
 * from its bottom again.
 */
import type { RamSection } from './guest-memory.js';
import { PAGE } from './guest-memory.js';
import { IovaTree } from './iova-tree.js';
import { CVQ_BUFFER, CVQ_RING, DATA_RING, type RingAreas, type ShadowLayout } from './shadow-memory.js';
import { VHOST_ACCESS_RO, VHOST_ACCESS_RW, type MapItem } from './vdpa-backend.js';

export interface MapPlan {
  dataRings: MapItem[];
  cvq: MapItem[];
  ram: MapItem[];
}

export interface PlanInput {
  shadow: ShadowLayout;
  device: number;
  queuePairs: number;
  /** Data VQs shadowed. */
  svq: boolean;
  /** The CVQ is shadowed (isolated, or with the data VQs), its items in `cvqAsid`. */
  cvq: boolean;
  cvqAsid: number;
  sections: readonly RamSection[];
  /** The shadow tree's first free IOVA (after RAM already in it); absent: its bottom. */
  iovaFrom?: number;
}

const newTree = (from = PAGE) => new IovaTree(from, Number.MAX_SAFE_INTEGER);

/** The listener's items for `sections`: IOVAs from `tree` (shadowed data), else the GPA. */
export function ramFromTree(sections: readonly RamSection[], tree: IovaTree | null): MapItem[] {
  return sections.map((s) => ({ name: s.name, kind: 'ram', asid: 0, iova: tree ? tree.alloc(s.bytes) : s.gpa, bytes: s.bytes, hva: s.hva, perm: s.readonly ? VHOST_ACCESS_RO : VHOST_ACCESS_RW }));
}

/** RAM mapped at vhost_vdpa_init (10.1+): the tree's first IOVAs when the data VQs are shadowed. */
export function initRam(sections: readonly RamSection[], svq: boolean): MapItem[] {
  return ramFromTree(sections, svq ? newTree() : null);
}

export function planMaps(p: PlanInput): MapPlan {
  const tree = newTree(p.iovaFrom);
  const dataRings: MapItem[] = [];
  let hva = p.shadow.dataHva(p.device);
  const ring = (kind: 'svq-ring' | 'cvq-ring', asid: number, q: string, t: IovaTree, r: RingAreas): MapItem[] => {
    // vhost_vdpa_svq_map_rings: the driver area (desc + avail) read-only, the device area (used) writable.
    const d: MapItem = { name: `${q}.driver`, kind, asid, iova: t.alloc(r.driver), bytes: r.driver, hva, perm: VHOST_ACCESS_RO };
    const u: MapItem = { name: `${q}.device`, kind, asid, iova: t.alloc(r.device), bytes: r.device, hva: hva + r.driver, perm: VHOST_ACCESS_RW };
    hva += r.driver + r.device;
    return [d, u];
  };
  if (p.svq) for (let q = 0; q < 2 * p.queuePairs; q++) dataRings.push(...ring('svq-ring', 0, `svq${q}`, tree, DATA_RING));
  const cvq: MapItem[] = [];
  if (p.cvq) {
    const t = p.svq ? tree : newTree();
    const b = p.shadow.cvqHva(p.device);
    cvq.push({ name: 'cvq.out', kind: 'cvq-buffer', asid: p.cvqAsid, iova: t.alloc(CVQ_BUFFER), bytes: CVQ_BUFFER, hva: b, perm: VHOST_ACCESS_RO });
    cvq.push({ name: 'cvq.status', kind: 'cvq-buffer', asid: p.cvqAsid, iova: t.alloc(CVQ_BUFFER), bytes: CVQ_BUFFER, hva: b + CVQ_BUFFER, perm: VHOST_ACCESS_RW });
    hva = b + 2 * CVQ_BUFFER;
    cvq.push(...ring('cvq-ring', p.cvqAsid, 'cvq', t, CVQ_RING));
  }
  return { dataRings, cvq, ram: ramFromTree(p.sections, p.svq ? tree : null) };
}
