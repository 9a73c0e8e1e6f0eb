/**
 * `vdpa-lab replay`: a QEMU trace -> per-fd message streams -> the kernel
 * model, as traced and (with --what-if persist) with PERSIST acked. Each
 * (fd, flow) replay runs on a fresh host mm holding the regions the maps
 * point into, so the two flows never share pins.
 */
import { createHash } from 'node:crypto';
import type { CostProfile } from '../../cost/index.js';
import { HostMm, mmapProblem, type Backing, type PageStates } from '../../host/index.js';
import { InputError } from '../../errors.js';
import { hex } from '../../iotlb/index.js';
import { DEFAULT_NVQS, deviceShape, type KernelGeneration, type ParentKind, type VhostVdpa } from '../../kernel/index.js';
import { parseTrace, queuePairsOf, rebuildStreams, tracedReleasesProbe, withCvqProbe, type DeviceStream, type InferredRegion, type ParsedTrace } from '../../vmm/trace/index.js';
import { dropPersistedRemaps } from './persist-what-if.js';
import { replayDevice, type DeviceReplay } from './replay-device.js';
import { ringDrops, shadowRegions } from './fresh-shadow.js';

export interface ReplayOptions {
  kernel: KernelGeneration;
  parent: ParentKind;
  backing: Backing;
  /** Whether --backing was given (the output says which default was taken otherwise). */
  backingGiven: boolean;
  /** 4k backing: mean physically contiguous run, pages. */
  meanRun?: number;
  iotlbLimit?: number;
  /** vdpa_sim's batch_mapping (a module parameter: not in a trace); default set_map. */
  variant?: 'set_map' | 'dma_map';
  /** Guest RAM preallocated before the trace began (QEMU prealloc=on); default false, QEMU's default: first pins fault. */
  prealloc?: boolean;
  whatIfPersist: boolean;
  profileName: string;
  profile: CostProfile;
  profileHash: string;
  /** Sees each (fd, flow) replay's device and host memory before the first op. */
  onDevice?: (fd: number, flow: 'workaround' | 'persist', dev: VhostVdpa, mm: HostMm) => void;
}

/**
 * QEMU's default guest RAM (memory-backend-ram, no -mem-path) is anonymous
 * memory that QEMU madvises MADV_HUGEPAGE (qemu_ram_mmap / ram_block_add),
 * so on a host with THP enabled it is THP-backed where the host has free
 * 2 MiB blocks; how fragmented the host was is not in a trace.
 */
export const DEFAULT_BACKING: Backing = 'thp';
export const DEFAULT_BACKING_REASON = "QEMU's default RAM is anonymous memory madvised MADV_HUGEPAGE; the trace holds no backing or host fragmentation";

export interface FlowReplay {
  flow: 'workaround' | 'persist';
  replay: DeviceReplay;
  /** persist only: INVALIDATE/UPDATE pairs dropped per reset, and every dropped line. */
  pairsDroppedPerReset?: number[];
  droppedLines?: number[];
}

export interface DeviceResult {
  stream: DeviceStream;
  flows: FlowReplay[];
}

export interface ReplayOutcome {
  source: string;
  sha256: string;
  trace: Omit<ParsedTrace, 'events'>;
  regions: InferredRegion[];
  unattributedLines: number[];
  options: ReplayOptions;
  devices: DeviceResult[];
  /** QEMU 8.1+'s untraced CVQ isolation probe was put back into each fd's stream. */
  cvqProbe: boolean;
  wallNs: number;
}

export function replayTrace(text: string, source: string, opts: ReplayOptions): ReplayOutcome {
  const t0 = process.hrtime.bigint();
  const parsed = parseTrace(text, source);
  const rebuilt = rebuildStreams(parsed.events, source);
  refuseUnmodelable(rebuilt.regions, opts, source);
  const { events: _events, ...trace } = parsed;
  // Every fd of a trace is one QEMU's: a page the first fd's pins faulted in is there for the next fd's (per flow).
  const ram = { workaround: [] as PageStates[], persist: [] as PageStates[] };
  const probes = tracedReleasesProbe(parsed.releases);
  // The same releases (8.1+) mmap their shadow vrings and CVQ buffers fresh (fresh-shadow.ts).
  const shadow = probes ? shadowRegions(rebuilt.devices.map((d) => d.ops), rebuilt.regions, SMALL_REGION_BYTES) : new Set<number>();
  const devices = rebuilt.devices.map((stream): DeviceResult => {
    // QEMU 8.1+'s untraced CVQ isolation probe, put back where QEMU ran it (vmm/trace/cvq-probe-ops.ts).
    const ops = probes ? withCvqProbe(stream.ops, queuePairsOf(stream, DEFAULT_NVQS[opts.parent])) : stream.ops;
    const flows: FlowReplay[] = [{ flow: 'workaround', replay: run(stream, ops, rebuilt.regions, opts, false, ram.workaround, shadow) }];

    if (opts.whatIfPersist) {
      const p = dropPersistedRemaps(ops);
      flows.push({ flow: 'persist', replay: run(stream, p.ops, rebuilt.regions, opts, true, ram.persist, shadow), pairsDroppedPerReset: p.pairsDroppedPerReset, droppedLines: p.droppedLines });
    }
    return { stream, flows };
  });
  return {
    source,
    sha256: createHash('sha256').update(text).digest('hex'),
    trace,
    regions: rebuilt.regions,
    unattributedLines: rebuilt.unattributedLines,
    options: opts,
    devices,
    cvqProbe: probes,
    wallNs: Number(process.hrtime.bigint() - t0),
  };
}

/** Smaller than one huge page: not a guest RAM block. */
const SMALL_REGION_BYTES = 2n ** 21n;

/** The backing a region is replayed with: small ones are 4k whatever the guest RAM's (see run). */
const backingOf = (r: InferredRegion, opts: ReplayOptions) => (r.bytes < SMALL_REGION_BYTES ? '4k' : opts.backing);

/** exec's rule for an mmap line (mmapProblem), at the map that made a region this big: bad input, before any table is allocated. */
function refuseUnmodelable(regions: InferredRegion[], opts: ReplayOptions, source: string): void {
  for (const r of regions) {
    const problem = mmapProblem(r.uaddr, r.bytes, backingOf(r, opts));
    if (problem) throw new InputError(`${source}: line ${r.endLine}: size`, `the guest memory its maps span (${r.bytes} bytes at uaddr ${hex(r.uaddr)}) cannot be modeled: ${problem}`);
  }
}

function run(stream: DeviceStream, ops: DeviceStream['ops'], regions: InferredRegion[], opts: ReplayOptions, ackPersist: boolean, ram: PageStates[], shadow: Set<number>): DeviceReplay {
  const mm = new HostMm();
  regions.forEach((r, i) => {
    // A region under 2 MiB is no guest RAM block: QEMU's shadow vrings and CVQ buffers, or a ROM (the
    // BIOS), small anonymous 4k pages, taken as populated whatever the guest RAM's prealloc: QEMU copies a
    // ROM image in, and 7.2-8.0 zero the buffers. 8.1+ mmaps its shadow memory MAP_SHARED|MAP_ANONYMOUS,
    // untouched (`shadow`): shmem with nothing behind it.
    const small = r.bytes < SMALL_REGION_BYTES;
    const fresh = shadow.has(i);
    const backing = backingOf(r, opts);
    const meanRun = small ? 1 : opts.backing === '4k' ? opts.meanRun : undefined;
    const populated = (small && !fresh) || (!small && (opts.prealloc ?? false));
    const region = mm.mmap({ startPage: Number(r.uaddr >> 12n), pages: Number(r.bytes >> 12n), backing, seed: i + 1, shared: fresh, meanRun, populated }, `line ${r.firstLine}`, ram[i]);
    ram[i] = region.frames;
  });
  return replayDevice(stream, ops, mm, {
    config: {
      parent: opts.parent,
      variant: opts.parent === 'vdpa_sim' ? (opts.variant ?? 'set_map') : undefined,
      kernel: opts.kernel,
      useVa: false,
      // vdpa_sim_net and mlx5_vdpa both have two address spaces and two VQ groups; a platform-IOMMU parent one of each.
      ...deviceShape(opts.parent, 2),
      // One vhost_vdpa_init per queue pair and one for the CVQ: their count gives the VQs; else the parent's own.
      ...(stream.devs.length > 1 ? { nvqs: 2 * queuePairsOf(stream, 0) + 1 } : {}),
      iotlbLimit: opts.iotlbLimit,
    },
    ackPersist,
    profile: opts.profile,
    drops: shadow.size ? ringDrops(ops) : undefined,
    onDevice: opts.onDevice ? (dev) => opts.onDevice!(stream.fd, ackPersist ? 'persist' : 'workaround', dev, mm) : undefined,
  });
}
