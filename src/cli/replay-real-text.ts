/** `replay --backend`: the real kernel's time per segment beside nothing modeled: real figures stand alone, labelled. */
import type { RealReplayOutcome } from '../runner/real/replay-real.js';
import { fmtDuration, textTable } from '../text-format.js';

export function realReplayText(r: RealReplayOutcome): string {
  const clock = r.clock === 'icount' ? ' icount (guest instructions at 1 ns each)' : '';
  const head = `Real kernel: ${r.kernel}${r.accel === 'none' ? '' : `, ${r.accel.toUpperCase()}${clock}`} (${r.backend}; time in the syscalls${r.accel === 'tcg' ? ': TCG figures, not native timings' : ''})`;
  const blocks = r.replays.map((p) => {
    const rows = p.segments.map((s) => [s.name, fmtDuration(s.realNs), s.pinnedVm.toLocaleString('en-US')]);
    const verdict = p.status === 'agree' ? 'every message answered as the model did' : `${p.status}: ${p.reason}`;
    return `fd ${p.fd}, ${p.flow}: ${verdict}\n${textTable(['segment', 'real', 'VmPin after (pages)'], rows)}`;
  });
  return [head, ...blocks].join('\n\n');
}
