/** Plain-text rendering of `bench iotlb` rows: radix beside each peer, with radix's speed as a ratio to it. */
import type { IotlbBenchRow } from './iotlb-bench.js';
import { checkIotlbTargets } from './iotlb-targets.js';
import { fmtCount, fmtRate, textTable } from '../text-format.js';

const PEERS = ['flatten-js', 'sorted-btree', 'native-c'] as const;

function rate(r: IotlbBenchRow | undefined): string {
  if (!r || r.opsPerSec === null) return '-';
  const short = r.temp === 'cold' && r.ops !== null && r.ops < r.entries && r.op.startsWith('insert') ? ` (to ${fmtCount(r.ops)})` : '';
  return r.rme === null ? `${fmtRate(r.opsPerSec)}${short}` : `${fmtRate(r.opsPerSec)} ±${r.rme.toFixed(1)}%`;
}

/** Radix's rate (or, for footprint rows, the peer's bytes over radix's) as "12.3x". */
function ratio(radix: IotlbBenchRow | undefined, peer: IotlbBenchRow | undefined): string {
  if (!radix || !peer) return '-';
  if (radix.opsPerSec && peer.opsPerSec) {
    const x = radix.opsPerSec / peer.opsPerSec;
    return x >= 10 ? `${x.toFixed(0)}x` : `${x.toFixed(2)}x`;
  }
  return '-';
}

function bytes(r: IotlbBenchRow | undefined): string {
  return r?.bytesPerEntry == null ? '-' : r.bytesPerEntry.toFixed(1);
}

function table(rows: IotlbBenchRow[], temp: 'hot' | 'cold'): string {
  const mine = rows.filter((r) => r.temp === temp);
  const peers = PEERS.filter((p) => mine.some((r) => r.impl === p));
  const keys = [...new Set(mine.map((r) => `${r.suite}|${r.entries}|${r.op}`))];
  const body = keys.map((k) => {
    const same = mine.filter((r) => `${r.suite}|${r.entries}|${r.op}` === k);
    const radix = same.find((r) => r.impl === 'radix');
    const first = same[0];
    const cells = [temp, first.suite, fmtCount(first.entries), first.op, first.pattern, first.workingSet, rate(radix)];
    for (const p of peers) {
      const peer = same.find((r) => r.impl === p);
      cells.push(rate(peer), ratio(radix, peer));
    }
    cells.push(bytes(radix), ...peers.map((p) => bytes(same.find((r) => r.impl === p))));
    return cells;
  });
  const header = ['temp', 'suite', 'entries', 'op', 'pattern', 'working set', 'radix'];
  for (const p of peers) header.push(p, `radix/${p}`);
  header.push('radix B/entry', ...peers.map((p) => `${p} B/entry`));
  return textTable(header, body);
}

export function renderIotlbTable(rows: IotlbBenchRow[], notes: string[] = []): string {
  const parts = [`Measured on this machine; ratios are radix's rate over each peer's, same run.`, table(rows, 'hot')];
  if (rows.some((r) => r.temp === 'cold')) parts.push(table(rows, 'cold'));
  parts.push(...notes);
  const checks = checkIotlbTargets(rows).map((c) => `  ${c.met ? 'met ' : 'MISS'}  ${c.target}: ${c.value}`);
  parts.push(`Targets (issues #2, #14):\n${checks.join('\n') || '  (no row at the target size)'}`);
  return parts.join('\n\n') + '\n';
}
