/**
 * A cell's REAL figures (`run --backend vm:KERNEL | device:PATH`): the type
 * every producer and reader uses, and the schema a results file's `real`
 * fields are checked against when it is read (results@3). Real figures are
 * measured on a real kernel; they never share a field with modeled ones.
 */
import { lazySchema, z } from '../lazy-zod.js';

/** The phases a real cell's time is split into (record-ops.ts phaseOf assigns each script line one). */
export const REAL_PHASES = ['map', 'unmap', 'reset', 'other'] as const;
export type RealPhaseNs = Record<(typeof REAL_PHASES)[number], number>;

export interface RealEvent {
  name: string;
  ns: RealPhaseNs;
  totalNs: number;
  /** VmPin after the event, pages. */
  pinnedVm: number;
}

export type RealAccel = 'kvm' | 'tcg' | 'none';

/**
 * The clock a VM's probe timed the syscalls by. `wall` (absent in a file):
 * the guest's clock follows the host's, so a time is what the shared host
 * gave TCG then. `icount`: TCG's instruction counter, one nanosecond per
 * guest instruction, the same on every run whatever the host's load
 * (real/vm/qemu.ts). Two kinds of real figure: never fitted or checked together.
 */
export type RealClock = 'wall' | 'icount';

/** A record's clock: absent is wall (every file before icount existed). */
export function clockOf(r: { clock?: RealClock }): RealClock {
  return r.clock ?? 'wall';
}

/** A cell that ran on the real kernel. */
export interface RealFigures {
  backend: string;
  /** `uname -r` of the kernel that answered. */
  kernel: string;
  /** kvm or tcg for a VM; none for a device on this host. TCG figures are not native timings. */
  accel: RealAccel;
  /** Set to icount when the VM's clock was TCG's instruction counter; absent: the wall clock (clockOf). */
  clock?: RealClock;
  /** agree: every answer was the model's; diverged: `reason` names the first line that was not; failed: the run broke. */
  status: 'agree' | 'diverged' | 'failed';
  reason: string | null;
  events: RealEvent[];
  /** Reset cycles of device 0 repeated after the events (stop + start: the cost of one reset). */
  resetCycleNs: { median: number; samples: number[] } | null;
  /** Mean over the cell's reset events (guest-reset, reboot), like modeled.perResetNs. */
  perResetNs: number | null;
  /**
   * The real host's physical layout of the guest's memory, as the probe read
   * it from /proc/self/pagemap: physically contiguous runs (one IOTLB entry
   * each in a PA map) and their mean length. Absent where PFNs are hidden.
   */
  layout?: { pages: number; runs: number; meanRun: number };
}

/** A cell the real backend cannot hold (another parent, a guest too big for the host...): `reason` says why. */
export interface RealNotRun {
  status: 'n/a';
  reason: string;
}

export type RealResult = RealFigures | RealNotRun;

/** What answered a `run --backend`, in the results file's provenance. */
export interface RealProvenance {
  /** As given: `vm:6.12`, `device:/dev/vhost-vdpa-0`. */
  backend: string;
  kernel: string;
  accel: RealAccel;
  /** Set to icount with `--clock icount`; absent: the wall clock (clockOf). */
  clock?: RealClock;
  /** Reset cycles repeated per cell (--real-cycles). */
  cycles: number;
}

/** A time or a count measured on the real kernel: never negative (as results-file.ts's figures). */
const figure = lazySchema(() => z.number().nonnegative());
const accel = lazySchema(() => z.enum(['kvm', 'tcg', 'none']));
const clock = lazySchema(() => z.enum(['wall', 'icount']).optional());

const realEventSchema = lazySchema(() =>
  z.object({
    name: z.string(),
    ns: z.record(z.enum(REAL_PHASES), figure),
    totalNs: figure,
    pinnedVm: figure,
  }) satisfies z.ZodType<RealEvent>,
);

const realFiguresSchema = lazySchema(() =>
  z.object({
    backend: z.string(),
    kernel: z.string(),
    accel,
    clock,
    status: z.enum(['agree', 'diverged', 'failed']),
    reason: z.string().nullable(),
    events: z.array(realEventSchema),
    resetCycleNs: z.object({ median: figure, samples: z.array(figure) }).nullable(),
    perResetNs: figure.nullable(),
    layout: z.object({ pages: figure, runs: figure, meanRun: figure }).optional(),
  }) satisfies z.ZodType<RealFigures>,
);

const realNotRunSchema = lazySchema(() => z.object({ status: z.literal('n/a'), reason: z.string() }) satisfies z.ZodType<RealNotRun>);

/** A cell's `real` field: figures, or n/a and why (keyed by status, so an error names the field that is wrong). */
export const realResultSchema = lazySchema(() => z.discriminatedUnion('status', [realFiguresSchema, realNotRunSchema]) satisfies z.ZodType<RealResult>);

export const realProvenanceSchema = lazySchema(() => z.object({ backend: z.string(), kernel: z.string(), accel, clock, cycles: z.number().int().positive() }) satisfies z.ZodType<RealProvenance>);

/** A real run that ran and did not agree with the model (a finding `run` exits 1 for). */
export function realDiverged(r: RealResult | undefined): boolean {
  return r !== undefined && r.status !== 'n/a' && r.status !== 'agree';
}
