/** Plain-text rendering of `bench pin`, with the issue #3 targets. */
import type { PinBenchRow } from './pin-bench.js';
import { fmtRate, textTable } from '../text-format.js';

/** Targets of issue #3: share of the floor, and absolute pages/s on one core. */
export const pinTargetOfFloor = 0.3;
export const pinTargetPagesPerSec = 100e6;

export function renderPinTable(rows: PinBenchRow[]): string {
  const body = rows.map((r) => [r.impl, String(r.pages), `${fmtRate(r.pagesPerSec)} ±${r.rme.toFixed(1)}%`, r.ofFloor.toFixed(2)]);
  const table = textTable(['backing', 'pages', 'pages pinned+unpinned (measured)', 'of floor'], body);
  const checks = rows
    .filter((r) => r.impl !== 'floor' && r.impl !== 'floor-4k-order')
    .map((r) => {
      const met = r.ofFloor >= pinTargetOfFloor && r.pagesPerSec >= pinTargetPagesPerSec;
      return `  ${met ? 'met ' : 'MISS'}  ${r.impl}: >= ${pinTargetOfFloor} of floor and >= ${pinTargetPagesPerSec / 1e6} M pages/s: ${r.ofFloor.toFixed(2)}, ${fmtRate(r.pagesPerSec)}`;
    });
  return `${table}\n\nTargets (issue #3, one core):\n${checks.join('\n')}\n`;
}
