/**
 * A cell's REAL figures, from the real kernel's answers to its script: time
 * in the syscalls per event and phase, VmPin after each event, the
 * distribution of reset cycles, and the first line where the real kernel
 * answered otherwise than the model (the cell then `diverged`). Real figures
 * are never mixed into modeled ones: they live in their own field, whose
 * type and schema are real-result.ts's.
 */
import type { BackendAnswer } from '../../real/model-run.js';
import type { RealEvent, RealFigures, RealPhaseNs } from '../real-result.js';
import { SAMPLE_EVENT, type CellScript } from './cell-script.js';
import { answerDifference } from './record-ops.js';
import { median } from 'simple-statistics';

function zero(): RealPhaseNs {
  return { map: 0, unmap: 0, reset: 0, other: 0 };
}

/** The first line whose ret, errno or VmPin differs from the model's, as a reason. */
function firstDifference(script: CellScript, answers: BackendAnswer[]): string | null {
  const byLine = new Map(answers.map((a) => [a.line, a]));
  for (const [line, info] of script.lines) {
    const a = byLine.get(line);
    const diff = answerDifference(`line ${line} (${a?.op ?? '?'}, ${info.eventName})`, info.model, a);
    if (diff) return diff;
  }
  return null;
}

export const RESET_EVENT_NAMES = ['guest-reset', 'reboot'];

export function realFigures(script: CellScript, answers: BackendAnswer[], who: { backend: string; kernel: string; accel: RealFigures['accel']; clock?: RealFigures['clock'] }, failure?: string): RealFigures {
  const byLine = new Map(answers.map((a) => [a.line, a]));
  const events: RealEvent[] = [];
  let current = -1;
  for (const [line, info] of [...script.lines].sort((x, y) => x[0] - y[0])) {
    if (info.event !== current) {
      events.push({ name: info.eventName, ns: zero(), totalNs: 0, pinnedVm: 0 });
      current = info.event;
    }
    const e = events[events.length - 1];
    const a = byLine.get(line);
    if (!a) continue;
    e.ns[info.phase] += a.ns ?? 0;
    e.totalNs += a.ns ?? 0;
    e.pinnedVm = a.pinnedVm ?? e.pinnedVm;
  }
  const cycles = events.filter((e) => e.name === SAMPLE_EVENT).map((e) => e.totalNs);
  const resets = events.filter((e) => RESET_EVENT_NAMES.includes(e.name));
  const diff = failure ? null : firstDifference(script, answers);
  const layout = layoutOf(script, answers);
  return {
    ...who,
    status: failure ? 'failed' : diff ? 'diverged' : 'agree',
    reason: failure ?? diff,
    events: events.filter((e) => e.name !== SAMPLE_EVENT),
    resetCycleNs: cycles.length ? { median: Math.round(median(cycles)), samples: cycles } : null,
    perResetNs: resets.length ? Math.round(resets.reduce((s, e) => s + e.totalNs, 0) / resets.length) : null,
    ...(layout ? { layout } : {}),
  };
}

/**
 * Pages and physical runs over the script's populated mmap lines and its
 * layout lines (a guest not preallocated, read after its pins faulted it
 * in), when the probe saw each one's PFNs. Another unpopulated region
 * (8.1+'s fresh shadow areas) has no frames at its mmap: left out.
 */
function layoutOf(script: CellScript, answers: BackendAnswer[]): RealFigures['layout'] {
  const byLine = new Map(answers.map((a) => [a.line, a]));
  let pages = 0;
  let runs = 0;
  const lines = script.text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const read = lines[i].includes('"op":"layout"') || (lines[i].includes('"op":"mmap"') && !lines[i].includes('"populate":false'));
    if (!read) continue;
    const a = byLine.get(i + 1);
    if (!a || typeof a.runs !== 'number') return undefined;
    // A layout line counts the pages present (the listener maps no RAM in the PC's 640 KiB-1 MiB hole).
    pages += typeof a.pages === 'number' ? a.pages : Number(BigInt(JSON.parse(lines[i]).size) >> 12n);
    runs += a.runs;
  }
  return runs ? { pages, runs, meanRun: Number((pages / runs).toFixed(2)) } : undefined;
}
