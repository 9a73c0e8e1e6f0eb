/**
 * The stream check (`vdpa-lab qemu check`): the model's message stream for
 * a QEMU release and the guest a real trace shows (traced-guest.ts), set
 * beside the trace's own, message by message (stream-rows.ts). Differences
 * that are expected are named (EXPECTED, plus the trace's timestamps,
 * pointers and fd numbers, which the comparison never reads); any other is
 * unexplained: a finding against the model, or a trace of another release.
 */
import { InputError, KernelError } from '../../errors.js';
import { QEMU_TABLE } from '../qemu-releases.js';
import { resolveQemu } from '../qemu-versions.js';
import { VirtualMachine, type VmSpec } from '../vm.js';
import type { EventName } from '../events.js';
import { describeRange } from './qemu-formats.js';
import { parseTrace } from './parse-trace.js';
import { rebuildStreams, type RebuiltTrace } from './rebuild-streams.js';
import { traceVm } from './model-trace.js';
import { tracedGuest, type TracedGuest } from './traced-guest.js';
import { STATUS } from '../../kernel/index.js';
import { featureLines, streamMessages, type StreamMessage } from './stream-messages.js';
import { compareMessages, EXPECTED, type ExpectedName, type HostBlocks, type StreamRow } from './stream-rows.js';

export type { StreamRow, Verdict } from './stream-rows.js';

export interface StreamCheckOptions {
  /** The QEMU release that wrote the trace (`10.0`, `11.1.3`...). */
  qemu: string;
  /** x-svq=on; absent: as the trace shows. */
  svq?: boolean;
  /** The host kernel the model plays (its offered backend features); default 6.12. */
  kernel?: string;
  /** Where the trace came from, for messages. */
  where?: string;
}

export interface ExpectedDifference {
  name: string;
  reason: string;
  /** Rows (or trace lines) it applies to. */
  count: number;
}

export interface UnexplainedDifference {
  /** Index into rows, or null for a difference of the whole trace. */
  row: number | null;
  realLine: number | null;
  what: string;
}

export interface StreamCheck {
  /** The release asked for, and the model's row it resolves to. */
  qemu: string;
  release: string;
  /** The releases whose trace formats fit the trace (`QEMU 7.2`, `QEMU 9.0 or later`). */
  traceFormat: string;
  guest: { sections: number; mappedBytes: number; starts: number; stops: number; svq: boolean[]; devices: number; queuePairs: number; cvqIsolated: boolean; events: EventName[] };
  rows: StreamRow[];
  expected: ExpectedDifference[];
  unexplained: UnexplainedDifference[];
}

/**
 * The events the model runs for the traced guest: a boot, then per further
 * start a stop and start (`migrate-svq` / `svq-cancel` where the shadowing
 * changed, else a `guest-reset`, or `reboot` with several fds or two virtio
 * resets after the stop), and the last stop if the trace has it.
 */
function eventsOf(g: TracedGuest, svq: boolean[]): EventName[] {
  if (g.starts === 0) return ['incoming'];
  const restart = (i: number): EventName => (g.devices > 1 || g.virtioResets[i] >= 2 ? 'reboot' : 'guest-reset');
  const events: EventName[] = ['boot'];
  for (let i = 1; i < g.starts; i++) events.push(svq[i] === svq[i - 1] ? restart(i) : svq[i] ? 'migrate-svq' : 'svq-cancel');
  if (g.stops >= g.starts) events.push(g.closed ? 'close' : 'stop-and-copy');
  return events;
}

function vmSpec(g: TracedGuest, release: string, svq: boolean, kernel: string): VmSpec {
  const ramBytes = g.layout.blocks.reduce((n, b) => n + b.bytes, 0);
  return {
    // The backing moves no message: THP keeps the model's pins cheap.
    guest: { ramBytes, backing: 'thp', meanRun: 1, seed: 1, dimms: [], shared: false, layout: g.layout },
    // vdpa_sim_net: two virtqueue groups (the CVQ in its own), PA mode, set_map; two address spaces
    // (vdpa_sim_net's own) when the trace puts the CVQ in one of its own, else one (a device without).
    devices: { parent: 'vdpa_sim', variant: 'set_map', useVa: false, count: g.devices, queuePairs: g.queuePairs, nas: g.cvqIsolated ? 2 : 1 },
    kernel,
    qemu: release,
    flow: 'workaround',
    memlockBytes: null,
    iotlbLimit: null,
    svq,
  };
}

/** Runs the model's VM for the guest and reads its stream back the way the real trace was read. */
function modelStream(spec: VmSpec, events: EventName[]): { rebuilt: RebuiltTrace; blocks: HostBlocks['model'] } {
  const vm = new VirtualMachine(spec);
  try {
    const text = traceVm(vm, () => events.forEach((e) => vm.runEvent(e)));
    const parsed = parseTrace(text, 'the model');
    return { rebuilt: rebuildStreams(parsed.events, 'the model'), blocks: vm.memory.blocks.map((b) => ({ hva: BigInt(b.hva), bytes: BigInt(b.bytes) })) };
  } finally {
    vm.dispose();
  }
}

/**
 * The last message of a closed trace when it is a second reset after the
 * last stop (a reset already followed the last DRIVER_OK, and no start came
 * since): the guest's own reset on its way down, after QEMU stopped the
 * device, as the 11.1.3 recording ends.
 */
function poweroffReset(msgs: readonly StreamMessage[]): StreamMessage | null {
  const last = msgs[msgs.length - 1];
  if (last?.kind !== 'reset') return null;
  const lastStart = msgs.findLastIndex((m) => m.kind === 'status' && m.status! & STATUS.DRIVER_OK);
  const stop = msgs.findIndex((m, j) => j > lastStart && m.kind === 'reset');
  return lastStart >= 0 && stop >= 0 && stop < msgs.length - 1 ? last : null;
}

export function checkStream(traceText: string, options: StreamCheckOptions): StreamCheck {
  const where = options.where ?? 'trace';
  const q = resolveQemu(options.qemu);
  const parsed = parseTrace(traceText, where);
  const real = rebuildStreams(parsed.events, where);
  const guest = tracedGuest(parsed.events, real);
  if (guest.layout.sections.length === 0) throw new InputError(where, 'no RAM section is mapped before the first DRIVER_OK (no vhost_vdpa_listener_region_add and no listener batch): there is no guest memory map to model');
  // --svq: x-svq=on, every start shadowed; else as the trace shows, start by start.
  const svq = options.svq ? guest.svq.map(() => true) : guest.svq;
  const events = eventsOf(guest, svq);
  const spec = vmSpec(guest, q.release, svq[0] ?? false, options.kernel ?? '6.12');
  const unexplained: StreamCheck['unexplained'] = [];
  const at = QEMU_TABLE.findIndex((r) => r.release === q.release);
  if (at < parsed.releases.from || at > parsed.releases.to) unexplained.push({ row: null, realLine: null, what: `trace format: its lines are ${describeRange(parsed.releases)}'s, not QEMU ${q.release}'s` });

  let model: ReturnType<typeof modelStream> | null = null;
  try {
    model = modelStream(spec, events);
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    unexplained.push({ row: null, realLine: null, what: `the model's VM failed where the real QEMU went on: ${e.message}` });
  }
  const blocks: HostBlocks = { model: model?.blocks ?? [], real: guest.blockHvas.map((hva, i) => ({ hva, bytes: BigInt(guest.layout.blocks[i].bytes) })) };
  const features = featureLines(traceText);
  const counts = new Map<ExpectedName, number>();
  const rows: StreamRow[] = [];
  real.devices.forEach((stream, i) => {
    const theirs = streamMessages(stream, features, real.devices.length === 1);
    const ours = model?.rebuilt.devices[i] ? streamMessages(model.rebuilt.devices[i], [], true) : [];
    // 10.1+: listener traffic before the first DRIVER_OK is the board and firmware changing the memory map (real), or the first start's map at init (model).
    const earlyListener = (xs: StreamMessage[]) => {
      const firstStart = xs.find((m) => m.kind === 'status' && m.status! & STATUS.DRIVER_OK)?.lineNo ?? Infinity;
      return (m: StreamMessage) => q.listenerAt === 'init' && m.lineNo < firstStart && (m.batched || m.kind === 'batch-begin' || m.kind === 'batch-end');
    };
    const [realEarly, modelEarly] = [earlyListener(theirs), earlyListener(ours)];
    const setFeatures = new Set(theirs.filter((m, j) => m.kind === 'features' && theirs[j + 1]?.kind === 'status' && theirs[j + 1].status! & STATUS.FEATURES_OK));
    const poweroff = q.virtioResetResets && guest.closed ? poweroffReset(theirs) : null;
    const realOnly = (r: StreamMessage): ExpectedName | null => {
      if (setFeatures.has(r)) return 'set-features-not-modeled';
      if (r === poweroff) return 'guest-poweroff-reset';
      return realEarly(r) ? 'memory-map-changes' : null;
    };
    rows.push(...compareMessages(i, ours, theirs, blocks, counts, realOnly, (m) => (modelEarly(m) ? 'memory-map-changes' : null)));
  });
  rows.forEach((r, i) => {
    if (r.verdict === 'unexplained') unexplained.push({ row: i, realLine: r.realLine, what: `${r.model ?? '(nothing)'} | ${r.real ?? '(nothing)'}: ${r.notes.join('; ')}` });
  });

  const expected: ExpectedDifference[] = [...counts].map(([name, count]) => ({ name, reason: EXPECTED[name], count }));
  expected.push({ name: 'pointers-and-fds', reason: "the vhost_dev / vhost_vdpa pointers and fd numbers a real QEMU prints are its own: streams are matched per fd, in the trace's order", count: real.devices.length });
  if (parsed.timestamps) expected.push({ name: 'timestamps', reason: "the line prefix (PID@SECONDS.MICROS: up to 10.0, qemu_log's ISO 8601 time from 10.2): time of a real run, TCG time when nested: order only, never compared", count: parsed.usedLines });
  return {
    qemu: options.qemu,
    release: q.release,
    traceFormat: parsed.formatLabel,
    guest: { sections: guest.layout.sections.length, mappedBytes: guest.layout.sections.reduce((n, s) => n + s.bytes, 0), starts: guest.starts, stops: guest.stops, svq, devices: guest.devices, queuePairs: guest.queuePairs, cvqIsolated: guest.cvqIsolated, events },
    rows,
    expected,
    unexplained,
  };
}
