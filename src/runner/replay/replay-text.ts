/** The table `vdpa-lab replay` prints by default. All figures are MODELED. */
import { PHASES } from '../../cost/index.js';
import { fmtDuration, textTable } from '../../text-format.js';
import type { FlowSummary, ReplaySummary, SegmentSummary, Totals } from './replay-summary.js';

const n = (x: number) => x.toLocaleString('en-US');
const mib = (b: number) => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(b % 2 ** 30 ? 2 : 0)} GiB` : b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(b % 2 ** 20 ? 2 : 0)} MiB` : `${b / 1024} KiB`);

const HEADER = ['segment', 'line', 'msgs', 'UPDATE', 'INVAL', 'batches', 'entries +/-', 'pinned', 'unpinned', ...PHASES, 'total', 'blackout', 'refused'];

function row(name: string, line: string, s: SegmentSummary | Totals): string[] {
  return [
    name, line, n(s.messages), n(s.updates), n(s.invalidates), n(s.batches), `+${n(s.entriesAdded)}/-${n(s.entriesRemoved)}`,
    n(s.pagesPinned), n(s.pagesUnpinned), ...PHASES.map((p) => fmtDuration(s.phases[p])), fmtDuration(s.totalNs), fmtDuration(s.blackoutNs),
    s.refusals.length ? s.refusals.map((r) => `${r.errno}(${r.cause})@${r.lineNo}`).join(' ') : '-',
  ];
}

function flowTable(f: FlowSummary): string {
  if (f.notApplicable) return `n/a: ${f.notApplicable}`;
  const rows = f.segments.map((s) => row(s.name, s.lineNo === null ? '-' : String(s.lineNo), s));
  rows.push(row('whole trace', '', f.whole!));
  const problems = f.segments.flatMap((s) => s.viewProblems.map((p) => `  incorrect: ${s.name}: ${p}`));
  return [textTable(HEADER, rows), ...problems].join('\n');
}

export function replayText(s: ReplaySummary): string {
  const out: string[] = [];
  out.push(`Replay of ${s.trace.path}: ${s.trace.format} trace format (${n(s.trace.lines)} lines, ${n(s.trace.vdpaLines)} vhost_vdpa_*, ${n(s.trace.usedLines)} read; ${s.trace.timestamps ? 'PID@SECONDS.MICROS prefix' : 'no timestamp prefix'})`);
  out.push(`Kernel model: ${s.kernel} kernel, parent ${s.parent}${s.variant ? ` (${s.variant})` : ''}, PA mode (use_va=0), iotlb limit ${s.iotlbLimit ?? 'none'}, cost profile ${s.profile}`);
  out.push(`Host memory: ${s.hostRegions.length} region(s) inferred from the maps' uaddr ranges: ${s.hostRegions.map((r) => `${r.uaddr} +${mib(r.bytes)}`).join(', ')}`);
  out.push(`Backing: ${s.backing.name}${s.backing.meanRun ? ` (mean run ${s.backing.meanRun} pages)` : ''}${s.backing.source === 'default' ? ` by default: ${s.backing.reason}; choose another with --backing` : ' (--backing)'}; ${s.prealloc ? 'preallocated (--prealloc)' : "not preallocated (QEMU's default; --prealloc if yours was): each page's first pin faults it in"}`);
  if (s.cvqProbe) out.push("QEMU 8.1+'s CVQ isolation probe (vhost_vdpa_probe_cvq_isolation: a status dance, GET_VRING_GROUP, a reset) is not traced: replayed on each fd where QEMU ran it, at net init (in boot)");
  if (s.unattributedLines.length) out.push(`Left out: status/reset lines of a vhost_dev tied to no fd: ${s.unattributedLines.join(', ')}`);
  for (const d of s.devices) {
    out.push('');
    out.push(`fd ${d.fd} (map pointer ${d.pointers.join(', ')}; vhost_devs ${d.devs.join(', ') || 'none tied'}): ${d.resets} reset(s). Modeled figures:`);
    out.push('');
    out.push('As traced (QEMU\'s workaround: unmap all, reset, map all):');
    out.push(flowTable(d.flows[0]));
    const p = d.flows[1];
    if (p) {
      out.push('');
      out.push('--what-if persist (IOTLB_PERSIST acked; re-maps of what was mapped dropped):');
      out.push(flowTable(p));
      if (!p.notApplicable) {
        const w = d.flows[0].segments.filter((x) => x.event === 'guest-reset');
        const q = p.segments.filter((x) => x.event === 'guest-reset');
        out.push('');
        out.push('Per reset, side by side:');
        out.push(
          textTable(
            ['reset', 'line', 'workaround', 'persist', 'saving', 'pairs dropped', 'pinned (workaround)', 'pinned (persist)'],
            w.map((x, i) => [x.name, String(x.lineNo ?? '-'), fmtDuration(x.totalNs), fmtDuration(q[i]?.totalNs ?? null), fmtDuration(d.savingPerResetNs?.[i] ?? null), n(p.pairsDroppedPerReset?.[i] ?? 0), n(x.pagesPinned), n(q[i]?.pagesPinned ?? 0)]),
          ),
        );
      }
    }
  }
  out.push('');
  out.push(`Replayed in ${s.wallMs} ms (simulator: the lab's own wall clock).`);
  return out.join('\n');
}
