/**
 * Who answers a script: the kernel model, a real vhost-vdpa device on this
 * host, or a real Debian kernel booted under QEMU. Every command that sends
 * ops somewhere (exec, run --backend, replay --backend, bench kernel) takes
 * a Backend from createBackend (create.ts) and never asks which kind it is:
 * what differs is in its capabilities and its facts.
 */
import type { Backing } from '../host/index.js';
import type { KernelGeneration, ParentKind, SessionOverrides } from '../kernel/index.js';
import type { BackendAnswer } from '../real/model-run.js';
import type { ScriptPlan } from '../real/script-plan.js';

/** What a real kernel is, before it runs: the model is asked the same questions under these facts. */
export interface KernelFacts {
  /** `uname -r`. */
  release: string;
  generation: KernelGeneration;
  /** vdpa_sim's use_va default: true where the module has use_va (6.7+), false on 6.1 (PA only). */
  vaDefault: boolean;
  /** vhost_vdpa.max_iotlb_entries's default, when the module enforces one. */
  iotlbLimit?: number;
}

/** What a backend can answer and hold. */
export interface BackendCapabilities {
  /** Its answers carry real time (`ns` in the kernel's syscalls) and VmPin: a real kernel, not the model. */
  real: boolean;
  /** The lab's own view of a device (`dump`'s entries, `check`'s invariants): the model only. */
  dump: boolean;
  check: boolean;
  /** Parents it has: a VM loads vdpa_sim, and VDUSE where its kernel has it; a device is whatever it is. */
  parents: readonly ParentKind[];
  /** Why it lacks a parent, where it can say (the kernel and the missing module): one line for the user. */
  missingParents?: Partial<Record<ParentKind, string>>;
  /** Guest memory backings it can map. */
  backings: readonly Backing[];
  /**
   * Huge pages come from pools it sets up itself (a VM reserves what its scripts map on its kernel
   * command line; the model has no pools), rather than from this host's pools as they are (a device).
   */
  reservesHugePages: boolean;
  /** The virtqueues of its devices when they are fixed (vdpa_sim_net: 3), else undefined. */
  fixedVqs?: number;
}

/** One script to run; `plan` is given where the lab wrote the script from the model's own ops (no need to validate it again). */
export interface ScriptJob {
  name: string;
  text: string;
  plan?: ScriptPlan;
}

export interface ScriptRun {
  name: string;
  answers: BackendAnswer[];
  /** Set when the backend failed part-way through this script (the answers before it stand). */
  error?: string;
}

export interface BackendResult {
  /** The kernel that answered: `uname -r` for a real one, the model's kernel for the model. */
  kernel: string;
  /** kvm or tcg for a VM; none for the model or a device on this host. TCG figures are not native timings. */
  accel: 'kvm' | 'tcg' | 'none';
  /** A VM's guest clock when it was TCG's instruction counter (real/vm/qemu.ts VmClock); absent: the wall clock. */
  clock?: 'icount';
  scripts: ScriptRun[];
}

export interface Backend {
  /** `model`, `device:PATH`, `vm:KERNEL`. */
  readonly label: string;
  readonly capabilities: BackendCapabilities;
  /**
   * Gets ready and says what kernel it is: null for the model, which plays
   * whichever kernel a script names. Refuses (InputError) a backend that
   * cannot be used: an unprepared kernel, a path that is no vhost-vdpa device.
   */
  open(): Promise<KernelFacts | null>;
  /**
   * Runs every job (a VM boots once for all of them). Jobs without a plan are
   * validated on the model under `overrides` before any real kernel is touched.
   */
  run(jobs: ScriptJob[], overrides: SessionOverrides): Promise<BackendResult>;
  close(): Promise<void>;
}

/** How a backend runs: the options of the command that made it. */
export interface BackendOptions {
  accel?: 'auto' | 'kvm' | 'tcg';
  /** A VM's guest clock: wall (default) or icount (real/vm/qemu.ts). */
  clock?: 'wall' | 'icount';
  timeoutMs?: number;
  onProgress?: (line: string) => void;
}
