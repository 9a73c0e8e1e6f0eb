/**
 * Reads a whole QEMU trace log into events: lines of events the replay does
 * not read are skipped; a line of an event it reads that matches none of
 * that event's formats is bad input naming the line; the formats seen must
 * all belong to one QEMU release range (a file mixing them is not one
 * QEMU's trace). A last line without its newline is accepted only when it
 * is a whole line of an event the replay reads.
 */
import { InputError } from '../../errors.js';
import { EXPECTED_SHAPE, GRAMMAR, parseEventArgs, type TraceEvent } from './event-grammar.js';
import { ALL_RELEASES, describeRange, intersect, VARIANT_RELEASES, type ReleaseRange } from './qemu-formats.js';
import { splitTraceLine } from './trace-line.js';

export interface ParsedTrace {
  events: TraceEvent[];
  /** The QEMU releases whose trace-events formats fit every line read. */
  releases: ReleaseRange;
  /** `QEMU 7.2`, `QEMU 9.0 or later`. */
  formatLabel: string;
  /** Lines in the file, vhost_vdpa_* lines among them, and how many of those were read. */
  lines: number;
  vdpaLines: number;
  usedLines: number;
  /** Whether lines carried the log backend's PID@SECONDS.MICROS: prefix. */
  timestamps: boolean;
}

export function parseTrace(text: string, where: string): ParsedTrace {
  const rawLines = text.split('\n');
  const endsWithNewline = text.endsWith('\n');
  if (endsWithNewline) rawLines.pop();
  const events: TraceEvent[] = [];
  let releases = ALL_RELEASES;
  let firstFormatLine = 0;
  let vdpaLines = 0;
  let timestamps = false;
  rawLines.forEach((raw, i) => {
    const lineNo = i + 1;
    const isTruncated = !endsWithNewline && i === rawLines.length - 1;
    const line = splitTraceLine(raw, lineNo);
    if (!line) {
      if (isTruncated && raw.trim() !== '') throw new InputError(`${where}: line ${lineNo}`, 'truncated last line (no newline, and it is not a whole trace line)');
      return;
    }
    if (line.event.startsWith('vhost_vdpa_')) vdpaLines++;
    if (!(line.event in GRAMMAR)) {
      // QEMU's log backend ends every line with a newline: without one, a line of an
      // event whose arguments cannot be checked here may be cut anywhere.
      if (isTruncated) throw new InputError(`${where}: line ${lineNo}`, `truncated last line (no newline, and ${line.event} is not an event whose arguments the replay can check)`);
      return;
    }
    const parsed = parseEventArgs(line.event, line.args, lineNo);
    if (!parsed) {
      if (isTruncated) throw new InputError(`${where}: line ${lineNo}`, `truncated last line (no newline, and ${line.event}'s arguments are incomplete)`);
      throw new InputError(`${where}: line ${lineNo}`, `${line.event}: arguments match no QEMU 7.2-or-later format (expected "${EXPECTED_SHAPE[line.event]}")`);
    }
    if (line.seconds !== null) timestamps = true;
    if (parsed.format) {
      const r = VARIANT_RELEASES[parsed.format];
      const both = intersect(releases, r);
      if (!both) {
        throw new InputError(`${where}: line ${lineNo}`, `unknown QEMU format: ${line.event} as ${describeRange(r)} prints it, but line ${firstFormatLine} and earlier fit ${describeRange(releases)} only (not one QEMU's trace)`);
      }
      if (both.from !== releases.from || both.to !== releases.to) firstFormatLine = lineNo;
      releases = both;
    }
    events.push(parsed.ev);
  });
  if (vdpaLines === 0) throw new InputError(where, 'not a QEMU vhost-vdpa trace: no vhost_vdpa_* line (record one with -trace "vhost_vdpa_*" -D FILE)');
  return { events, releases, formatLabel: describeRange(releases), lines: rawLines.length, vdpaLines, usedLines: events.length, timestamps };
}
