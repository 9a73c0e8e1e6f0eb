/**
 * A virtual machine as the lab runs it: guest memory on one HostMm, N
 * vhost-vdpa devices each with its own backend and listener, one reset flow,
 * and the events of a cell. Every event is recorded as steps with counter
 * deltas, plus any place where a running device's view disagrees with vhost.
 */
import { HostMm, PinShards } from '../host/index.js';
import { U64_MAX } from '../iotlb/index.js';
import { checkInvariants, kernelLabel, viewState, type InvariantReport, type ParentKind, type VdpaSimVariant } from '../kernel/index.js';
import type { EventName } from './events.js';
import { FLOWS, type Flow, type FlowName } from './flows.js';
import { layoutGuest, PAGE, type GuestMemory, type GuestSpec } from './guest-memory.js';
import { IovaTree } from './iova-tree.js';
import { StepRecorder, type StepKind, type StepRecord } from './steps.js';
import { newVmmCounters, VdpaBackend, VHOST_ACCESS_RO, VHOST_ACCESS_RW, type MapItem, type VmmCounters } from './vdpa-backend.js';

export interface DevicesSpec {
  parent: ParentKind;
  variant?: VdpaSimVariant;
  useVa: boolean;
  count: number;
  queuePairs: number;
  /** Address spaces; with 2 or more the CVQ is isolated in ASID 1 (net/vhost-vdpa.c). */
  nas: number;
}

export interface VmSpec {
  guest: GuestSpec;
  devices: DevicesSpec;
  /** A kernel version or an old alias (src/kernel/versions.ts). */
  kernel: string;
  flow: FlowName;
  /** RLIMIT_MEMLOCK in bytes; null: unlimited. */
  memlockBytes: number | null;
  /** Enforced vhost iotlb entry limit; null: mainline (unenforced). */
  iotlbLimit: number | null;
  /** Helper threads that pin large maps ahead (sharded pinning); absent or 1: none. */
  pinShards?: number;
}

export interface EventRecord {
  name: EventName;
  steps: StepRecord[];
  /** Running devices whose view disagrees with vhost after the event. */
  viewProblems: string[];
}

/** Virtqueue group of the CVQ when it is isolated (group 0 holds the data VQs). */
const CVQ_GROUP = 1;
const CVQ_ASID = 1;
/** Shadow vring areas per VQ: driver area (desc + avail) and device area (used). */
const SVQ_DRIVER_AREA = 2 * PAGE;
const SVQ_DEVICE_AREA = PAGE;
/** Shadow CVQ buffers: the command out-buffer and the status in-buffer. */
const CVQ_BUFFER = PAGE;

export class VirtualMachine {
  readonly mm: HostMm;
  readonly memory: GuestMemory;
  readonly flow: Flow;
  readonly backends: VdpaBackend[] = [];
  readonly vmmCounters: VmmCounters = newVmmCounters();
  readonly recorder: StepRecorder;
  /** Data VQs use shadow virtqueues (IOVAs from the IOVA tree). */
  private svq = false;
  private readonly svqHva: number;
  private readonly cvqIsolated: boolean;

  constructor(readonly spec: VmSpec, mm?: HostMm) {
    this.flow = FLOWS[spec.flow];
    this.memory = layoutGuest(spec.guest);
    // Shadow vrings and CVQ buffers live in one small block after the guest's.
    const last = this.memory.blocks[this.memory.blocks.length - 1];
    this.svqHva = Math.ceil((last.hva + last.bytes) / 2 ** 30) * 2 ** 30 + 2 ** 30;
    this.mm = mm ?? this.mapGuest();
    if (!mm && (spec.pinShards ?? 1) > 1) this.mm.pinShards = new PinShards(this.mm, spec.pinShards!);
    this.mm.memlockPages = spec.memlockBytes === null ? Infinity : Math.floor(spec.memlockBytes / PAGE);
    const d = spec.devices;
    for (let i = 0; i < d.count; i++) {
      const config = {
        parent: d.parent,
        variant: d.variant,
        kernel: spec.kernel,
        useVa: d.useVa,
        nas: d.nas,
        ngroups: 2,
        nvqs: 2 * d.queuePairs + 1,
        iovaRange: { first: 0n, last: U64_MAX },
        iotlbLimit: spec.iotlbLimit ?? undefined,
      };
      this.backends.push(new VdpaBackend(`vdpa${i}`, this.mm, config, this.vmmCounters, 2 * d.queuePairs + 1));
    }
    this.recorder = new StepRecorder(this.backends[0].dev.counters, this.vmmCounters);
    this.cvqIsolated = d.nas >= 2 && this.backends[0].dev.parent.hasSetGroupAsid;
  }

  /** Why this cell cannot run its flow, or null. */
  notApplicable(): string | null {
    if (this.flow.ackPersist && !this.backends[0].dev.persistOffered) {
      const k = this.backends[0].dev.kernel;
      const why = k.resetMap ? `${this.spec.devices.parent} has no .reset_map and an on-chip IOMMU` : k.name === 'legacy' ? 'legacy kernels do not offer it' : `${kernelLabel(k)} is older than v6.7`;
      return `VHOST_BACKEND_F_IOTLB_PERSIST is not offered (${why})`;
    }
    return null;
  }

  private mapGuest(): HostMm {
    const mm = new HostMm();
    for (const b of this.memory.blocks) {
      const populated = this.spec.guest.prealloc ?? false;
      mm.mmap({ startPage: b.hva / PAGE, pages: b.bytes / PAGE, backing: b.backing, seed: b.seed, shared: b.shared, meanRun: b.meanRun, populated }, `guest.${b.name}`);
    }
    // QEMU zeroes its shadow vrings and CVQ buffers when it allocates them: populated.
    const pages = (this.cvqHva - this.svqHva + 2 * CVQ_BUFFER) / PAGE;
    mm.mmap({ startPage: this.svqHva / PAGE, pages, backing: '4k', seed: this.spec.guest.seed, shared: this.spec.guest.shared, meanRun: 1, populated: true }, 'guest.svq-buffers');
    return mm;
  }

  /** The shadow CVQ buffers follow the shadow vring areas of every VQ in the SVQ block. */
  private get cvqHva(): number {
    return this.svqHva + (2 * this.spec.devices.queuePairs + 1) * (SVQ_DRIVER_AREA + SVQ_DEVICE_AREA);
  }

  /** What the listener should have mapped now for one device. */
  private desiredItems(): MapItem[] {
    const items: MapItem[] = [];
    const tree = new IovaTree(PAGE, Number.MAX_SAFE_INTEGER);
    for (const s of this.memory.sections) {
      items.push({ name: s.name, asid: 0, iova: this.svq ? tree.alloc(s.bytes) : s.gpa, bytes: s.bytes, hva: s.hva, perm: VHOST_ACCESS_RW });
    }
    let hva = this.svqHva;
    if (this.svq) {
      const vqs = 2 * this.spec.devices.queuePairs;
      for (let q = 0; q < vqs; q++) {
        items.push({ name: `svq${q}.driver`, asid: 0, iova: tree.alloc(SVQ_DRIVER_AREA), bytes: SVQ_DRIVER_AREA, hva, perm: VHOST_ACCESS_RO });
        hva += SVQ_DRIVER_AREA;
        items.push({ name: `svq${q}.device`, asid: 0, iova: tree.alloc(SVQ_DEVICE_AREA), bytes: SVQ_DEVICE_AREA, hva, perm: VHOST_ACCESS_RW });
        hva += SVQ_DEVICE_AREA;
      }
    }
    if (this.cvqIsolated) {
      const cvqHva = this.cvqHva;
      const cvqTree = new IovaTree(PAGE, Number.MAX_SAFE_INTEGER);
      items.push({ name: 'cvq.out', asid: CVQ_ASID, iova: cvqTree.alloc(CVQ_BUFFER), bytes: CVQ_BUFFER, hva: cvqHva, perm: VHOST_ACCESS_RO });
      items.push({ name: 'cvq.status', asid: CVQ_ASID, iova: cvqTree.alloc(CVQ_BUFFER), bytes: CVQ_BUFFER, hva: cvqHva + CVQ_BUFFER, perm: VHOST_ACCESS_RW });
    }
    return items;
  }

  // ------------------------------------------------------------- steps

  private step(out: StepRecord[], kind: StepKind, body: () => void): void {
    const counters = this.recorder.measure(body);
    out.push({ kind, counters, translating: this.translating() });
  }

  /** Device 0's data ASID translates exactly what vhost maps (a cheap test: counts, no passthrough). */
  translating(): boolean {
    const dev = this.backends[0].dev;
    const vhost = dev.spaces.get(0);
    if (!vhost || vhost.count === 0) return false;
    const view = dev.parent.view(0);
    return !view.passthrough && view.tree.count === vhost.count;
  }

  /** Stop: SET_STATUS 0, the CVQ buffers unmapped (always), all RAM too under the workaround. */
  private stop(out: StepRecord[], bs: VdpaBackend[]): void {
    const running = bs.filter((b) => b.running);
    if (running.length === 0) return;
    this.step(out, 'reset', () => running.forEach((b) => b.reset()));
    this.step(out, 'unmap', () => {
      for (const b of running) b.unmap(this.flow.unmapOnStop ? b.mapped : b.mapped.filter((it) => it.asid === CVQ_ASID));
    });
  }

  /**
   * Start: isolate the CVQ, map what is missing (listener register), DRIVER_OK.
   * SET_GROUP_ASID comes before the maps, as QEMU's vhost_vdpa_net_cvq_start
   * sets the CVQ group's ASID before it maps the CVQ buffers (net/vhost-vdpa.c):
   * on 6.1 mlx5 a CVQ map made while the group is still on ASID 0 reaches no
   * table, and moving the group later does not copy it (parents/mlx5.ts).
   */
  private start(out: StepRecord[], bs: VdpaBackend[]): void {
    const stopped = bs.filter((b) => !b.running);
    if (stopped.length === 0) return;
    this.step(out, 'map', () => {
      for (const b of stopped) {
        if (this.cvqIsolated) b.setGroupAsid(CVQ_GROUP, CVQ_ASID);
        const have = new Set(b.mapped.map(key));
        b.map(this.desiredItems().filter((it) => !have.has(key(it))));
      }
    });
    this.step(out, 'start', () => {
      for (const b of stopped) b.start();
    });
  }

  /** Drops every mapping whose IOVA the next mode will not reuse (SVQ switch). */
  private unmapStale(out: StepRecord[]): void {
    this.step(out, 'unmap', () => {
      for (const b of this.backends) if (b.mapped.length) b.unmap();
    });
  }

  // ------------------------------------------------------------- events

  runEvent(name: EventName): EventRecord {
    const steps: StepRecord[] = [];
    const all = this.backends;
    switch (name) {
      case 'boot':
        this.step(steps, 'open', () => all.forEach((b) => b.open(this.flow.ackPersist)));
        this.start(steps, all);
        break;
      case 'guest-reset':
        this.start(steps, all.slice(1));
        this.stop(steps, [all[0]]);
        this.start(steps, [all[0]]);
        break;
      case 'reboot':
        this.stop(steps, all);
        this.start(steps, all);
        break;
      case 'migrate-svq':
        for (const toSvq of [true, false]) {
          this.stop(steps, all);
          this.unmapStale(steps);
          this.svq = toSvq;
          this.vmmCounters.svqSwitches += all.length;
          this.start(steps, all);
        }
        break;
      case 'stop-and-copy':
        this.stop(steps, all);
        break;
      case 'close':
        this.step(steps, 'close', () => all.forEach((b) => b.close()));
        break;
    }
    return { name, steps, viewProblems: name === 'close' ? [] : this.viewProblems() };
  }

  /** One reset cycle of device 0 (what `measured` times): stop, then start. */
  resetCycle(): void {
    const scratch: StepRecord[] = [];
    this.stop(scratch, [this.backends[0]]);
    this.start(scratch, [this.backends[0]]);
  }

  private viewProblems(): string[] {
    const out: string[] = [];
    for (const b of this.backends) {
      if (!b.running) continue;
      for (const asid of new Set(b.mapped.map((it) => it.asid))) {
        const state = viewState(b.dev, asid);
        if (state === 'consistent') continue;
        const n = b.dev.spaces.get(asid)?.count ?? 0;
        const view = b.dev.parent.view(asid);
        const device = view.passthrough ? 'identity (passthrough) only' : `${view.tree.count} entries`;
        out.push(`${b.name} ASID ${asid}: device view ${state} (vhost holds ${n} entries, the device translates ${device})`);
      }
    }
    return out;
  }

  /** Stops the pin shard helpers, if any (the host memory is done with). */
  dispose(): void {
    this.mm.pinShards?.close();
    this.mm.pinShards = undefined;
  }

  invariants(perPage = false): InvariantReport {
    return checkInvariants(this.mm, this.backends.map((b) => b.dev), { perPage });
  }

  /** Why RLIMIT_MEMLOCK makes every boot of this spec fail (below one map), or null. */
  static memlockProblem(spec: VmSpec): string | null {
    if (spec.memlockBytes === null || spec.devices.useVa) return null;
    const largest = Math.max(...layoutGuest(spec.guest).sections.map((s) => s.bytes));
    if (spec.memlockBytes >= largest) return null;
    return `${spec.memlockBytes} bytes is below one map: the largest RAM section is ${largest} bytes, so every boot fails with ENOMEM`;
  }
}

const key = (it: MapItem) => `${it.asid}:${it.iova}:${it.bytes}:${it.hva}`;
