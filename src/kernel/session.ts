/**
 * A scripted device session: the lab's black-box interface to the kernel
 * model (`vdpa-lab exec`). One JSON object per line in, one answer per line
 * out. Malformed lines throw InputError (the CLI exits 2); kernel failures
 * are answers (ret -1, errno, cause). Which ops there are, what fields they
 * read and which kernel method each runs is the op table's (ops/).
 */
import { InputError } from '../errors.js';
import { parseJson } from '../json-file.js';
import { HostMm, physicalRuns } from '../host/index.js';
import { dumpDevice } from './dump.js';
import { checkInvariants } from './invariants.js';
import type { ParentKind } from './parents/index.js';
import { FieldReader, type Line } from './script-fields.js';
import { VhostVdpa } from './vhost-vdpa.js';
import { deviceOp } from './ops/device-ops.js';
import type { DeviceOpName } from './ops/op-call.js';
import { fieldsOf, isScriptOp, isSessionOp, SCRIPT_OPS, type SessionOpName } from './ops/op-table.js';
import { sendOp } from './ops/send-op.js';
import { pageRange, readMmap, readOpen } from './ops/session-lines.js';

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
    if (!isScriptOp(op)) throw new InputError(`line ${lineNo}: op`, `unknown op ${JSON.stringify(op)} (one of ${SCRIPT_OPS.join(', ')})`);
    r.onlyFields(op, ['op', ...fieldsOf(op)]);
    return isSessionOp(op) ? this.runSessionOp(op, r) : this.runDeviceOp(op, r);
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

  /** A device op: its line read by the table, its kernel method run through sendOp. */
  private runDeviceOp<K extends DeviceOpName>(op: K, r: FieldReader): Answer {
    const spec = deviceOp(op);
    let dev: VhostVdpa;
    let call;
    if (spec.argsFirst) {
      call = spec.read(r);
      dev = this.device(r);
    } else {
      dev = this.device(r);
      call = spec.read(r);
    }
    const sent = sendOp(dev, call);
    return { line: r.lineNo, op, ret: sent.ret, errno: sent.errno, cause: sent.cause, ...(spec.answersFaults ? { faults: sent.faults } : {}), ...sent.extra };
  }

  private runSessionOp(op: SessionOpName, r: FieldReader): Answer {
    switch (op) {
      case 'open':
        return this.open(r);
      case 'mmap': {
        const m = readMmap(r);
        this.mm.mmap(
          { startPage: Number(m.uaddr >> 12n), pages: Number(m.size >> 12n), backing: m.backing, seed: m.seed, shared: m.shared, meanRun: m.meanRun, populated: m.populate },
          `line ${r.lineNo}`,
        );
        return this.ok(r, op);
      }
      case 'munmap': {
        const { page, pages } = pageRange(r);
        const problem = this.mm.munmap(page, pages);
        if (problem) r.fail('uaddr', problem);
        return this.ok(r, op);
      }
      case 'layout': {
        // The probe answers no runs when no page is present; the model says the same.
        const { page, pages } = pageRange(r);
        const { runs, present } = physicalRuns(this.mm, page, pages);
        return this.ok(r, op, runs ? { runs, pages: present } : {});
      }
      case 'setrlimit': {
        const v = r.obj.memlock;
        if (v === 'unlimited') this.mm.memlockPages = Infinity;
        else this.mm.memlockPages = Number(r.u64('memlock') >> 12n); // PFN_DOWN(rlimit)
        return this.ok(r, op);
      }
      case 'dump':
        return this.ok(r, op, dumpDevice(this.device(r), this.mm));
      case 'check': {
        const report = checkInvariants(this.mm, [...this.devices.values()], { perPage: r.bool('perPage', true) });
        return this.ok(r, op, { ...report });
      }
    }
  }

  private open(r: FieldReader): Answer {
    const o = readOpen(r, this.overrides);
    const config = {
      parent: o.parent,
      variant: o.variant,
      kernel: o.kernel,
      useVa: o.useVa,
      nas: o.nas,
      ngroups: o.ngroups,
      ...(o.nvqs === undefined ? {} : { nvqs: o.nvqs }),
      iovaRange: o.iovaRange,
      // An open line's limit, else the kernel being played's, else this version's default.
      iotlbLimit: o.iotlbLimit ?? this.overrides.iotlbLimit ?? o.k.defaultIotlbLimit,
      // The parent module's own max_iotlb_entries; below 2 the parent makes no device (parent-limits.ts).
      ...(o.parentIotlbLimit === undefined ? {} : { parentIotlbLimit: o.parentIotlbLimit }),
    };
    // Only a well-formed line reaches the kernel: a busy name is the kernel's answer, bad fields are the script's error.
    const existing = this.devices.get(o.name);
    if (existing && !existing.closed) return { line: r.lineNo, op: 'open', ret: -1, errno: 'EBUSY', cause: 'EBUSY' };
    const dev = new VhostVdpa(config, this.mm);
    this.devices.set(o.name, dev);
    this.current = o.name;
    return this.ok(r, 'open', {
      device: o.name,
      parent: o.parent,
      kernel: o.kernel,
      release: o.k.release,
      useVa: o.useVa,
      persistOffered: dev.persistOffered,
      iotlbLimit: dev.config.iotlbLimit ?? null,
      parentIotlbLimit: dev.parentIotlbLimit ?? null,
    });
  }
}
