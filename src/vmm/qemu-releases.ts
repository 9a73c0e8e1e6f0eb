/**
 * QEMU releases as data: one row per release the lab models, each behaviour
 * a named field, and BEHAVIOUR_SOURCES naming the QEMU commits behind each
 * field (qemu-versions.ts tells the story release by release). Everything
 * else derives from these rows: the release list the workload schema and
 * `replay` accept, how `8.2.1` or `10.2` resolve (resolveRelease), the trace
 * format ranges (trace/qemu-formats.ts), what an emitted trace prints, and
 * which traced releases ran the untraced CVQ probe. Adding a release is one
 * row (and its tests).
 */

/** What the VMM model and the trace grammar vary by QEMU release. */
export interface QemuBehaviours {
  /** Where the memory listener is registered: in the last device's dev_start, or at vhost_vdpa_init. */
  listenerAt: 'dev-start' | 'init';
  /** Where it is unregistered at a stop. */
  unregisterIn: 'dev-start' | 'reset-status' | 'reset-device';
  /** Acks VHOST_BACKEND_F_SUSPEND when offered and calls vhost_vdpa_suspend at every stop. */
  suspend: boolean;
  /** Acks IOTLB_ASID: with nas >= 2 the CVQ goes to ASID 1 behind a shadow virtqueue. */
  cvqAsid: boolean;
  /** Switches to shadow virtqueues when migration starts (and back on failure or cancel). */
  svqMigration: boolean;
  /** Runs vhost_vdpa_probe_cvq_isolation at net init (cvq-probe.ts); its answer decides the CVQ's ASID. */
  cvqProbe: boolean;
  /** net_vhost_vdpa_init blocks migration of a device with a CVQ (without x-svq): no switch to SVQ. */
  cvqMigrationBlocker: boolean;
  /**
   * Shadow vrings and CVQ buffers are fresh MAP_SHARED|MAP_ANONYMOUS mmaps,
   * not zeroed: shmem with nothing behind it, so their first pin faults every
   * page in. vhost_svq_start maps each ring at every start, vhost_svq_stop
   * munmaps it; the CVQ buffers are mapped once (net_vhost_vdpa_init) and
   * munmapped in vhost_vdpa_cleanup. Else qemu_memalign + memset: populated
   * private memory.
   */
  svqMmap: boolean;
  /**
   * The shadow virtqueues' IOVA tree is made once at net init and lives with
   * the netdev (else at each start, by the first data client). With the
   * listener registered at init and x-svq=on, the RAM sections then take
   * the tree's first IOVAs and the first start's shadow vrings and CVQ
   * buffers come after them (map-plan.ts).
   */
  iovaTreeAtInit: boolean;
  /**
   * virtio_reset (a guest's status write of 0, a system reset, the machine's
   * first reset at creation) resets the net device's vhost device too:
   * vhost_reset_device -> vhost_vdpa_reset_device, a SET_STATUS 0 after the
   * stop (and, 10.1+, the listener unregistered if still registered). The
   * next start's FEATURES_OK then lands on status 0 (0x8, then DRIVER_OK 0xc).
   */
  virtioResetResets: boolean;
  /** Trace: dma_map/unmap, listener_begin_batch/commit print `vdpa_shared:%p`, and vhost_vdpa_init a common dev (else `vdpa:%p`). */
  traceShared: boolean;
  /** Trace: dma_map/unmap print `asid: %u`. */
  traceAsid: boolean;
  /** Trace: vhost_vdpa_reset_device prints the status it set (else `dev: %p` only). */
  traceResetStatus: boolean;
  /** Trace: net's vhost_vdpa_set_address_space_id exists (the CVQ's group gets its ASID). */
  traceSetGroupAsid: boolean;
}

export type BehaviourName = keyof QemuBehaviours;

export interface QemuRow extends QemuBehaviours {
  /** `x.y`; a trailing `+` (last row only) stands for that release and every later one. */
  release: string;
  /** The QEMU functions this release's flow follows, for docs and notes. */
  follows: string;
}

/** Where each behaviour comes from: QEMU commit subjects, read in hw/virtio/vhost-vdpa.c, net/vhost-vdpa.c and the trace-events at each tag. */
export const BEHAVIOUR_SOURCES: Record<BehaviourName, string> = {
  listenerAt: '"vdpa: move memory listener register to vhost_vdpa_init" (494c50dcc099, Eugenio Pérez, posted by Jonah Palmer May 2025, first in 10.1; with "vdpa: add listener_registered" be2e5fbefa7c): vhost_vdpa_set_owner registers it right after SET_OWNER; before, the last device\'s vhost_vdpa_dev_start',
  unregisterIn: '7.2: vhost_vdpa_dev_start(dev, false); "vdpa: move vhost reset after get vring base" (c3716f260bff, 8.0): vhost_vdpa_reset_status; "vdpa: move memory listener register to vhost_vdpa_init" (10.1): vhost_vdpa_reset_device, after a successful SET_STATUS 0',
  suspend: 'series "Dynamically switch to vhost shadow virtqueues at vdpa net migration" (8.0): acks SUSPEND, vhost_vdpa_suspend (0bb302a9960a; a vhost_vdpa_reset_device when not acked)',
  cvqAsid: 'series "ASID support in vhost-vdpa net" (8.0): acks IOTLB_ASID; "vdpa: always start CVQ in SVQ mode if possible" (c1a1008685)',
  svqMigration: 'series "Dynamically switch to vhost shadow virtqueues at vdpa net migration" (8.0): vdpa_net_migration_state_notifier',
  cvqProbe: '"vdpa: move CVQ isolation check to net_init_vhost_vdpa" (152128d646, 8.1): probed once at net init instead of at every CVQ start',
  cvqMigrationBlocker: '"vdpa net: block migration if the device has CVQ" (9c363cf6d5, 8.0); "vdpa: remove net cvq migration blocker" (8134d12888, 8.2) lifts it',
  svqMmap: '"vdpa: map shadow vrings with MAP_SHARED" (June 2023 pull, 8.1)',
  iovaTreeAtInit: '"vdpa: move iova_tree allocation to net_vhost_vdpa_init" (a400720365ea, same series as the listener move, first in 10.1; read in Debian\'s 10.0.13 and 10.2.2 sources): net_vhost_vdpa_init makes v->shared->iova_tree, vhost_vdpa_cleanup frees it; before, vhost_vdpa_net_data_start_first made it and vhost_vdpa_net_client_stop freed it',
  virtioResetResets: '"virtio: Always reset vhost devices" (2688e8df60f5, Hanna Czenczek, merged Sep 2024 after 9.1.0, first in 9.2; with "virtio: Allow .get_vhost() without vhost_started" 00adced5c316): virtio_reset calls vhost_reset_device(k->get_vhost(vdev)) whenever the back-end is connected, no longer only while vhost_started (which the preceding virtio_set_status(vdev, 0) had always cleared); virtio-net\'s get_vhost is the first queue pair\'s vhost_dev (read in Debian\'s 10.0.13 and 10.2.2 hw/virtio/virtio.c and hw/net/virtio-net.c; 7.2.0 has no such call)',
  traceShared: 'the VhostVDPAShared series (9.0): the object shared by every vhost device of one fd',
  traceAsid: '"vdpa: add asid parameter to vhost_vdpa_dma_map/unmap" (8.0)',
  traceResetStatus: '"vdpa: Remove status in reset tracing" (July 2023, 8.1)',
  traceSetGroupAsid: 'net/trace-events vhost_vdpa_set_address_space_id, with the CVQ\'s ASID (series "ASID support in vhost-vdpa net", 8.0)',
};

const MODERN_FOLLOWS = 'vhost_vdpa_dev_start (register), vhost_vdpa_reset_status (reset, ACKNOWLEDGE|DRIVER, unregister), vhost_vdpa_suspend, vhost_vdpa_net_cvq_start, vhost_vdpa_svq_map_rings, vhost_vdpa_cvq_map_buf';
/** 8.2 to 10.0: every behaviour but the trace's vdpa_shared (9.0) and virtio_reset's vhost reset (9.2) is the same. */
const FROM_8_2 = { listenerAt: 'dev-start', unregisterIn: 'reset-status', suspend: true, cvqAsid: true, svqMigration: true, cvqProbe: true, cvqMigrationBlocker: false, svqMmap: true, iovaTreeAtInit: false, virtioResetResets: false, traceAsid: true, traceResetStatus: false, traceSetGroupAsid: true, follows: MODERN_FOLLOWS } as const;

/** One row per release, oldest first. */
export const QEMU_TABLE = [
  {
    release: '7.2', listenerAt: 'dev-start', unregisterIn: 'dev-start', suspend: false, cvqAsid: false, svqMigration: false, cvqProbe: false, cvqMigrationBlocker: false, svqMmap: false, iovaTreeAtInit: false, virtioResetResets: false,
    traceShared: false, traceAsid: false, traceResetStatus: true, traceSetGroupAsid: false,
    follows: 'vhost_vdpa_dev_start (register; on stop: vhost_vdpa_reset_device, ACKNOWLEDGE|DRIVER, unregister), vhost_vdpa_set_backend_cap (MSG_V2, BATCH)',
  },
  {
    release: '8.0', listenerAt: 'dev-start', unregisterIn: 'reset-status', suspend: true, cvqAsid: true, svqMigration: true, cvqProbe: false, cvqMigrationBlocker: true, svqMmap: false, iovaTreeAtInit: false, virtioResetResets: false,
    traceShared: false, traceAsid: true, traceResetStatus: true, traceSetGroupAsid: true, follows: MODERN_FOLLOWS,
  },
  {
    release: '8.1', listenerAt: 'dev-start', unregisterIn: 'reset-status', suspend: true, cvqAsid: true, svqMigration: true, cvqProbe: true, cvqMigrationBlocker: true, svqMmap: true, iovaTreeAtInit: false, virtioResetResets: false,
    traceShared: false, traceAsid: true, traceResetStatus: false, traceSetGroupAsid: true, follows: MODERN_FOLLOWS,
  },
  { release: '8.2', ...FROM_8_2, traceShared: false },
  { release: '9.0', ...FROM_8_2, traceShared: true },
  { release: '9.1', ...FROM_8_2, traceShared: true },
  { release: '9.2', ...FROM_8_2, traceShared: true, virtioResetResets: true },
  { release: '10.0', ...FROM_8_2, traceShared: true, virtioResetResets: true },
  {
    release: '10.1+', listenerAt: 'init', unregisterIn: 'reset-device', suspend: true, cvqAsid: true, svqMigration: true, cvqProbe: true, cvqMigrationBlocker: false, svqMmap: true, iovaTreeAtInit: true, virtioResetResets: true,
    traceShared: true, traceAsid: true, traceResetStatus: false, traceSetGroupAsid: true,
    follows: 'vhost_vdpa_set_owner (register right after SET_OWNER), vhost_vdpa_reset_device (unregister), vhost_vdpa_dev_start (register if !listener_registered), vhost_vdpa_suspend, vhost_vdpa_net_cvq_start, vhost_vdpa_svq_map_rings, vhost_vdpa_cvq_map_buf',
  },
] as const satisfies readonly QemuRow[];

export type QemuRelease = (typeof QEMU_TABLE)[number]['release'];

/** Every release the lab models, oldest first. */
export const QEMU_RELEASES: readonly QemuRelease[] = QEMU_TABLE.map((r) => r.release);

/** x.y (a patch level ignored) as [major, minor], or null. */
function majorMinor(name: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)(?:\.\d+)?\+?$/.exec(name);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/**
 * The row a release name resolves to in `table`: its own row, its x.y's
 * (`8.2.1` is 8.2), or the open last row (`10.1+`) for that release and any
 * later one; null when the table has none.
 */
export function resolveRelease<R extends QemuRow>(table: readonly R[], name: string): R | null {
  const exact = table.find((r) => r.release === name);
  if (exact) return exact;
  const v = majorMinor(name);
  if (!v || name.endsWith('+')) return null;
  const own = table.find((r) => r.release === `${v[0]}.${v[1]}`);
  if (own) return own;
  const open = table[table.length - 1];
  const from = open?.release.endsWith('+') ? majorMinor(open.release) : null;
  return from && (v[0] > from[0] || (v[0] === from[0] && v[1] >= from[1])) ? open : null;
}

/** How the table's releases are named to a user: the list, and what a later release resolves to. */
export function releasesHint(table: readonly QemuRow[]): string {
  const open = table[table.length - 1];
  const from = open?.release.endsWith('+') ? majorMinor(open.release) : null;
  return `one of ${table.map((r) => r.release).join(', ')}${from ? ` (a later release such as ${from[0]}.${from[1] + 1} is ${open.release})` : ''}`;
}

/** A contiguous run of releases, by index into the table (inclusive). */
export interface ReleaseRange {
  from: number;
  to: number;
}

/**
 * The releases of `table` whose row satisfies `has`, as one range. A format
 * or behaviour that comes and goes would not be one range: that is a table
 * error, thrown at load.
 */
export function rangeWhere(table: readonly QemuRow[], has: (r: QemuRow) => boolean, what: string): ReleaseRange {
  const at = table.map((r, i) => (has(r) ? i : -1)).filter((i) => i >= 0);
  if (at.length === 0 || at[at.length - 1] - at[0] !== at.length - 1) throw new Error(`QEMU table: ${what} holds for releases ${at.map((i) => table[i].release).join(', ') || 'none'}, not one contiguous run`);
  return { from: at[0], to: at[at.length - 1] };
}
