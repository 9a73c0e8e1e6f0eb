/**
 * The `bench iotlb` harness: what each timed batch starts from, and the rows
 * it reports. (Its figures are measured; no test here depends on speed.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { makeInputs, measureRound, runIotlbBench, type Impl } from '../src/bench/iotlb-bench.js';
import { makeColdInputs } from '../src/bench/iotlb-cold.js';
import { JS_IMPLS, MAKERS } from '../src/bench/iotlb-impls.js';
import { renderReadersTable, runReadersBench } from '../src/bench/iotlb-readers.js';

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
    free: () => state.pages.clear(),
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

test('bench rows: every implementation, every op, one row each, from the median of the rounds', () => {
  const rows = runIotlbBench({ sizes: [1000], layouts: ['dense', 'sparse'], timeMs: 30, batch: 64, rounds: 3, seed: 1, peer: true });
  for (const suite of ['dense', 'sparse'] as const) {
    for (const impl of ['radix', 'flatten-js', 'sorted-btree'] as const) {
      const mine = rows.filter((x) => x.suite === suite && x.impl === impl);
      assert.deepEqual(mine.map((x) => x.op), ['insert', 'translate', 'query', 'delete'], `${suite} ${impl}`);
      // (A peer's bytes are the heap's growth, which a GC can hide at 1 K entries: >= 0, not > 0.)
      assert.ok(mine.every((x) => x.temp === 'hot' && x.entries === 1000 && x.opsPerSec! > 0 && x.rme! >= 0 && x.pattern && x.workingSet), `${suite} ${impl}`);
      assert.ok(mine.every((x) => (impl === 'radix' ? x.bytesPerEntry! > 0 : x.bytesPerEntry! >= 0)), `${suite} ${impl} bytes`);
    }
  }
  assert.deepEqual(rows.filter((x) => x.suite === 'hugepage-1tib').map((x) => x.impl), ['radix', 'flatten-js']);
});

test('every JS peer answers the hot batches as the radix tree does (same hits)', () => {
  const inputs = makeInputs('sparse', 3000, 256, 7);
  const answers = JS_IMPLS.map((name) => {
    const impl = MAKERS[name].empty();
    impl.insertAll(inputs.mapped);
    return [impl.translateAll(inputs.probes), impl.queryAll(inputs.probes)];
  });
  assert.ok(answers[0][0] > 0 && answers[0][0] < inputs.probes.length, 'the probes mix hits and misses');
  for (const a of answers) assert.deepEqual(a, answers[0]);
});

test('cold inputs: hits are mapped, misses are not, the random order is a permutation of the mapped pages', () => {
  for (const layout of ['dense', 'sparse'] as const) {
    const c = makeColdInputs(layout, 5000, 3);
    const mapped = new Set(c.mapped);
    assert.equal(mapped.size, 5000);
    assert.ok(c.hits.every((p) => mapped.has(p)));
    assert.ok(c.misses.every((p) => !mapped.has(p)));
    assert.deepEqual([...c.order].sort((a, b) => a - b), [...c.mapped]);
    assert.ok(c.mapped.every((p, i) => i === 0 || p > c.mapped[i - 1]), `${layout}: mapped in IOVA order`);
  }
});

test('cold rows: each op for radix, both peers and (with a compiler) native-c; a budgeted build says how far it got', () => {
  const notes: string[] = [];
  const rows = runIotlbBench({ sizes: [], coldSizes: [20_000], buildMs: 5, layouts: ['dense'], timeMs: 30, batch: 256, rounds: 3, seed: 1, peer: true, onNote: (m) => notes.push(m) });
  const cold = rows.filter((r) => r.temp === 'cold');
  const impls = [...new Set(cold.map((r) => r.impl))];
  const hasCc = spawnSync('gcc', ['--version']).status === 0 || spawnSync('cc', ['--version']).status === 0;
  assert.deepEqual(impls, hasCc ? ['radix', 'flatten-js', 'sorted-btree', 'native-c'] : ['radix', 'flatten-js', 'sorted-btree']);
  if (!hasCc) assert.match(notes.join('\n'), /native-c skipped/);
  // Builds in reused memory for the JS implementations, in fresh memory for radix and native-c (like for like).
  const ops: Record<string, string[]> = {
    radix: ['insert-iova-order', 'insert-random-order', 'insert-iova-order-fresh', 'insert-random-order-fresh', 'translate-hit', 'translate-miss', 'delete'],
    'flatten-js': ['insert-iova-order', 'insert-random-order', 'translate-hit', 'translate-miss', 'delete'],
    'sorted-btree': ['insert-iova-order', 'insert-random-order', 'translate-hit', 'translate-miss', 'delete'],
    'native-c': ['insert-iova-order-fresh', 'insert-random-order-fresh', 'translate-hit', 'translate-miss', 'delete'],
  };
  for (const impl of impls) {
    const mine = cold.filter((r) => r.impl === impl);
    assert.deepEqual(mine.map((r) => r.op), ops[impl], impl);
    assert.ok(mine.every((r) => r.opsPerSec! > 0 && r.ops! > 0 && r.ops! <= 20_000 && r.pattern && r.workingSet), impl);
  }
  // flatten-js cannot build 20 K entries in 5 ms: its row stops at the budget and says so.
  const slow = cold.find((r) => r.impl === 'flatten-js' && r.op === 'insert-iova-order')!;
  assert.ok(slow.ops! < 20_000, `flatten-js built ${slow.ops} entries in 5 ms`);
  if (hasCc) assert.equal(cold.find((r) => r.impl === 'native-c' && r.op === 'translate-hit')!.ops, 20_000);
});

test('bench iotlb --readers: a writer row, each reader per phase, no wrong answer while the writer maps and unmaps', async () => {
  const opts = { readers: 2, entries: 20_000, phaseMs: 60, rounds: 1, seed: 1 };
  const rows = await runReadersBench(opts);
  const readers = (phase: string) => ['per-page', 'batched'].flatMap((mode) => [`${phase}/${mode}/0`, `${phase}/${mode}/1`]);
  assert.deepEqual(rows.map((r) => `${r.phase}/${r.mode}/${r.thread}`), ['writer-alone/per-page/-1', ...readers('readers-writer-idle'), ...readers('readers-writer-busy')]);
  assert.ok(rows.every((r) => r.translatesPerSec > 0 && r.invalid === 0));
  assert.ok(rows.filter((r) => r.phase === 'readers-writer-idle').every((r) => r.retries === 0), 'no retry without a write');
  assert.ok(rows.filter((r) => r.phase === 'readers-writer-busy').every((r) => r.writerOpsPerSec! > 0));
  assert.match(renderReadersTable(rows, opts), /Target \(#14\): (met |MISS) .*per-page[^]*Target \(#14\): (met |MISS) .*batched/);
});
