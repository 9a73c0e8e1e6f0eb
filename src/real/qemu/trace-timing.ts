/**
 * Real timings read off a recorded trace's `PID@SECONDS.MICROS:` prefixes: per
 * device stop (QEMU's `vhost_vdpa_dev_start ... started: 0`), how long the stop's
 * messages took and how long until the next start's. QEMU stamps a line when
 * it logs it, just before the ioctl or write, so a block's span runs from its
 * first message to its last one's start: real time, but nested TCG time.
 */

interface Line {
  seconds: number;
  event: string;
  args: string;
}

export interface TraceReset {
  /** 1-based, in trace order. */
  reset: number;
  /** Trace line (1-based) of the stop. */
  line: number;
  /** From the stop's first line to its last unmap/reset/status line, ms. */
  stopSpanMs: number;
  /** From the stop's first line to the next start's first line, ms. */
  stopToStartMs: number | null;
  /** From the next start's first line to its last map/ready/status line, ms. */
  startSpanMs: number | null;
}

function parse(text: string): (Line & { no: number })[] {
  const out: (Line & { no: number })[] = [];
  text.split('\n').forEach((raw, i) => {
    // PID@SECONDS.MICROS: (QEMU 7.2, 10.0) or an ISO 8601 UTC prefix (11.1), see vmm/trace/trace-line.ts.
    const m = /^(?:\d+@(\d+\.\d+):|(\d{4}-\d\d-\d\dT[\d:]+)(\.\d+)Z )(vhost_vdpa_\w+)\s?(.*)$/.exec(raw.trim());
    if (m) out.push({ seconds: m[1] !== undefined ? Number(m[1]) : Date.parse(`${m[2]}Z`) / 1000 + Number(m[3]), event: m[4], args: m[5], no: i + 1 });
  });
  return out;
}

// A stop's block: every vhost_dev's stop (QEMU 7.2 asks each vq's index before GET_VRING_BASE, and hands the
// vq's call fd back to the guest notifier at the end), the reset, the unmaps and their batch.
const STOP_EVENTS = /^vhost_vdpa_(dev_start|get_vq_index|reset_device|dma_unmap|add_status|get_vring_base|suspend|listener_region_del|listener_begin_batch|listener_commit|skipped_memory_section|reset_status|set_vring_ready|set_vring_call|set_config_call)$/;
const START_EVENTS = /^vhost_vdpa_(dev_start|dma_map|add_status|set_vring_\w+|set_features|set_mem_table|listener_\w+|vq_get_addr|get_vq_index|dump_regions|set_config|set_address_space_id|get_vring_group)$/;

const isStop = (l: Line) => l.event === 'vhost_vdpa_dev_start' && /started: 0/.test(l.args);
const isStart = (l: Line) => l.event === 'vhost_vdpa_dev_start' && /started: 1/.test(l.args);

/** The trace's resets: every stop that follows a start (the final stop at poweroff counts too). */
export function traceResets(text: string): TraceReset[] {
  const lines = parse(text);
  const out: TraceReset[] = [];
  let i = 0;
  while (i < lines.length) {
    if (!isStop(lines[i]) || !lines.slice(0, i).some(isStart)) {
      i++;
      continue;
    }
    const stop = lines[i];
    let j = i + 1;
    let stopEnd = stop.seconds;
    while (j < lines.length && !isStart(lines[j]) && STOP_EVENTS.test(lines[j].event)) stopEnd = lines[j++].seconds;
    while (j < lines.length && !isStart(lines[j])) j++;
    const start = lines[j];
    let startEnd: number | null = null;
    if (start) {
      let k = j + 1;
      startEnd = start.seconds;
      while (k < lines.length && !isStop(lines[k]) && START_EVENTS.test(lines[k].event)) startEnd = lines[k++].seconds;
    }
    const ms = (a: number) => Math.round(a * 1e6) / 1e3;
    out.push({ reset: out.length + 1, line: stop.no, stopSpanMs: ms(stopEnd - stop.seconds), stopToStartMs: start ? ms(start.seconds - stop.seconds) : null, startSpanMs: start && startEnd !== null ? ms(startEnd - start.seconds) : null });
    // Past this stop's block: QEMU stops each vhost_dev (data, then CVQ) in one go.
    i = j > i ? j : i + 1;
  }
  return out;
}
