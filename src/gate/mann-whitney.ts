/**
 * Two-sided Mann-Whitney U test. The rank sum comes from simple-statistics
 * (ties get average ranks); the p-value is exact (the U distribution by
 * dynamic programming) for small samples without ties, and the normal
 * approximation with tie and continuity correction otherwise.
 */
import { errorFunction, wilcoxonRankSum } from 'simple-statistics';

export interface MannWhitney {
  u: number;
  p: number;
  method: 'exact' | 'normal';
}

/** Counts of U values for samples of size m and n without ties: f(u; m, n). */
function uDistribution(m: number, n: number): Float64Array {
  // f(u; m, n) = f(u - n; m - 1, n) + f(u; m, n - 1), built up in n.
  const max = m * n;
  let prev: Float64Array[] = [];
  for (let j = 0; j <= n; j++) {
    const cur: Float64Array[] = [];
    for (let i = 0; i <= m; i++) {
      const f = new Float64Array(max + 1);
      if (i === 0 || j === 0) f[0] = 1;
      else {
        const a = cur[i - 1];
        const b = prev[i];
        for (let u = 0; u <= i * j; u++) f[u] = (u - j >= 0 ? a[u - j] : 0) + b[u];
      }
      cur.push(f);
    }
    prev = cur;
  }
  return prev[m];
}

const EXACT_LIMIT = 400;

export function mannWhitney(x: number[], y: number[]): MannWhitney {
  const m = x.length;
  const n = y.length;
  if (m === 0 || n === 0) throw new RangeError('Mann-Whitney needs two non-empty samples');
  const u = wilcoxonRankSum(x, y) - (m * (m + 1)) / 2;
  const pooled = [...x, ...y].sort((a, b) => a - b);
  const tieGroups: number[] = [];
  for (let i = 0; i < pooled.length; ) {
    let j = i;
    while (j < pooled.length && pooled[j] === pooled[i]) j++;
    if (j - i > 1) tieGroups.push(j - i);
    i = j;
  }
  const mean = (m * n) / 2;
  if (tieGroups.length === 0 && m * n <= EXACT_LIMIT) {
    const dist = uDistribution(m, n);
    const total = dist.reduce((a, b) => a + b, 0);
    const lo = Math.min(u, m * n - u);
    let tail = 0;
    for (let k = 0; k <= lo; k++) tail += dist[k];
    return { u, p: Math.min(1, (2 * tail) / total), method: 'exact' };
  }
  const N = m + n;
  const tieTerm = tieGroups.reduce((s, t) => s + t ** 3 - t, 0);
  const variance = ((m * n) / 12) * (N + 1 - tieTerm / (N * (N - 1)));
  if (variance === 0) return { u, p: 1, method: 'normal' };
  const z = Math.max(0, Math.abs(u - mean) - 0.5) / Math.sqrt(variance);
  return { u, p: Math.min(1, 1 - errorFunction(z / Math.SQRT2)), method: 'normal' };
}
