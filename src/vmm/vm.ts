/**
 * A virtual machine as the lab runs it: guest memory on one HostMm, N
 * vhost-vdpa devices each with its own backend and listener, one reset flow,
 * and the events of a cell. Every event is recorded as steps with counter
 * deltas, plus any place where a running device's view disagrees with vhost.
 */
import { HostMm, PinShards } from '../host/index.js';
import { checkInvariants, defaultIovaRange, deviceShape, kernelLabel, STATUS, viewState, type InvariantReport, type ParentKind, type VdpaSimVariant } from '../kernel/index.js';
import { SVQ_EVENTS, type EventName } from './events.js';
import { FLOWS, type Flow, type FlowName } from './flows.js';
import { layoutGuest, PAGE, type GuestMemory, type GuestSpec } from './guest-memory.js';
import { initRam, planMaps, type MapPlan } from './map-plan.js';
import { DEFAULT_QEMU, resolveQemu, type QemuBehaviour } from './qemu-versions.js';
import { netDeviceFeatures, probeCvqIsolation } from './cvq-probe.js';
import { ShadowLayout } from './shadow-memory.js';
import { StepRecorder, type StepKind, type StepRecord } from './steps.js';
import { newVmmCounters, STATUS_ACK_DRIVER, VdpaBackend, type MapItem, type VmmCounters } from './vdpa-backend.js';

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
  /** A QEMU release (src/vmm/qemu-versions.ts); absent: DEFAULT_QEMU. */
  qemu?: string;
  flow: FlowName;
  /** RLIMIT_MEMLOCK in bytes; null: unlimited. */
  memlockBytes: number | null;
  /** Enforced vhost iotlb entry limit; null: mainline (unenforced). */
  iotlbLimit: number | null;
  /** Helper threads that pin large maps ahead (sharded pinning); absent or 1: none. */
  pinShards?: number;
  /** `-netdev vhost-vdpa,x-svq=on`: the data VQs are shadowed from the first start. */
  svq?: boolean;
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

export class VirtualMachine {
  readonly mm: HostMm;
  readonly memory: GuestMemory;
  readonly flow: Flow;
  readonly qemu: QemuBehaviour;
  readonly backends: VdpaBackend[] = [];
  readonly vmmCounters: VmmCounters = newVmmCounters();
  readonly recorder: StepRecorder;
  /** Data VQs use shadow virtqueues (IOVAs from the IOVA tree). */
  private svq: boolean;
  private readonly shadow: ShadowLayout;
  /** Sees each 8.1+ shadow ring area's munmap and fresh mmap at a stop (`run --backend` sends both to the real kernel). */
  onShadowRemap?: (hva: number, bytes: number) => void;
  /** The CVQ goes to ASID 1 at each start; 8.1+: only where the net-init probe found it isolated. */
  private cvqIsolated: boolean;

  constructor(readonly spec: VmSpec, mm?: HostMm) {
    this.flow = FLOWS[spec.flow];
    this.qemu = resolveQemu(spec.qemu ?? DEFAULT_QEMU);
    this.svq = spec.svq ?? false;
    this.memory = layoutGuest(spec.guest);
    // Shadow vrings and CVQ buffers: a small block per device after the guest's (shadow-memory.ts).
    const last = this.memory.blocks[this.memory.blocks.length - 1];
    this.shadow = new ShadowLayout(Math.ceil((last.hva + last.bytes) / 2 ** 30) * 2 ** 30 + 2 ** 30, spec.devices.queuePairs, spec.devices.count, spec.guest.seed);
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
        ...deviceShape(d.parent, d.nas),
        nvqs: 2 * d.queuePairs + 1,
        iovaRange: defaultIovaRange(d.parent),
        iotlbLimit: spec.iotlbLimit ?? undefined,
      };
      this.backends.push(new VdpaBackend(`vdpa${i}`, this.mm, config, this.vmmCounters, 2 * d.queuePairs + 1));
    }
    this.recorder = new StepRecorder(this.backends[0].dev.counters, this.vmmCounters);
    // vhost_vdpa_net_cvq_start (8.0+): with 2+ address spaces and .set_group_asid, the CVQ goes to ASID 1 behind a shadow virtqueue.
    // Not on VDUSE: an API v0 device puts every virtqueue in group 0 (vduse_get_vq_group, v7.0+), so QEMU never isolates its CVQ.
    this.cvqIsolated = this.qemu.cvqAsid && d.nas >= 2 && this.backends[0].dev.parent.hasSetGroupAsid && d.parent !== 'vduse';
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

  /** Why a QEMU release cannot run one of these events (the switch to SVQ needs 8.0+), or null. */
  static eventsProblem(qemu: string, events: readonly EventName[]): string | null {
    const q = resolveQemu(qemu);
    const svq = events.find((e) => SVQ_EVENTS.includes(e));
    if (svq && !q.svqMigration) return `QEMU ${q.release} has no ${svq}: it does not switch to shadow virtqueues at migration (vdpa_net_migration_state_notifier came in 8.0; a vhost-vdpa device blocks migration unless started with x-svq=on)`;
    if (svq && q.cvqMigrationBlocker) return `QEMU ${q.release} has no ${svq} for a device with a CVQ: net_vhost_vdpa_init blocks its migration ("net vdpa cannot migrate with CVQ feature"; lifted in 8.2), so the switch to shadow virtqueues never starts`;
    return null;
  }

  private mapGuest(): HostMm {
    const mm = new HostMm();
    for (const b of this.memory.blocks) {
      const populated = this.spec.guest.prealloc ?? false;
      mm.mmap({ startPage: b.hva / PAGE, pages: b.bytes / PAGE, backing: b.backing, seed: b.seed, shared: b.shared, meanRun: b.meanRun, populated }, `guest.${b.name}`);
    }
    // 7.2 and 8.0 zero their shadow memory (populated); 8.1+ mmaps each area fresh (shadow-memory.ts).
    this.shadow.mmapAll(mm, this.qemu.svqMmap, this.spec.guest.shared);
    return mm;
  }

  /** What device `device`'s start maps (map-plan.ts); a tree that still holds RAM (10.1+ x-svq=on, mapped at init) goes on after it. */
  private plan(device = 0): MapPlan {
    const held = this.svq && this.qemu.iovaTreeAtInit ? this.backends[device].mapped.filter((it) => it.kind === 'ram') : [];
    const iovaFrom = held.length ? Math.max(...held.map((it) => it.iova + it.bytes)) : undefined;
    // 8.2+ with shadow_data: the CVQ is shadowed whatever its isolation, its maps in ASID 0 (see cvqGoesToAsid1).
    const cvq = this.cvqIsolated || this.svq;
    return planMaps({ shadow: this.shadow, device, queuePairs: this.spec.devices.queuePairs, svq: this.svq, cvq, cvqAsid: this.cvqGoesToAsid1() ? CVQ_ASID : 0, sections: this.memory.sections, iovaFrom });
  }

  /**
   * vhost_vdpa_net_cvq_start (8.2+) sets the CVQ group's ASID only at a start
   * without shadow_data: with the data VQs shadowed it jumps to `out:` before
   * the isolation check and SET_GROUP_ASID, `address_space_id` still
   * VHOST_VDPA_GUEST_PA_ASID, so the CVQ's buffers and shadow vrings go to
   * ASID 0 with the data, and its stop unmaps them there. (8.0 and 8.1 never
   * get here: their CVQ migration blocker keeps `migrate-svq` n/a.)
   */
  private cvqGoesToAsid1(): boolean {
    return this.cvqIsolated && !this.svq;
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

  /** vhost_vdpa_reset_device: SET_STATUS 0; from 10.1 on it also unregisters the listener (unless the flow keeps it). */
  private resetDevice(out: StepRecord[], bs: VdpaBackend[]): void {
    this.step(out, 'reset', () => bs.forEach((b) => b.reset()));
    if (this.qemu.unregisterIn === 'reset-device') this.unregister(out, bs);
  }

  /**
   * virtio_reset of each device's virtio-net (9.2+, "virtio: Always reset
   * vhost devices"): after the stop, vhost_reset_device, i.e.
   * vhost_vdpa_reset_device on the device's first vhost_dev: SET_STATUS 0
   * (no ACKNOWLEDGE|DRIVER added back), and 10.1+ unregisters a listener
   * still registered (the one vhost_vdpa_init registered, at the machine's
   * first reset). Runs at every guest write of status 0 and every system
   * reset, the machine's first one included.
   */
  private virtioReset(out: StepRecord[], bs: VdpaBackend[]): void {
    if (this.qemu.virtioResetResets) this.resetDevice(out, bs);
  }

  /** The listener unregistered where the flow unmaps at a stop (the workaround); persist and naive keep it. */
  private unregister(out: StepRecord[], bs: VdpaBackend[]): void {
    const on = bs.filter((b) => b.listenerRegistered);
    if (this.flow.unmapOnStop && on.length) this.step(out, 'unmap', () => on.forEach((b) => b.unregister()));
  }

  /**
   * A device stop (vhost_net_stop): vhost_vdpa_suspend (8.0+: SUSPEND when
   * acked, else a reset), vhost_vdpa_svqs_stop (every shadow vring area
   * unmapped, one message each), the reset (7.2: in vhost_vdpa_dev_start;
   * 8.0+: vhost_vdpa_reset_status) with ACKNOWLEDGE|DRIVER added back and the
   * listener unregistered where the release does it, then
   * vhost_vdpa_net_cvq_stop (the CVQ buffers unmapped, one message each).
   */
  private stop(out: StepRecord[], bs: VdpaBackend[]): void {
    const running = bs.filter((b) => b.running);
    if (running.length === 0) return;
    if (this.qemu.suspend) {
      const suspends = running.filter((b) => b.suspendAcked);
      const refused = new Set<VdpaBackend>();
      if (suspends.length) this.step(out, 'reset', () => suspends.forEach((b) => b.suspend() || refused.add(b)));
      const fallback = running.filter((b) => !b.suspendAcked || refused.has(b));
      if (fallback.length) this.resetDevice(out, fallback);
    }
    const rings = (b: VdpaBackend) => b.mapped.filter((it) => it.kind === 'svq-ring' || it.kind === 'cvq-ring');
    const unmapped = running.flatMap(rings);
    // 8.1+: vhost_svq_stop munmaps each shadow vring area; the lab mmaps it fresh here too, at the same address (start counts it).
    if (unmapped.length)
      this.step(out, 'unmap', () => {
        running.forEach((b) => rings(b).forEach((it) => b.unmapOne(it)));
        if (this.qemu.svqMmap) unmapped.forEach((it) => this.remapShadow(it));
      });
    this.resetDevice(out, running);
    // A status write that raises bits: a start-kind step, as the probe times it (phase "other", not the reset).
    this.step(out, 'start', () => running.forEach((b) => b.addStatus(STATUS_ACK_DRIVER)));
    if (this.qemu.unregisterIn !== 'reset-device') this.unregister(out, running);
    const bufs = (b: VdpaBackend) => b.mapped.filter((it) => it.kind === 'cvq-buffer');
    if (running.some((b) => bufs(b).length)) this.step(out, 'unmap', () => running.forEach((b) => bufs(b).forEach((it) => b.unmapOne(it))));
  }

  /** munmap and a fresh mmap of one 8.1+ shadow ring area (the IOTLB unmap has unpinned it). */
  private remapShadow(it: MapItem): void {
    this.onShadowRemap?.(it.hva, it.bytes);
    this.shadow.remapArea(this.mm, it, this.vmmCounters);
  }

  /**
   * A device start (vhost_net_start): FEATURES_OK (vhost_vdpa_set_features of
   * the first device), each data device's shadow vrings when SVQ is on,
   * vhost_vdpa_net_cvq_start (SET_GROUP_ASID, then the two CVQ buffers; with
   * SVQ on neither the SET_GROUP_ASID nor ASID 1: cvqGoesToAsid1), the
   * CVQ device's shadow vrings, the last device's listener register (unless
   * still registered), DRIVER_OK. Every non-listener map is one unbatched
   * message.
   */
  private start(out: StepRecord[], bs: VdpaBackend[]): void {
    const stopped = bs.filter((b) => !b.running);
    if (stopped.length === 0) return;
    this.step(out, 'start', () => stopped.forEach((b) => b.addStatus(STATUS.FEATURES_OK)));
    this.step(out, 'map', () => {
      for (const b of stopped) {
        const plan = this.plan(this.backends.indexOf(b));
        // 8.1+: vhost_svq_start mmaps each shadow vring area fresh (driver, device) before mapping it (the lab did at the stop).
        if (this.qemu.svqMmap) this.vmmCounters.vmmMmaps += [...plan.dataRings, ...plan.cvq].filter((it) => it.kind !== 'cvq-buffer').length;
        plan.dataRings.forEach((it) => b.mapOne(it));
        if (this.cvqGoesToAsid1()) b.setGroupAsid(CVQ_GROUP, CVQ_ASID);
        plan.cvq.forEach((it) => b.mapOne(it));
        if (!b.listenerRegistered) b.register(plan.ram);
      }
    });
    this.step(out, 'start', () => stopped.forEach((b) => b.driverOk()));
  }

  /**
   * vhost_dev_init for every device. Up to 10.0: vhost_vdpa_init adds
   * ACKNOWLEDGE|DRIVER, then SET_OWNER, then the backend features. 10.1+:
   * vhost_vdpa_init sets the backend features first ("vdpa: set backend
   * capabilities at vhost_vdpa_init") and vhost_vdpa_set_owner registers
   * the listener right after SET_OWNER: all of RAM is mapped before
   * FEATURES_OK, at device creation (on a destination, before the downtime).
   * 8.1+: then each device's CVQ isolation probe (cvq-probe.ts), before the
   * RAM maps: the board adds RAM only after every netdev is created.
   */
  private open(out: StepRecord[]): void {
    const q = this.qemu;
    const cap = { ackPersist: this.flow.ackPersist, ackAsid: q.cvqAsid, ackSuspend: q.suspend };
    const features = netDeviceFeatures(this.spec.devices.queuePairs);
    this.step(out, 'open', () =>
      this.backends.forEach((b) => {
        if (q.listenerAt === 'init') b.setBackendCap(cap);
        b.addStatus(STATUS_ACK_DRIVER);
        b.setOwner();
        if (q.listenerAt !== 'init') b.setBackendCap(cap);
        // 8.1+: each netdev's CVQ client probes after its data clients' vhost_dev_init, before any RAM exists.
        if (q.cvqProbe && !probeCvqIsolation(b, features, this.spec.devices.queuePairs)) this.cvqIsolated = false;
      }),
    );
    if (q.listenerAt === 'init') {
      const ram = initRam(this.memory.sections, this.svq);
      this.step(out, 'map', () => this.backends.forEach((b) => b.register(ram)));
    }
  }

  /** The switch to or from shadow virtqueues: a stop, the listener re-registered with the new IOVAs even where the flow keeps it, a start. */
  private switchSvq(out: StepRecord[], toSvq: boolean): void {
    const all = this.backends;
    this.stop(out, all);
    const on = all.filter((b) => b.listenerRegistered);
    if (on.length) this.step(out, 'unmap', () => on.forEach((b) => b.unregister()));
    this.svq = toSvq;
    this.vmmCounters.svqSwitches += all.length;
    this.start(out, all);
  }

  // ------------------------------------------------------------- events

  runEvent(name: EventName): EventRecord {
    const steps: StepRecord[] = [];
    const all = this.backends;
    switch (name) {
      case 'boot':
        // qdev_machine_creation_done's qemu_system_reset, then the guest driver's probe (register_virtio_device resets the device first).
        this.open(steps);
        this.virtioReset(steps, all);
        this.virtioReset(steps, all);
        this.start(steps, all);
        break;
      case 'incoming':
        this.open(steps);
        break;
      case 'guest-reset':
        // The guest writes status 0: virtio_set_status stops vhost, then virtio_pci_reset -> virtio_reset.
        this.start(steps, all.slice(1));
        this.stop(steps, [all[0]]);
        this.virtioReset(steps, [all[0]]);
        this.start(steps, [all[0]]);
        break;
      case 'reboot':
        // qemu_system_reset: every device stopped and virtio_reset, then the rebooted guest's driver probe resets it again.
        this.stop(steps, all);
        this.virtioReset(steps, all);
        this.virtioReset(steps, all);
        this.start(steps, all);
        break;
      case 'migrate-svq':
        if (!this.svq) this.switchSvq(steps, true);
        break;
      case 'svq-cancel':
        if (this.svq) this.switchSvq(steps, false);
        break;
      case 'stop-and-copy':
        this.stop(steps, all);
        break;
      case 'resume':
        this.start(steps, all);
        break;
      case 'close':
        // QEMU quits: vm_shutdown stops every running device (vhost_net_stop), vhost_vdpa_cleanup unregisters a listener still registered, the fd closes.
        this.stop(steps, all);
        if (all.some((b) => b.listenerRegistered)) this.step(steps, 'unmap', () => all.forEach((b) => b.unregister()));
        this.step(steps, 'close', () => all.forEach((b) => b.close()));
        break;
    }
    return { name, steps, viewProblems: name === 'close' ? [] : this.viewProblems() };
  }

  /** One reset cycle of device 0 (what `measured` times): a guest reset's stop, virtio reset and start. */
  resetCycle(): void {
    const scratch: StepRecord[] = [];
    this.stop(scratch, [this.backends[0]]);
    this.virtioReset(scratch, [this.backends[0]]);
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

