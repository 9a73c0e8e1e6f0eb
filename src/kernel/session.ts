/**
 * A scripted device session: the lab's black-box interface to the kernel
 * model (`vdpa-lab exec`). One JSON object per line in, one answer per line
 * out. Malformed lines throw InputError (the CLI exits 2); kernel failures
 * are answers (ret -1, errno, cause).
 */
import { InputError } from '../errors.js';
import { parseJson } from '../json-file.js';
import { hex, U64_MAX } from '../iotlb/index.js';
import { BACKINGS, HostMm, mmapProblem, type Backing } from '../host/index.js';
import { dumpDevice } from './dump.js';
import { checkInvariants } from './invariants.js';
import { PARENT_KINDS, type ParentKind } from './parents/index.js';
import { kernelLabel, resolveKernel, type KernelBehaviour } from './versions.js';
import { MIN_PARENT_IOTLB_ENTRIES } from './parent-limits.js';
import { FieldReader, type Line } from './script-fields.js';
import { BACKEND_FEATURES, featureBit, featureNames, STATUS, VHOST_IOTLB_BATCH_BEGIN, VHOST_IOTLB_BATCH_END, VHOST_IOTLB_INVALIDATE, VHOST_IOTLB_MSG_V2, VHOST_IOTLB_UPDATE, type BackendFeature } from './uapi.js';
import { VhostVdpa, type OpResult } from './vhost-vdpa.js';

export const SCRIPT_OPS = [
  'open', 'mmap', 'setrlimit', 'set_owner', 'get_backend_features', 'set_backend_features',
  'update', 'invalidate', 'batch_begin', 'batch_end', 'iotlb', 'set_status', 'set_group_asid',
  'get_iova_range', 'suspend', 'resume', 'set_features', 'get_vring_group', 'close', 'dump', 'check', 'munmap',
] as const;
export type ScriptOp = (typeof SCRIPT_OPS)[number];

const MSG_FIELDS = ['device', 'msgType', 'asid', 'iova', 'size', 'uaddr', 'perm'] as const;

/**
 * The fields each op reads; any other is refused. The probe (native/) reads
 * the same scripts: `path` (open) and `populate` (mmap) are its own fields,
 * accepted here (type-checked) so one script serves both; the probe in turn
 * ignores the model-only ones (seed, meanRun, nas, ngroups, nvqs, iovaRange).
 */
export const SCRIPT_FIELDS: Record<ScriptOp, readonly string[]> = {
  open: ['device', 'parent', 'kernel', 'useVa', 'variant', 'nas', 'ngroups', 'nvqs', 'iovaRange', 'iotlbLimit', 'parentIotlbLimit', 'path'],
  mmap: ['uaddr', 'size', 'backing', 'seed', 'shared', 'meanRun', 'populate'],
  setrlimit: ['memlock'],
  set_owner: ['device'],
  get_backend_features: ['device'],
  set_backend_features: ['device', 'features'],
  update: MSG_FIELDS,
  invalidate: MSG_FIELDS,
  batch_begin: MSG_FIELDS,
  batch_end: MSG_FIELDS,
  iotlb: [...MSG_FIELDS, 'type'],
  set_status: ['device', 'status'],
  set_group_asid: ['device', 'group', 'asid'],
  get_iova_range: ['device'],
  suspend: ['device'],
  resume: ['device'],
  set_features: ['device', 'features'],
  get_vring_group: ['device', 'index'],
  close: ['device'],
  dump: ['device'],
  check: ['perPage'],
  munmap: ['uaddr', 'size'],
};

export interface SessionOverrides {
  /** A kernel version (`6.12.117`) or an old alias (`legacy`, `reset-map`): versions.ts. */
  kernel?: string;
  parent?: ParentKind;
  /**
   * The entry limit of an open line that sets none: the default of the kernel
   * being played (a real kernel's vhost_vdpa.max_iotlb_entries), not an override.
   */
  iotlbLimit?: number;
}

export type Answer = Record<string, unknown> & { line: number; op: string; ret: 0 | -1; errno: string | null; cause: string | null };

const FEATURE_NAMES = Object.keys(BACKEND_FEATURES) as BackendFeature[];
const STATUS_NAMES = Object.keys(STATUS) as (keyof typeof STATUS)[];
const DEFAULT_DEVICE = 'vdpa0';

/**
 * RLIMIT_MEMLOCK a process starts with: MLOCK_LIMIT, 8 MiB since v5.16
 * (include/uapi/linux/resource.h). vhost-vdpa's PA maps check it with no
 * CAP_IPC_LOCK bypass, so even root needs `setrlimit` for a larger guest
 * (QEMU's users raise it; libvirt does). Both real kernels refused a 64 MiB
 * map from a probe that had not raised it.
 */
export const DEFAULT_MEMLOCK_PAGES = (8 << 20) >> 12;

export class Session {
  readonly mm = new HostMm();
  private readonly devices = new Map<string, VhostVdpa>();
  private current: string | undefined;

  constructor(private readonly overrides: SessionOverrides = {}) {
    this.mm.memlockPages = DEFAULT_MEMLOCK_PAGES;
  }

  /** Parses and runs one script line. Blank lines and `#` comments answer nothing. */
  runLine(text: string, lineNo: number): Answer | undefined {
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return undefined;
    let obj: unknown;
    try {
      obj = parseJson(trimmed);
    } catch (e) {
      throw new InputError(`line ${lineNo}`, `not valid JSON (${(e as Error).message})`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new InputError(`line ${lineNo}`, 'must be a JSON object');
    const r = new FieldReader(lineNo, obj as Line);
    const op = (obj as Line).op;
    if (typeof op !== 'string' || !(SCRIPT_OPS as readonly string[]).includes(op)) {
      throw new InputError(`line ${lineNo}: op`, `unknown op ${JSON.stringify(op)} (one of ${SCRIPT_OPS.join(', ')})`);
    }
    r.onlyFields(op, ['op', ...SCRIPT_FIELDS[op as ScriptOp]]);
    return this.run(op as ScriptOp, r);
  }

  private answer(r: FieldReader, op: string, res: OpResult, extra: Record<string, unknown> = {}): Answer {
    return { line: r.lineNo, op, ret: res.ret, errno: res.errno, cause: res.cause, ...extra };
  }

  /** One IOTLB message write(); the answer says how many folios its pins faulted in, as the probe's does. */
  private written(r: FieldReader, op: string, type: number, withMap: boolean): Answer {
    const dev = this.device(r);
    const msg = this.msg(r, type, withMap);
    const before = dev.counters.faults;
    const res = dev.write(msg);
    return this.answer(r, op, res, { faults: dev.counters.faults - before });
  }

  private ok(r: FieldReader, op: string, extra: Record<string, unknown> = {}): Answer {
    return { line: r.lineNo, op, ret: 0, errno: null, cause: null, ...extra };
  }

  private device(r: FieldReader): VhostVdpa {
    const name = r.has('device') ? r.str('device') : this.current;
    const dev = name === undefined ? undefined : this.devices.get(name);
    if (!dev || dev.closed) r.fail('device', name === undefined ? 'no device is open (add an open line first)' : `device ${name} is not open`);
    return dev!;
  }

  private run(op: ScriptOp, r: FieldReader): Answer {
    switch (op) {
      case 'open':
        return this.open(r);
      case 'mmap': {
        const uaddr = r.u64('uaddr');
        const size = r.u64('size');
        if (uaddr & 0xfffn) r.fail('uaddr', 'must be page-aligned (4 KiB), as mmap returns');
        if (size === 0n || size & 0xfffn) r.fail('size', 'must be a non-zero multiple of 4 KiB');
        const backing = r.oneOf<Backing>('backing', BACKINGS, '4k');
        // Before the tables are allocated: a 32 TiB 4k region used to pass the 64 TiB check and die in the allocation.
        const tooBig = mmapProblem(uaddr, size, backing);
        if (tooBig) r.fail('size', tooBig);
        this.mm.mmap(
          {
            startPage: Number(uaddr >> 12n),
            pages: Number(size >> 12n),
            backing,
            seed: r.int('seed', 0, 2 ** 32 - 1, 1),
            shared: r.bool('shared', false),
            meanRun: r.has('meanRun') ? r.int('meanRun', 1, 512) : undefined,
            // As the probe (native/): populated unless the line says not, so a first pin faults only then.
            populated: r.bool('populate', true),
          },
          `line ${r.lineNo}`,
        );
        return this.ok(r, op);
      }
      case 'munmap': {
        const uaddr = r.u64('uaddr');
        const size = r.u64('size');
        if (uaddr & 0xfffn) r.fail('uaddr', 'must be page-aligned (4 KiB), as mmap returns');
        if (size === 0n || size & 0xfffn) r.fail('size', 'must be a non-zero multiple of 4 KiB');
        const problem = this.mm.munmap(Number(uaddr >> 12n), Number(size >> 12n));
        if (problem) r.fail('uaddr', problem);
        return this.ok(r, op);
      }
      case 'setrlimit': {
        const v = r.obj.memlock;
        if (v === 'unlimited') this.mm.memlockPages = Infinity;
        else this.mm.memlockPages = Number(r.u64('memlock') >> 12n); // PFN_DOWN(rlimit)
        return this.ok(r, op);
      }
      case 'set_owner':
        return this.answer(r, op, this.device(r).setOwner());
      case 'get_backend_features': {
        const bits = this.device(r).getBackendFeatures();
        return this.ok(r, op, { features: featureNames(bits), bits: hex(bits) });
      }
      case 'set_backend_features': {
        const names = r.stringList<BackendFeature>('features', FEATURE_NAMES);
        const bits = names.reduce((b, n) => b | featureBit(n), 0n);
        return this.answer(r, op, this.device(r).setBackendFeatures(bits));
      }
      case 'update':
        return this.written(r, op, VHOST_IOTLB_UPDATE, true);
      case 'invalidate':
        return this.written(r, op, VHOST_IOTLB_INVALIDATE, false);
      case 'batch_begin':
        return this.written(r, op, VHOST_IOTLB_BATCH_BEGIN, false);
      case 'batch_end':
        return this.written(r, op, VHOST_IOTLB_BATCH_END, false);
      case 'iotlb':
        // A raw message: any iotlb type number, for the error paths.
        return this.written(r, op, r.int('type', 0, 255), r.has('uaddr'));
      case 'set_status': {
        const v = r.obj.status;
        const status = Array.isArray(v) ? r.stringList('status', STATUS_NAMES).reduce((s, n) => s | STATUS[n], 0) : r.int('status', 0, 255);
        return this.answer(r, op, this.device(r).setStatus(status));
      }
      case 'set_group_asid':
        return this.answer(r, op, this.device(r).setGroupAsid(r.int('group', 0, 2 ** 32 - 1), r.int('asid', 0, 2 ** 32 - 1)));
      case 'get_iova_range': {
        const range = this.device(r).getIovaRange();
        return this.ok(r, op, { first: hex(range.first), last: hex(range.last) });
      }
      case 'suspend':
        return this.answer(r, op, this.device(r).suspend());
      case 'resume':
        return this.answer(r, op, this.device(r).resume());
      case 'set_features':
        // Virtio device features as one 64-bit value ("0x300020020"): VHOST_SET_FEATURES takes a __u64.
        return this.answer(r, op, this.device(r).setFeatures(r.u64('features')));
      case 'get_vring_group': {
        const res = this.device(r).getVringGroup(r.int('index', 0, 2 ** 32 - 1));
        return this.answer(r, op, res, res.group === undefined ? {} : { group: res.group });
      }
      case 'close': {
        const dev = this.device(r);
        const res = dev.close();
        return this.answer(r, op, res, { pinnedVm: this.mm.pinnedVm });
      }
      case 'dump':
        return this.ok(r, op, dumpDevice(this.device(r), this.mm));
      case 'check': {
        const report = checkInvariants(this.mm, [...this.devices.values()], { perPage: r.bool('perPage', true) });
        return this.ok(r, op, { ...report });
      }
    }
  }

  private msg(r: FieldReader, type: number, withMap: boolean) {
    return {
      msgType: r.int('msgType', 0, 255, VHOST_IOTLB_MSG_V2),
      type,
      asid: r.int('asid', 0, 2 ** 32 - 1, 0),
      iova: r.u64('iova', 0n),
      size: r.u64('size', 0n),
      uaddr: withMap ? r.u64('uaddr') : r.u64('uaddr', 0n),
      perm: withMap ? r.perm() : r.has('perm') ? r.perm() : 0,
    };
  }

  private open(r: FieldReader): Answer {
    const name = r.has('device') ? r.str('device') : DEFAULT_DEVICE;
    if (r.has('path')) r.str('path'); // the probe's (native/): which /dev/vhost-vdpa-N to open
    // Read even when overridden, so a mistyped field is refused rather than ignored.
    const scriptParent = r.has('parent') ? r.oneOf<ParentKind>('parent', PARENT_KINDS) : undefined;
    const parent = this.overrides.parent ?? scriptParent ?? r.oneOf<ParentKind>('parent', PARENT_KINDS);
    const scriptKernel = r.has('kernel') ? r.str('kernel') : undefined;
    const kernel = this.overrides.kernel ?? scriptKernel ?? r.fail('kernel', 'required: a kernel version as uname -r names it (6.1.192, 6.12.117, mainline) or legacy / reset-map');
    let k: KernelBehaviour;
    try {
      k = resolveKernel(kernel);
    } catch (e) {
      if (e instanceof InputError) r.fail('kernel', e.reason);
      throw e;
    }
    const vaDefault = parent === 'vduse' || (parent === 'vdpa_sim' && k.vdpaSimUseVa);
    const useVa = r.bool('useVa', vaDefault);
    if (useVa && (parent === 'mlx5' || parent === 'platform-iommu')) r.fail('useVa', `${parent} maps physical addresses only (use_va=false)`);
    if (useVa && parent === 'vdpa_sim' && !k.vdpaSimUseVa) r.fail('useVa', `vdpa_sim on ${k.name === 'legacy' ? 'legacy kernels (v6.1)' : kernelLabel(k)} has no use_va (it came in v6.4)`);
    if (!useVa && parent === 'vduse') r.fail('useVa', 'VDUSE always maps user virtual addresses (use_va=true)');
    const variant = r.has('variant') ? r.oneOf('variant', ['set_map', 'dma_map'] as const) : undefined;
    if (variant && parent !== 'vdpa_sim') r.fail('variant', 'only vdpa_sim has the batch_mapping variants');
    let first = 0n;
    let last = U64_MAX;
    // null is not "absent": a range that is not an object is refused, as is one with fields other than first and last.
    if (r.has('iovaRange')) {
      const rr = r.object('iovaRange');
      rr.onlyFields('iovaRange', ['first', 'last']);
      first = rr.u64('first', 0n);
      last = rr.u64('last', U64_MAX);
      if (last < first) r.fail('iovaRange', 'last must be >= first');
    }
    const rawParentLimit = r.has('parentIotlbLimit') ? r.int('parentIotlbLimit', 0, 2 ** 31 - 1) : undefined;
    if (rawParentLimit !== undefined && rawParentLimit < MIN_PARENT_IOTLB_ENTRIES) {
      r.fail('parentIotlbLimit', `${rawParentLimit} is fewer than ${MIN_PARENT_IOTLB_ENTRIES}: the parent makes no device then (vdpasim_create, _mlx5_vdpa_create_mr; the identity map takes two entries)`);
    }
    const config = {
      parent,
      variant,
      kernel,
      useVa,
      nas: r.int('nas', 1, 64, 2),
      ngroups: r.int('ngroups', 1, 64, 2),
      ...(r.has('nvqs') ? { nvqs: r.int('nvqs', 1, 65535) } : {}),
      iovaRange: { first, last },
      // An open line's limit, else the kernel being played's, else this version's default.
      iotlbLimit: r.has('iotlbLimit') ? r.int('iotlbLimit', 0, 2 ** 31 - 1) : (this.overrides.iotlbLimit ?? k.defaultIotlbLimit),
      // The parent module's own max_iotlb_entries; below 2 the parent makes no device (parent-limits.ts).
      ...(rawParentLimit === undefined ? {} : { parentIotlbLimit: rawParentLimit }),
    };
    // Only a well-formed line reaches the kernel: a busy name is the kernel's answer, bad fields are the script's error.
    const existing = this.devices.get(name);
    if (existing && !existing.closed) return this.answer(r, 'open', { ret: -1, errno: 'EBUSY', cause: 'EBUSY' });
    const dev = new VhostVdpa(config, this.mm);
    this.devices.set(name, dev);
    this.current = name;
    return this.ok(r, 'open', { device: name, parent, kernel, release: k.release, useVa, persistOffered: dev.persistOffered, iotlbLimit: dev.config.iotlbLimit ?? null, parentIotlbLimit: dev.parentIotlbLimit ?? null });
  }
}
