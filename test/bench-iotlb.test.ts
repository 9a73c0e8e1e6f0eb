/**
 * The `bench iotlb` harness: what each timed batch starts from, and the rows
 * it reports. (Its figures are measured; no test here depends on speed.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeInputs, measureRound, runIotlbBench, type Impl } from '../src/bench/iotlb-bench.js';

/** An implementation over a Set that counts every batch that does not start where it should. */
function recordingImpl(mapped: Float64Array): { impl: Impl; pages: Set<number>; badInserts: number; badRemoves: number } {
  const state = { pages: new Set(mapped), badInserts: 0, badRemoves: 0 };
  const impl: Impl = {
    name: 'radix',
    insertAll: (ps) => {
      if (ps.some((p) => state.pages.has(p))) state.badInserts++;
      ps.forEach((p) => state.pages.add(p));
    },
    removeAll: (ps) => ps.forEach((p) => state.pages.delete(p)),
    translateAll: (ps) => ps.filter((p) => state.pages.has(p)).length,
    queryAll: (ps) => ps.filter((p) => state.pages.has(p)).length,
    restoreAll: (ps) => ps.forEach((p) => state.pages.add(p)),
  };
  return Object.assign(state, { impl });
}

test('every timed insert batch, in every round, goes into a tree without its pages; each round leaves the tree as built', () => {
  const inputs = makeInputs('dense', 2000, 64, 1);
  const r = recordingImpl(inputs.mapped);
  for (let round = 0; round < 3; round++) {
    const rows = measureRound(r.impl, inputs, 20);
    assert.deepEqual(rows.map((x) => x.op), ['insert', 'translate', 'query', 'delete']);
    assert.ok(rows.every((x) => x.opsPerSec > 0));
    assert.deepEqual([...r.pages].sort((a, b) => a - b), [...inputs.mapped], `round ${round}: the tree is as built`);
  }
  // (Before rounds started from the built tree, the second round's first, hook-less insert went into a tree that had them.)
  assert.equal(r.badInserts, 0);
});

test('bench rows: both implementations, every op, one row each, from the median of the rounds', () => {
  const rows = runIotlbBench({ sizes: [1000], layouts: ['dense', 'sparse'], timeMs: 30, batch: 64, rounds: 3, seed: 1, peer: true });
  for (const suite of ['dense', 'sparse'] as const) {
    for (const impl of ['radix', 'flatten-js'] as const) {
      const mine = rows.filter((x) => x.suite === suite && x.impl === impl);
      assert.deepEqual(mine.map((x) => x.op), ['insert', 'translate', 'query', 'delete'], `${suite} ${impl}`);
      assert.ok(mine.every((x) => x.entries === 1000 && x.opsPerSec! > 0 && x.rme! >= 0 && x.bytesPerEntry! > 0));
    }
  }
  assert.deepEqual(rows.filter((x) => x.suite === 'hugepage-1tib').map((x) => x.impl), ['radix', 'flatten-js']);
});
