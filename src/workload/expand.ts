/**
 * Matrix expansion: every leaf given as a list contributes one axis of the
 * cross product, in a fixed leaf order, so cell order is stable. Each chosen
 * value keeps its JSON path, so a semantic error names the exact element.
 */
import type { Backing } from '../host/index.js';
import { kernelLabel, resolveKernel, type ParentKind, type VdpaSimVariant } from '../kernel/index.js';
import { DEFAULT_QEMU, FIRST_EVENTS, resolveQemu, VirtualMachine, type EventName, type FlowName } from '../vmm/index.js';
import { makeCell, toVmSpec, type CellParams, type CellSpec } from './cell.js';
import { memoryProblem } from './memory-need.js';
import type { RawMatrix, RawWorkload } from './schema.js';
import { formatBytes, parseSize } from './sizes.js';

interface Choice {
  value: unknown;
  path: string;
}

/** Leaves of a matrix and whether the leaf is list-valued by nature. */
const LEAVES: { key: string; get: (m: RawMatrix) => unknown; listLeaf?: boolean }[] = [
  { key: 'guest.ram', get: (m) => m.guest.ram },
  { key: 'guest.backing', get: (m) => m.guest.backing },
  { key: 'guest.meanRun', get: (m) => m.guest.meanRun },
  { key: 'guest.dimms', get: (m) => m.guest.dimms, listLeaf: true },
  { key: 'guest.seed', get: (m) => m.guest.seed },
  { key: 'guest.prealloc', get: (m) => m.guest.prealloc },
  { key: 'devices.parent', get: (m) => m.devices.parent },
  { key: 'devices.variant', get: (m) => m.devices.variant },
  { key: 'devices.useVa', get: (m) => m.devices.useVa },
  { key: 'devices.count', get: (m) => m.devices.count },
  { key: 'devices.queuePairs', get: (m) => m.devices.queuePairs },
  { key: 'devices.nas', get: (m) => m.devices.nas },
  { key: 'kernel', get: (m) => m.kernel },
  { key: 'qemu', get: (m) => m.qemu },
  { key: 'flow', get: (m) => m.flow },
  { key: 'events', get: (m) => m.events, listLeaf: true },
  { key: 'memlock', get: (m) => m.memlock },
  { key: 'iotlbLimit', get: (m) => m.iotlbLimit },
  { key: 'profile', get: (m) => m.profile },
  { key: 'dmaReaders', get: (m) => m.dmaReaders },
  { key: 'pinShards', get: (m) => m.pinShards },
];

function choices(v: unknown, path: string, listLeaf: boolean): Choice[] {
  const expands = Array.isArray(v) && (!listLeaf || (v.length > 0 && Array.isArray(v[0])));
  if (!expands) return [{ value: v, path }];
  return (v as unknown[]).map((x, i) => ({ value: x, path: `${path}[${i}]` }));
}

export const MAX_GUEST_BYTES = 4 * 2 ** 40;
const ALIGN: Record<Backing, number> = { '4k': 4096, thp: 2 ** 21, 'hugetlb-2m': 2 ** 21, 'hugetlb-1g': 2 ** 30 };
const U64 = 2n ** 64n;

/** Collects every semantic error instead of stopping at the first. */
class Problems {
  readonly list: string[] = [];
  add(path: string, reason: string): void {
    const line = `${path}: ${reason}`;
    if (!this.list.includes(line)) this.list.push(line);
  }
}

function bytesOf(c: Choice, backing: Backing, what: string, problems: Problems, min: number): number | undefined {
  const b = parseSize(c.value);
  if (typeof b === 'string') return problems.add(c.path, b), undefined;
  if (b >= U64) return problems.add(c.path, `${b} bytes exceeds 2^64 - 1`), undefined;
  const n = Number(b);
  if (n < min) return problems.add(c.path, `${what} must be at least ${min} bytes`), undefined;
  if (n > MAX_GUEST_BYTES) return problems.add(c.path, `${what} of ${n} bytes is beyond the lab's 4 TiB guest limit`), undefined;
  if (n % ALIGN[backing] !== 0) return problems.add(c.path, `${what} must be a multiple of ${ALIGN[backing]} bytes with ${backing} backing`), undefined;
  return n;
}

function expandEvents(c: Choice, problems: Problems): EventName[] | undefined {
  const out: EventName[] = [];
  (c.value as string[]).forEach((e) => {
    const [name, times] = e.split('*');
    for (let i = 0; i < Number(times ?? 1); i++) out.push(name as EventName);
  });
  if (!FIRST_EVENTS.includes(out[0])) return problems.add(c.path, `the first event must be ${FIRST_EVENTS.join(' or ')}`), undefined;
  const opens = out.findIndex((e, i) => i > 0 && FIRST_EVENTS.includes(e));
  if (opens !== -1) return problems.add(c.path, `${out[opens]} may only come first`), undefined;
  const close = out.indexOf('close');
  if (close !== -1 && close !== out.length - 1) return problems.add(c.path, 'close may only come last'), undefined;
  if (close === -1) out.push('close');
  return out;
}

function buildCell(w: RawWorkload, pick: Record<string, Choice>, problems: Problems): CellSpec | undefined {
  const v = (k: string) => pick[k].value;
  const before = problems.list.length;
  const backing = v('guest.backing') as Backing;
  const parent = v('devices.parent') as ParentKind;
  const guestBytes = bytesOf(pick['guest.ram'], backing, 'guest RAM', problems, 2 ** 21);
  const dimms = (v('guest.dimms') as unknown[]).map((d, i) => bytesOf({ value: d, path: `${pick['guest.dimms'].path}[${i}]` }, backing, 'a DIMM', problems, 2 ** 27));
  // The limit is the guest's: RAM and its hot-plugged DIMMs together (each alone may pass).
  const total = [guestBytes, ...dimms].reduce<number>((sum, b) => sum + (b ?? 0), 0);
  if (dimms.length > 0 && total > MAX_GUEST_BYTES) problems.add(pick['guest.dimms'].path, `guest RAM plus DIMMs is ${total} bytes (${formatBytes(total)}), beyond the lab's 4 TiB guest limit`);
  const useVa = (v('devices.useVa') as boolean | undefined) ?? parent === 'vduse';
  if (parent === 'vduse' && !useVa) problems.add(pick['devices.useVa'].path, 'VDUSE maps virtual addresses only (use_va=true)');
  if ((parent === 'mlx5' || parent === 'platform-iommu') && useVa) problems.add(pick['devices.useVa'].path, `${parent} maps physical pages only (use_va=false)`);
  const kernel = resolveKernel(v('kernel') as string);
  if (parent === 'vdpa_sim' && useVa && !kernel.vdpaSimUseVa) problems.add(pick['devices.useVa'].path, `vdpa_sim on ${kernel.name === 'legacy' ? 'legacy kernels (v6.1)' : kernelLabel(kernel)} has no use_va (it came in v6.4; PA only: docs/domain.md, "Parents")`);
  const events = expandEvents(pick.events, problems);
  const qemu = resolveQemu((v('qemu') as string | undefined) ?? DEFAULT_QEMU).release;
  let memlockBytes: number | null = null;
  if (v('memlock') !== 'unlimited') {
    const m = parseSize(v('memlock'));
    if (typeof m === 'string') problems.add(pick.memlock.path, m);
    else if (m >= U64) problems.add(pick.memlock.path, `${m} bytes exceeds 2^64 - 1`);
    else memlockBytes = Number(m);
  }
  if (problems.list.length > before || guestBytes === undefined || !events) return undefined;
  const params: CellParams = {
    flow: v('flow') as FlowName,
    parent,
    variant: parent === 'vdpa_sim' ? ((v('devices.variant') as VdpaSimVariant | undefined) ?? 'set_map') : null,
    kernel: kernel.name,
    qemu,
    useVa,
    devices: v('devices.count') as number,
    queuePairs: v('devices.queuePairs') as number,
    nas: v('devices.nas') as number,
    guestBytes,
    backing,
    meanRun: backing === '4k' ? (v('guest.meanRun') as number) : 1,
    dimms: dimms as number[],
    seed: (v('guest.seed') as number | undefined) ?? w.seed,
    events,
    memlockBytes,
    // null: the version's default (none for the old aliases, so their cells keep their ids).
    iotlbLimit: v('iotlbLimit') === 'none' ? null : ((v('iotlbLimit') as number | null) ?? kernel.defaultIotlbLimit ?? null),
    profile: (v('profile') as string | undefined) ?? w.profile,
    ...((v('dmaReaders') as number) > 0 ? { dmaReaders: v('dmaReaders') as number } : {}),
    ...((v('pinShards') as number) > 1 ? { pinShards: v('pinShards') as number } : {}),
    ...(v('guest.prealloc') === true ? { prealloc: true as const } : {}),
  };
  const memlock = VirtualMachine.memlockProblem(toVmSpec(params));
  if (memlock) return problems.add(pick.memlock.path, memlock), undefined;
  const cell = makeCell(params);
  // Before any cell starts: a guest this machine cannot hold is refused with the estimate, not discovered mid-run.
  const memory = memoryProblem(cell);
  if (memory) return problems.add(pick['guest.ram'].path, memory), undefined;
  return cell;
}

/**
 * The default ceiling on a workload's cross product. Building a cell costs
 * about a kilobyte and a few microseconds, and each runs for seconds: 100,000
 * cells is already days of running, while a few list leaves of 20 values
 * reach millions of combinations that would take minutes and gigabytes to
 * build before any other check.
 */
export const DEFAULT_MAX_CELLS = 100_000;

/**
 * How many combinations the matrices' list leaves multiply to, counted from
 * the list lengths alone (before deduplication, before any cell is built).
 * A float: a product past 2^53 only needs to compare above the limit.
 */
export function countCombinations(w: RawWorkload): number {
  const matrices = Array.isArray(w.matrix) ? w.matrix : [w.matrix];
  let total = 0;
  for (const m of matrices) total += LEAVES.reduce((n, leaf) => n * choices(leaf.get(m), '', leaf.listLeaf ?? false).length, 1);
  return total;
}

export interface ExpandOptions {
  /** Refuse a cross product larger than this (default DEFAULT_MAX_CELLS). */
  maxCells?: number;
}

/** Expands a validated workload into cells (deduplicated by id), or returns every problem found. */
export function expandWorkload(w: RawWorkload, opts: ExpandOptions = {}): { cells: CellSpec[]; problems: string[] } {
  const problems = new Problems();
  const maxCells = opts.maxCells ?? DEFAULT_MAX_CELLS;
  const count = countCombinations(w);
  if (count > maxCells) {
    problems.add('matrix', `expands to ${count.toLocaleString('en-US')} cells, more than the limit of ${maxCells.toLocaleString('en-US')} (--max-cells N raises it)`);
    return { cells: [], problems: problems.list };
  }
  const matrices = Array.isArray(w.matrix) ? w.matrix : [w.matrix];
  const cells = new Map<string, CellSpec>();
  matrices.forEach((m, mi) => {
    const base = Array.isArray(w.matrix) ? `matrix[${mi}]` : 'matrix';
    let combos: Record<string, Choice>[] = [{}];
    for (const leaf of LEAVES) {
      const cs = choices(leaf.get(m), `${base}.${leaf.key}`, leaf.listLeaf ?? false);
      combos = combos.flatMap((c) => cs.map((x) => ({ ...c, [leaf.key]: x })));
    }
    for (const pick of combos) {
      const cell = buildCell(w, pick, problems);
      if (cell && !cells.has(cell.id)) cells.set(cell.id, cell);
    }
  });
  return { cells: [...cells.values()], problems: problems.list };
}
