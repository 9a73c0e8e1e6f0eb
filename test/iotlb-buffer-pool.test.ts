/**
 * The radix IOTLB's buffer pool (buffer-pool.ts, RadixIotlb.free): a freed
 * tree's buffers come back dirty to the next tree, which must answer exactly
 * as a tree over fresh memory would; buffers another thread or tree reads are
 * never recycled; the pool stays bounded; vhost-vdpa's release frees its
 * tables.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IotlbReader, RadixIotlb, ReferenceIotlb, U64_MAX } from '../src/iotlb/index.js';
import { POOL_MAX_BYTES, poolStats, takeBuffers } from '../src/iotlb/buffer-pool.js';
import { outcome } from './support/iotlb-outcome.js';

/** Empties this thread's pool, so each test starts from a known state. */
function drain(): void {
  while (takeBuffers()) {
    /* drop */
  }
}

/** A tree of `n` one-page entries from page `base` (the writer's fast path) plus a few byte-granular ones. */
function dirtyTree(n: number, base: number): RadixIotlb {
  const t = new RadixIotlb({ recycled: false });
  for (let p = 0; p < n; p++) t.addPages(base + p, 1, base + p + 9, 3);
  t.addRange(0x7000_0000_0123n, 0x7000_0000_0fffn, 0x42n, 1);
  t.addRange(0x7000_0001_0000n, 0x7000_0001_00ffn, 0x43n, 2);
  return t;
}


test('a tree built on a freed tree\'s buffers starts empty and agrees with the reference', () => {
  const op = fc.oneof(
    fc.record({ k: fc.constant('page' as const), p: fc.integer({ min: 0, max: 300 }) }),
    fc.record({ k: fc.constant('bytes' as const), p: fc.integer({ min: 0, max: 300 }), off: fc.integer({ min: 0, max: 4095 }), len: fc.integer({ min: 1, max: 9000 }) }),
    fc.record({ k: fc.constant('del' as const), p: fc.integer({ min: 0, max: 300 }), n: fc.integer({ min: 1, max: 70 }) }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 0, max: 256 }), fc.array(op, { maxLength: 150 }), (n, base, ops) => {
      drain();
      const old = dirtyTree(n, base);
      old.free();
      assert.equal(poolStats().sets, 1, 'the freed tree was pooled');
      const t = new RadixIotlb();
      assert.equal(poolStats().sets, 0, 'the new tree took the pooled buffers');
      assert.equal(t.count, 0);
      assert.deepEqual([...t.entries()], []);
      assert.equal(t.first(0n, U64_MAX), undefined);
      assert.equal(t.translate(BigInt(base) << 12n), undefined, 'a page the old tree mapped');
      const ref = new ReferenceIotlb();
      for (const o of ops) {
        const start = BigInt(o.p) << 12n;
        if (o.k === 'page') {
          assert.deepEqual(outcome(() => void t.addPages(o.p, 1, o.p + 5, 3)), outcome(() => ref.addRange(start, start + 0xfffn, start + 0x5000n, 3)));
        } else if (o.k === 'bytes') {
          const s = start + BigInt(o.off);
          const l = s + BigInt(o.len) - 1n;
          assert.deepEqual(outcome(() => void t.addRange(s, l, 0x99n, 1)), outcome(() => ref.addRange(s, l, 0x99n, 1)));
        } else {
          const last = start + (BigInt(o.n) << 12n) - 1n;
          assert.equal(t.delRange(start, last), ref.delRange(start, last));
        }
      }
      assert.deepEqual([...t.entries()], ref.entries());
      for (let p = 0; p < 400; p += 7) assert.deepEqual(t.translate((BigInt(p) << 12n) + 5n), ref.translate((BigInt(p) << 12n) + 5n));
    }),
    { numRuns: 150 },
  );
});

test('a freed tree is left empty over memory of its own: using it does not touch the tree that took its buffers', () => {
  drain();
  const a = dirtyTree(500, 0);
  a.free();
  assert.equal(a.count, 0);
  const b = new RadixIotlb();
  for (let p = 0; p < 100; p++) b.addPages(p, 1, p + 1000, 3);
  a.addPages(5, 1, 77, 1); // a use after free: must land in a's own buffers
  a.delRange(0n, U64_MAX);
  assert.equal(b.count, 100);
  assert.deepEqual(b.translate(5n << 12n), { addr: 1005n << 12n, perm: 3 });
  // Its own buffers reserve little address space (a growable buffer reserves its maximum up front).
  const h = a.handle;
  assert.ok([h.slots, h.rec, h.bEntry, h.bNext].every((sab) => sab.maxByteLength <= 2 ** 20), 'a freed tree reserves at most 1 MiB a buffer');
});

test('buffers another thread reads are never recycled, and the reader keeps its entries', () => {
  drain();
  const t = dirtyTree(64, 0);
  const reader = IotlbReader.attach(t.handle);
  t.free();
  assert.equal(poolStats().sets, 0, 'an exported tree is not pooled');
  const next = new RadixIotlb();
  next.addPages(3, 1, 4242, 3);
  assert.notEqual(reader.translatePage(3, 0), 0);
  assert.equal(reader.outPage, 3 + 9, 'the reader still sees the freed tree, not the new one');
});

test('a tree whose records another reads is not recycled until that copy lets go', () => {
  drain();
  const src = dirtyTree(64, 0);
  const copy = new RadixIotlb({ recycled: false });
  copy.shareFrom(src);
  src.free();
  assert.equal(poolStats().sets, 0, 'the copy still reads src\'s records');
  const next = new RadixIotlb();
  for (let p = 0; p < 64; p++) next.addPages(p, 1, 5000 + p, 3);
  assert.deepEqual(copy.translate(7n << 12n), { addr: (7n + 9n) << 12n, perm: 3 });
  // A copy that reads another tree's records gives only its own buffers back.
  copy.free();
  assert.equal(poolStats().sets, 1);
  const again = new RadixIotlb();
  again.addPages(7, 1, 1, 3);
  assert.deepEqual(next.translate(7n << 12n), { addr: 5007n << 12n, perm: 3 }, 'the source\'s records were not handed out');
});

test('the pool keeps a bounded amount of memory', () => {
  drain();
  const big = new RadixIotlb({ recycled: false, initialEntries: Math.ceil(POOL_MAX_BYTES / 32) + 1 });
  big.addPages(1, 1, 1, 3);
  big.free();
  assert.equal(poolStats().sets, 0, 'a tree larger than the pool goes to the garbage collector');
  const small = Array.from({ length: 20 }, (_, i) => dirtyTree(10, i * 100));
  for (const t of small) t.free();
  assert.ok(poolStats().sets <= 8 && poolStats().bytes <= POOL_MAX_BYTES, `pool holds ${poolStats().sets} sets, ${poolStats().bytes} bytes`);
  drain();
});

/** One live tree of the multi-tree test, its model, and its entry limit. */
interface Live {
  tree: RadixIotlb;
  ref: ReferenceIotlb;
  limit: number | undefined;
}

type PoolCmd =
  | { k: 'new'; s: number; limit: number | undefined; initial: number }
  | { k: 'free' | 'reset' | 'export'; s: number }
  | { k: 'page'; s: number; p: number; addr: number; perm: number }
  | { k: 'pages'; s: number; p: number; n: number; addr: number }
  | { k: 'runs'; s: number; p: number; n: number; addr: number }
  | { k: 'bytes'; s: number; p: number; off: number; len: number }
  | { k: 'del'; s: number; p: number; n: number }
  | { k: 'share' | 'copy'; s: number; from: number };

const SLOTS = 3;
const slot = fc.integer({ min: 0, max: SLOTS - 1 });
const pg = fc.integer({ min: 0, max: 160 });
const poolCmd: fc.Arbitrary<PoolCmd> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant('new' as const), s: slot, limit: fc.option(fc.integer({ min: 0, max: 40 }), { freq: 3 }).map((l) => l ?? undefined), initial: fc.constantFrom(16, 1024) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constantFrom('free' as const, 'reset' as const, 'export' as const), s: slot }) },
  { weight: 12, arbitrary: fc.record({ k: fc.constant('page' as const), s: slot, p: pg, addr: fc.constantFrom(0, 7, 2 ** 29 - 2, 2 ** 29 - 1, 2 ** 40), perm: fc.integer({ min: 0, max: 5 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constantFrom('pages' as const, 'runs' as const), s: slot, p: pg, n: fc.integer({ min: 1, max: 40 }), addr: fc.integer({ min: 0, max: 999 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('bytes' as const), s: slot, p: pg, off: fc.integer({ min: 0, max: 4095 }), len: fc.integer({ min: 1, max: 9000 }) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('del' as const), s: slot, p: pg, n: fc.integer({ min: 1, max: 80 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constantFrom('share' as const, 'copy' as const), s: slot, from: slot }) },
);

/** Every entry and a translation of every page of the window agree with the model. */
function agrees(t: RadixIotlb | IotlbReader, ref: ReferenceIotlb, what: string): void {
  if (t instanceof RadixIotlb) {
    assert.equal(t.count, ref.count, `${what}: count`);
    assert.deepEqual([...t.entries()], ref.entries(), `${what}: entries`);
  }
  for (let p = 0; p < 210; p++) {
    const iova = (BigInt(p) << 12n) + 0x21n;
    const want = ref.translate(iova);
    if (t instanceof RadixIotlb) {
      assert.deepEqual(t.translate(iova), want, `${what}: page ${p}`);
    } else {
      const id = t.translatePage(p, 0x21);
      assert.deepEqual(id === 0 ? undefined : { addr: (BigInt(t.outPage) << 12n) + BigInt(t.outOff), perm: t.outPerm }, want, `${what}: reader, page ${p}`);
    }
  }
}

test('trees made, written, shared, copied, exported and freed in any order each answer as their model, on pooled buffers too', () => {
  let pooledTrees = 0;
  fc.assert(
    fc.property(fc.array(poolCmd, { minLength: 10, maxLength: 70, size: 'max' }), (cmds) => {
      drain();
      const live: (Live | undefined)[] = Array.from({ length: SLOTS }, () => undefined);
      // A reader answers as the model of the tree it was attached to; once that tree is freed (an exported tree keeps its entries), as it was then.
      const readers: { reader: IotlbReader; of: Live }[] = [];
      for (const c of cmds) {
        const l = live[c.s];
        if (c.k === 'new') {
          l?.tree.free();
          if (poolStats().sets > 0) pooledTrees++;
          const tree = new RadixIotlb({ limit: c.limit, initialEntries: c.initial });
          live[c.s] = { tree, ref: new ReferenceIotlb(c.limit), limit: c.limit };
          continue;
        }
        if (!l) continue;
        const { tree, ref } = l;
        const at = (p: number) => BigInt(p) << 12n;
        switch (c.k) {
          case 'free':
            tree.free();
            live[c.s] = undefined;
            break;
          case 'reset':
            tree.reset();
            ref.reset();
            break;
          case 'export':
            readers.push({ reader: IotlbReader.attach(tree.handle), of: l });
            break;
          case 'page':
            assert.deepEqual(outcome(() => void tree.addPages(c.p, 1, c.addr, c.perm)), outcome(() => ref.addRange(at(c.p), at(c.p) + 0xfffn, at(c.addr), c.perm)), `addPages ${c.p}`);
            break;
          case 'pages':
            assert.deepEqual(outcome(() => void tree.addPages(c.p, c.n, c.addr, 3)), outcome(() => ref.addRange(at(c.p), at(c.p + c.n) - 1n, at(c.addr), 3)), `addPages ${c.p} x${c.n}`);
            break;
          case 'runs': {
            // c.n one-page runs from c.p: a pin batch of a 4k guest.
            const ids = new Int32Array(c.n);
            const added = tree.addPageRuns(c.p, c.n, new Int32Array(c.n).fill(1), Float64Array.from({ length: c.n }, (_, k) => c.addr + 3 * k), 3, ids);
            let want = 0;
            let error: unknown;
            for (; want < c.n; want++) {
              error = outcome(() => ref.addRange(at(c.p + want), at(c.p + want) + 0xfffn, at(c.addr + 3 * want), 3));
              if (error !== undefined) break;
            }
            assert.equal(added, want, `addPageRuns ${c.p} x${c.n}`);
            assert.equal(tree.batchError ? `error ${tree.batchError.code}` : undefined, error);
            break;
          }
          case 'bytes': {
            const s = at(c.p) + BigInt(c.off);
            assert.deepEqual(outcome(() => void tree.addRange(s, s + BigInt(c.len) - 1n, 0x5000n + BigInt(c.off), 1)), outcome(() => ref.addRange(s, s + BigInt(c.len) - 1n, 0x5000n + BigInt(c.off), 1)));
            break;
          }
          case 'del':
            assert.equal(tree.delRange(at(c.p), at(c.p + c.n) - 1n), ref.delRange(at(c.p), at(c.p + c.n) - 1n));
            break;
          case 'share':
          case 'copy': {
            const src = live[c.from];
            // As DeviceMaps.copy: a table with a limit takes no copy larger than it.
            if (!src || (l.limit !== undefined && src.ref.count > l.limit)) break;
            try {
              if (c.k === 'share') tree.shareFrom(src.tree);
              else tree.copyFrom(src.tree);
            } catch (e) {
              // A tree whose records another reads is never copied over (the kernel never asks): it is left as it was.
              if (!(e instanceof Error && e.message.startsWith('internal:'))) throw e;
              break;
            }
            const copy = new ReferenceIotlb(l.limit);
            for (const e of src.ref.entries()) copy.addRange(e.start, e.last, e.addr, e.perm);
            l.ref = copy;
            break;
          }
        }
        for (let s = 0; s < SLOTS; s++) if (live[s]) agrees(live[s]!.tree, live[s]!.ref, `slot ${s} after ${c.k} on ${c.s}`);
        for (const r of readers) agrees(r.reader, r.of.ref, `a reader after ${c.k} on ${c.s}`);
      }
    }),
    { numRuns: 300 },
  );
  assert.ok(pooledTrees > 100, `only ${pooledTrees} trees were made on pooled buffers`);
});
