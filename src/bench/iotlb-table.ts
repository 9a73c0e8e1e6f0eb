/** Plain-text rendering of `bench iotlb` rows: radix beside the peer, with the ratio. */
import type { IotlbBenchRow } from './iotlb-bench.js';
import { checkIotlbTargets } from './iotlb-targets.js';
import { fmtCount, fmtRate, textTable } from '../text-format.js';

function rate(r: IotlbBenchRow | undefined): string {
  if (!r || r.opsPerSec === null) return '-';
  return `${fmtRate(r.opsPerSec)} ±${(r.rme ?? 0).toFixed(1)}%`;
}

function bytes(r: IotlbBenchRow | undefined): string {
  return r?.bytesPerEntry == null ? '-' : r.bytesPerEntry.toFixed(1);
}

export function renderIotlbTable(rows: IotlbBenchRow[]): string {
  const keys = [...new Set(rows.map((r) => `${r.suite}|${r.entries}|${r.op}`))];
  const body = keys.map((k) => {
    const [suite, entries, op] = k.split('|');
    const pick = (impl: string) => rows.find((r) => `${r.suite}|${r.entries}|${r.op}` === k && r.impl === impl);
    const radix = pick('radix');
    const peer = pick('flatten-js');
    const ratio = radix?.opsPerSec && peer?.opsPerSec ? `${(radix.opsPerSec / peer.opsPerSec).toFixed(1)}x` : '-';
    return [suite, fmtCount(Number(entries)), op, rate(radix), rate(peer), ratio, bytes(radix), bytes(peer)];
  });
  const table = textTable(['suite', 'entries', 'op', 'radix (measured)', 'flatten-js (measured)', 'radix/peer', 'radix B/entry', 'peer B/entry'], body);
  const checks = checkIotlbTargets(rows).map((c) => `  ${c.met ? 'met ' : 'MISS'}  ${c.target}: ${c.value}`);
  return `${table}\n\nTargets (issue #2):\n${checks.join('\n') || '  (no row at the target size)'}\n`;
}
