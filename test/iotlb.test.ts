import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IotlbReader, RadixIotlb, U64_MAX, xlatPerm, xlatTarget } from '../src/iotlb/index.js';
import { IotlbError } from '../src/errors.js';

const G = 1n << 30n;
const T = 1n << 40n;

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof IotlbError) return e.code;
    throw e;
  }
  return undefined;
}

test('translate returns addr + offset and perm inside an entry, undefined outside', () => {
  const t = new RadixIotlb();
  t.addRange(0x1000n, 0x2fffn, 0x80000n, 3);
  assert.deepEqual(t.translate(0x1000n), { addr: 0x80000n, perm: 3 });
  assert.deepEqual(t.translate(0x2fffn), { addr: 0x81fffn, perm: 3 });
  assert.equal(t.translate(0xfffn), undefined);
  assert.equal(t.translate(0x3000n), undefined);
  assert.equal(t.count, 1);
});

test('addRange rejects last < start with EFAULT and leaves the tree unchanged', () => {
  const t = new RadixIotlb();
  t.addRange(0n, 0xfffn, 0n, 1);
  assert.equal(code(() => t.addRange(0x2000n, 0x1fffn, 0n, 1)), 'EFAULT');
  assert.equal(t.count, 1);
  assert.deepEqual([...t.entries()].map((e) => e.start), [0n]);
});

test('addRange refuses overlapping inserts with EEXIST', () => {
  const t = new RadixIotlb();
  t.addRange(0x1000n, 0x1fffn, 0n, 1);
  assert.equal(code(() => t.addRange(0x1fffn, 0x2fffn, 0n, 1)), 'EEXIST');
  assert.equal(code(() => t.addRange(0n, U64_MAX, 0n, 1)), 'EEXIST');
  assert.equal(t.count, 1);
});

test('bad addresses are typed EINVAL errors naming the argument', () => {
  const t = new RadixIotlb();
  assert.throws(() => t.addRange(-1n, 0n, 0n, 1), /start must be in \[0, 2\^64-1\]/);
  assert.throws(() => t.addRange(0n, U64_MAX + 1n, 0n, 1), /last must be in/);
  assert.throws(() => t.addRange(1 as unknown as bigint, 2n, 0n, 1), /start must be a bigint/);
  assert.throws(() => t.addRange(0n, 1n, 0n, 256), /perm must be/);
  assert.equal(code(() => t.addRange(0n, 1n, -5n, 1)), 'EINVAL');
  assert.equal(t.count, 0);
});

test('addPages refuses what is not a page number or a perm, on its one-page fast path too', () => {
  // A fresh tree's leaf cache is "none" (-1): pages -32..-1 fall in that block.
  const t = new RadixIotlb();
  for (const page of [-1, -32, 0.5, NaN]) assert.equal(code(() => t.addPages(page, 1, 9, 3)), 'EINVAL', `page ${page}`);
  t.addPages(64, 1, 9, 3); // now the cached leaf covers pages 64..95
  for (const [page, addr, perm] of [
    [65.5, 9, 3],
    [65, -1, 3],
    [65, 1.5, 3],
    [65, 2 ** 52, 3],
    [65, NaN, 3],
    [65, 9, 256],
    [65, 9, -1],
    [65, 9, 1.5],
  ]) {
    assert.equal(code(() => t.addPages(page, 1, addr, perm)), 'EINVAL', `page ${page} addr ${addr} perm ${perm}`);
  }
  assert.equal(code(() => t.addPages(64, 1, 10, 3)), 'EEXIST');
  assert.equal(t.count, 1);
  t.addPages(65, 1, 2 ** 40, 7); // a target and perm past what a leaf translation holds: read from the record
  assert.deepEqual(t.translate((65n << 12n) + 3n), { addr: (2n ** 40n << 12n) + 3n, perm: 7 });
  assert.deepEqual(t.translate(64n << 12n), { addr: 9n << 12n, perm: 3 });
});

test('the full [0, 2^64-1] range is one entry and translates at both ends', () => {
  const t = new RadixIotlb();
  t.addRange(0n, U64_MAX, 0n, 3);
  assert.equal(t.count, 1);
  assert.deepEqual(t.translate(U64_MAX), { addr: U64_MAX, perm: 3 });
  assert.deepEqual(t.translate((1n << 53n) + 1n), { addr: (1n << 53n) + 1n, perm: 3 });
  assert.equal(t.delRange(0n, 0n), 1);
  assert.equal(t.count, 0);
});

test('translation wraps modulo 2^64 like the kernel u64 arithmetic', () => {
  const t = new RadixIotlb();
  t.addRange(0x1000n, 0x2fffn, U64_MAX - 0xfffn, 1);
  assert.deepEqual(t.translate(0x2000n), { addr: 0n, perm: 1 });
});

test('two byte-granular entries may share one 4 KiB page', () => {
  const t = new RadixIotlb();
  t.addRange(0x1000n, 0x17ffn, 0xa000n, 1);
  t.addRange(0x1800n, 0x1fffn, 0xb000n, 2);
  t.addRange(0x1000n - 0x10n, 0xfffn, 0xc000n, 3); // ends just before, in the page before
  assert.deepEqual(t.translate(0x17ffn), { addr: 0xa7ffn, perm: 1 });
  assert.deepEqual(t.translate(0x1800n), { addr: 0xb000n, perm: 2 });
  assert.deepEqual(t.translate(0xff0n), { addr: 0xc000n, perm: 3 });
  assert.equal(t.first(0x1700n, 0x1900n)?.start, 0x1000n);
  assert.equal(t.delRange(0x1800n, 0x1800n), 1);
  assert.equal(t.translate(0x1800n), undefined);
  assert.deepEqual(t.translate(0x1000n), { addr: 0xa000n, perm: 1 });
});

test('delRange removes every overlapping entry whole, never splitting', () => {
  const t = new RadixIotlb();
  for (let i = 0n; i < 8n; i++) t.addRange(i * 0x1000n, i * 0x1000n + 0xfffn, i << 20n, 3);
  assert.equal(t.delRange(0x1fffn, 0x3000n), 3); // touches pages 1, 2, 3
  assert.deepEqual([...t.entries()].map((e) => e.start), [0n, 0x4000n, 0x5000n, 0x6000n, 0x7000n]);
});

test('first and next walk the overlapping entries in IOVA order', () => {
  const t = new RadixIotlb();
  const starts = [5n * G, 0n, 3n * G, T, 2n * G];
  for (const s of starts) t.addRange(s, s + G - 1n, s, 1);
  const seen: bigint[] = [];
  for (let e = t.first(G, 4n * G); e; e = t.next(e, G, 4n * G)) seen.push(e.start);
  assert.deepEqual(seen, [2n * G, 3n * G]);
});

test('a 1 TiB guest mapped in 1 GiB entries costs well under 1 MiB of tree', () => {
  const t = new RadixIotlb();
  for (let i = 0n; i < 1024n; i++) t.addRange(i * G, i * G + G - 1n, (i + 7n) * G, 3);
  assert.equal(t.count, 1024);
  assert.ok(t.usedBytes < 1 << 20, `usedBytes ${t.usedBytes}`);
  assert.deepEqual(t.translate(T - 1n), { addr: T + 7n * G - 1n, perm: 3 });
});

test('a 2 MiB-aligned stretch of one entry is a single slot (large leaf)', () => {
  const small = new RadixIotlb();
  small.addRange(0n, (2n << 20n) - 1n, 0n, 3);
  const before = small.usedBytes;
  // A neighbour forces the first entry down to the 2 MiB level, not to pages.
  small.addRange(2n << 20n, (2n << 20n) + 0xfffn, 0n, 3);
  assert.ok(small.usedBytes - before < 16 * 1024, `grew by ${small.usedBytes - before}`);
});

test('removing entries frees tree nodes for reuse', () => {
  const t = new RadixIotlb();
  for (let i = 0; i < 5000; i++) t.addPages(i * 7, 1, i, 3);
  const high = t.usedBytes;
  assert.equal(t.delRange(0n, U64_MAX), 5000);
  for (let i = 0; i < 5000; i++) t.addPages(i * 7, 1, i, 3);
  assert.equal(t.usedBytes, high);
});

test('reset empties the tree', () => {
  const t = new RadixIotlb();
  for (let i = 0; i < 100; i++) t.addPages(i, 1, i, 1);
  t.reset();
  assert.equal(t.count, 0);
  assert.equal(t.translate(0n), undefined);
  t.addPages(0, 1, 9, 1);
  assert.deepEqual(t.translate(0x10n), { addr: 0x9010n, perm: 1 });
});

test('an enforced limit refuses with ENOSPC; limit 0 with EINVAL', () => {
  const t = new RadixIotlb({ limit: 2 });
  t.addPages(0, 1, 0, 1);
  t.addPages(1, 1, 0, 1);
  assert.equal(code(() => t.addPages(2, 1, 0, 1)), 'ENOSPC');
  assert.equal(t.count, 2);
  const z = new RadixIotlb({ limit: 0 });
  assert.equal(code(() => z.addPages(0, 1, 0, 1)), 'EINVAL');
});

test('deleteParts reports each entry before removing it', () => {
  const t = new RadixIotlb();
  t.addPages(10, 4, 100, 3);
  t.addPages(20, 2, 200, 1);
  const seen: Array<[number, number, number]> = [];
  t.deleteParts(0, 0, 2 ** 52 - 1, 4095, (id) => seen.push([t.startPage(id), t.lastPage(id) - t.startPage(id) + 1, t.addrPage(id)]));
  assert.deepEqual(seen, [[10, 4, 100], [20, 2, 200]]);
  assert.equal(t.count, 0);
});

test('addPageRuns builds the tree addPages would, and stops where addPages would refuse', () => {
  // Runs of 1, 2 and 3 pages (mixing the whole-page fast path and multi-page
  // entries), then a run that overlaps an entry already there.
  const lens = Int32Array.from([1, 2, 1, 3, 1, 1, 2, 1]);
  const addrs = Float64Array.from([900, 50, 7, 300, 301, 1, 2 ** 40, 5]);
  const ids = new Int32Array(lens.length);
  const one = new RadixIotlb();
  let at = 40;
  for (let k = 0; k < lens.length; k++) {
    one.addPages(at, lens[k], addrs[k], 3);
    at += lens[k];
  }
  const bulk = new RadixIotlb();
  assert.equal(bulk.addPageRuns(40, lens.length, lens, addrs, 3, ids), lens.length);
  assert.equal(bulk.batchError, undefined);
  assert.deepEqual([...bulk.entries()], [...one.entries()]);
  assert.deepEqual([...ids].map((id) => bulk.startPage(id)), [40, 41, 43, 44, 47, 48, 49, 51]);

  // Overlap: an entry sits at page 103; the third run (pages 103-104) is refused.
  const t = new RadixIotlb();
  t.addPages(103, 1, 0, 1);
  assert.equal(t.addPageRuns(100, 4, Int32Array.from([1, 2, 2, 1]), Float64Array.from([1, 2, 3, 4]), 3, ids), 2);
  assert.equal(t.batchError?.code, 'EEXIST');
  assert.deepEqual([...t.entries()].map((e) => e.start >> 12n), [100n, 101n, 103n]);

  // The limit, part-way: exactly `limit` entries in, then ENOSPC.
  const l = new RadixIotlb({ limit: 3 });
  assert.equal(l.addPageRuns(0, 5, Int32Array.from([1, 1, 1, 1, 1]), Float64Array.from([9, 8, 7, 6, 5]), 3, ids), 3);
  assert.equal(l.batchError?.code, 'ENOSPC');
  assert.equal(l.count, 3);
  assert.equal(new RadixIotlb({ limit: 0 }).addPageRuns(0, 1, lens, addrs, 3, ids), 0);
});

test('a delete of more entries than one gathered batch (65536) removes exactly the overlapping ones, reporting each once, in order', () => {
  const t = new RadixIotlb();
  const n = 150_000;
  // Single pages, a multi-page entry straddling the query's start, and
  // byte-granular neighbours sharing the query's last page.
  t.addPages(0, 10, 5, 3); // pages 0-9; the query starts at page 4
  for (let p = 10; p < 10 + n; p++) t.addPages(p, 1, p * 7, 3);
  const lastPage = 10 + n;
  t.addRange(BigInt(lastPage) << 12n, (BigInt(lastPage) << 12n) + 99n, 1n, 1); // overlaps
  t.addRange((BigInt(lastPage) << 12n) + 200n, (BigInt(lastPage) << 12n) + 4095n, 2n, 1); // after the query
  t.addPages(lastPage + 1, 1, 3, 1); // after the query
  const seen: number[] = [];
  const removed = t.deleteBatches(4, 0, lastPage, 150, (ids, k) => {
    for (let i = 0; i < k; i++) seen.push(t.startPage(ids[i]));
  });
  assert.equal(removed, n + 2);
  assert.equal(seen.length, n + 2);
  assert.ok(seen.every((p, i) => i === 0 || p > seen[i - 1]), 'reported in IOVA order, each once');
  assert.deepEqual([...t.entries()].map((e) => [e.start, e.last]), [
    [(BigInt(lastPage) << 12n) + 200n, (BigInt(lastPage) << 12n) + 4095n],
    [BigInt(lastPage + 1) << 12n, (BigInt(lastPage + 2) << 12n) - 1n],
  ]);
  assert.equal(t.translate(5n << 12n), undefined);
  assert.equal(t.translate((BigInt(lastPage) << 12n) + 300n)?.addr, 102n);
});

test('copyFrom makes an exact, independent copy', () => {
  const a = new RadixIotlb();
  for (let i = 0; i < 3000; i++) a.addPages(i * 3, 2, i, 1 + (i % 3));
  a.addRange(0x100000000n, 0x1000007ffn, 0x5n, 3);
  a.addRange(0x100000800n, 0x100000fffn, 0x9n, 1);
  const b = new RadixIotlb({ initialEntries: 16 });
  b.addPages(99999, 1, 0, 1);
  b.copyFrom(a);
  assert.deepEqual([...b.entries()], [...a.entries()]);
  b.delRange(0n, 0xfffn);
  assert.equal(b.count, a.count - 1);
  assert.deepEqual(a.translate(0n), { addr: 0n, perm: 1 });
});

test('sameEntriesAs: equal whatever the insertion order; any differing field, or count, makes them differ', () => {
  const entries: [bigint, bigint, bigint, number][] = [
    [0x1000n, 0x1fffn, 0x7f0000001000n, 3],
    [0x2000n, 0x2010n, 0x7f0000002000n, 1],
    [0x2100n, 0x2fffn, 0x7f0000002100n, 1],
    [0x40000000n, 0x7fffffffn, 0x7f0040000000n, 3],
  ];
  const build = (list: typeof entries) => {
    const t = new RadixIotlb();
    for (const [s, l, a, p] of list) t.addRange(s, l, a, p);
    return t;
  };
  const a = build(entries);
  assert.ok(a.sameEntriesAs(build([...entries].reverse())));
  for (let i = 0; i < entries.length; i++) {
    for (const change of [
      (e: (typeof entries)[0]) => [e[0], e[1], e[2] + 1n, e[3]] as (typeof entries)[0], // addr offset
      (e: (typeof entries)[0]) => [e[0], e[1], e[2], e[3] ^ 2] as (typeof entries)[0], // perm
      (e: (typeof entries)[0]) => [e[0], e[1] - 1n, e[2], e[3]] as (typeof entries)[0], // last
    ]) {
      const other = entries.map((e, j) => (j === i ? change(e) : e));
      assert.ok(!a.sameEntriesAs(build(other)), `entry ${i} changed`);
    }
  }
  assert.ok(!a.sameEntriesAs(build(entries.slice(1))));
});

test('a leaf answers one-page entries from its translation words, and they follow every change of the slot', () => {
  const t = new RadixIotlb();
  const P = 0x1000n;
  // Alone in its 2 MiB stretch, the page's entry sits high in the tree; a neighbour pushes it down into a leaf.
  t.addRange(5n * P, 6n * P - 1n, (1n << 51n) + 9n * P, 1);
  t.addPages(4, 1, 2 ** 40 + 3, 2);
  assert.deepEqual(t.translate(5n * P + 7n), { addr: (1n << 51n) + 9n * P + 7n, perm: 1 });
  assert.deepEqual(t.translate(4n * P + 1n), { addr: ((2n ** 40n + 3n) << 12n) + 1n, perm: 2 });
  // Remapped to another target with another perm, then as byte-granular pieces, then unaligned: never the old answer.
  t.delRange(5n * P, 5n * P);
  t.addPages(5, 1, 77, 3);
  assert.deepEqual(t.translate(5n * P + 0xabcn), { addr: 77n * P + 0xabcn, perm: 3 });
  t.delRange(5n * P, 5n * P);
  t.addRange(5n * P, 5n * P + 0x7ffn, 1000n * P, 1);
  t.addRange(5n * P + 0x800n, 6n * P - 1n, 2000n * P, 2);
  assert.deepEqual(t.translate(5n * P + 0x900n), { addr: 2000n * P + 0x100n, perm: 2 });
  t.delRange(5n * P, 5n * P + 0x7ffn);
  assert.deepEqual(t.translate(5n * P + 0x900n), { addr: 2000n * P + 0x100n, perm: 2 }, 'the bucket left with one entry');
  assert.equal(t.translate(5n * P + 0x100n), undefined);
  t.delRange(5n * P, 6n * P - 1n);
  t.addRange(5n * P, 6n * P - 1n, 3000n * P + 0x10n, 1); // a whole page to an unaligned target
  assert.deepEqual(t.translate(5n * P + 0xff0n), { addr: 3001n * P, perm: 1 });
  // A leaf freed and reused keeps nothing of its past.
  t.reset();
  t.addPages(5, 1, 1, 0);
  t.delRange(5n * P, 5n * P);
  t.addRange(4n * P + 0x10n, 4n * P + 0x20n, 9n * P, 3);
  t.addRange(5n * P + 0x10n, 5n * P + 0x20n, 9n * P, 3);
  assert.equal(t.translate(5n * P), undefined);
  assert.deepEqual(t.translate(5n * P + 0x10n), { addr: 9n * P, perm: 3 });
});

test('a tree written before its buffers went out (plain writes) reads the same through a reader, and stays consistent after', () => {
  const t = new RadixIotlb({ initialEntries: 16 });
  for (let p = 0; p < 5000; p++) t.addPages(p, 1, p + 100, 3);
  t.delRange(0x1000n * 10n, 0x1000n * 20n - 1n);
  const reader = IotlbReader.attach(t.handle);
  assert.equal(reader.sequence % 2, 0, 'no write section left open');
  const check = () => {
    for (let p = 0; p < 5000; p++) {
      const id = reader.translatePage(p, 5);
      if (p >= 10 && p < 20) assert.equal(id, 0, `page ${p}`);
      else assert.ok(id && reader.outPage === p + 100 && reader.outOff === 5 && reader.outPerm === 3, `page ${p}`);
    }
  };
  check();
  // After the hand-over the writes are atomic; a reader that cached the level-3 node sees the new ones.
  for (let p = 10; p < 20; p++) t.addPages(p, 1, p + 100, 3);
  t.addPages(6000, 1, 7, 1);
  for (let p = 0; p < 20; p++) assert.ok(reader.translatePage(p, 0), `page ${p} after`);
  assert.ok(reader.translatePage(6000, 0) && reader.outPage === 7);
});

test('walks hand each one-page entry its page, target and perm from the leaf (xlat), and 0 for every other entry', () => {
  const t = new RadixIotlb({ initialEntries: 16 });
  let onePage = 0;
  // Dense one-page entries of each perm; one far from the rest (it sits alone in a high slot, not a leaf).
  for (let p = 0; p < 5000; p++) t.addPages(p, 1, p * 3 + 11, 1 + (p % 3));
  onePage += 5000;
  t.addPages(2 ** 40, 1, 77, 3); // alone: path-compressed above the leaves, so its record answers
  t.addPages(6000, 1, 2 ** 30, 3); // a target past what a leaf word holds
  t.addPages(6001, 1, 9, 4); // a perm past 3
  t.addPages(6002, 8, 100, 3); // several pages
  t.addRange(6100n << 12n, (6100n << 12n) + 99n, 1n, 1); // byte-granular, two sharing a page (a bucket)
  t.addRange((6100n << 12n) + 100n, (6100n << 12n) + 4095n, 2n, 2);
  t.addRange(6200n << 12n, (6200n << 12n) + 99n, 1n, 1); // byte-granular, alone in its page
  t.addPages(6201, 1, 55, 2);
  onePage += 1;
  const check = (ids: Int32Array, n: number, xlat: Int32Array, pages: Float64Array, src: RadixIotlb): number => {
    let fromLeaf = 0;
    for (let k = 0; k < n; k++) {
      const id = ids[k];
      if (xlat[k] === 0) continue;
      fromLeaf++;
      assert.equal(src.startPage(id), pages[k]);
      assert.equal(src.lastPage(id), pages[k]);
      assert.equal(src.addrPage(id), xlatTarget(xlat[k]));
      assert.equal(src.perm(id), xlatPerm(xlat[k]));
      assert.equal(src.startOff(id) + src.addrOff(id), 0);
      assert.equal(src.lastOff(id), 4095);
    }
    return fromLeaf;
  };
  let walked = 0;
  t.forEachBatch((ids, n, xlat, pages) => (walked += check(ids, n, xlat, pages, t)));
  assert.equal(walked, onePage);
  // A set_map copy reading the records in place walks the same.
  const copy = new RadixIotlb();
  copy.shareFrom(t);
  walked = 0;
  copy.forEachBatch((ids, n, xlat, pages) => (walked += check(ids, n, xlat, pages, t)));
  assert.equal(walked, onePage);
  copy.reset();
  // Deletes hand the same, across the upper-level entry and the buckets.
  let deleted = 0;
  let seen = 0;
  t.deleteBatches(0, 0, 2 ** 41, 4095, (ids, n, xlat, pages) => {
    seen += n;
    deleted += check(ids, n, xlat, pages, t);
  });
  assert.equal(deleted, onePage);
  assert.equal(seen, 5000 + 8);
  assert.equal(t.count, 0);
});

test('forEachRun hands runs of IOVA-consecutive one-page entries of one perm as one item, and the entries expand to exactly what forEachBatch walks', () => {
  const t = new RadixIotlb({ initialEntries: 16 });
  // 200 K one-page entries whose perm changes every 1-3 pages (more items than one 65536 batch), then a long run of one perm,
  // a multi-page entry, byte-granular entries sharing a page, a one-page entry alone far away, and a target no leaf word holds.
  let x = 3;
  let perm = 1;
  let p = 0;
  for (; p < 200_000; p++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    if (x % 3 !== 0) perm = 1 + ((perm + (x >>> 8) % 2) % 3); // another perm, two times in three
    if ((x >>> 12) % 16 === 0) continue; // a hole: the run before it ends there
    t.addPages(p, 1, p + 5, perm);
  }
  for (; p < 300_000; p++) t.addPages(p, 1, p + 5, 3);
  t.addPages(p, 8, 9, 3);
  t.addRange(BigInt(p + 8) << 12n, (BigInt(p + 8) << 12n) + 99n, 1n, 3);
  t.addRange((BigInt(p + 8) << 12n) + 100n, (BigInt(p + 8) << 12n) + 4095n, 1n, 3);
  t.addPages(p + 9, 1, 2 ** 30, 3);
  t.addPages(p + 10, 1, 4, 3);
  t.addPages(2 ** 40, 1, 77, 2);
  const expected: string[] = [];
  t.forEachBatch((ids, n) => {
    for (let k = 0; k < n; k++) expected.push(`${t.startPage(ids[k])}:${t.startOff(ids[k])}-${t.lastPage(ids[k])}:${t.lastOff(ids[k])}/${t.perm(ids[k])}`);
  });
  const got: string[] = [];
  let items = 0;
  let longest = 0;
  t.forEachRun((ids, n, xlat, pages, counts) => {
    items += n;
    for (let k = 0; k < n; k++) {
      longest = Math.max(longest, counts[k]);
      if (counts[k] > 1) assert.notEqual(xlat[k], 0, 'only one-page entries from leaves form runs');
      if (xlat[k] === 0) {
        assert.equal(counts[k], 1);
        got.push(`${t.startPage(ids[k])}:${t.startOff(ids[k])}-${t.lastPage(ids[k])}:${t.lastOff(ids[k])}/${t.perm(ids[k])}`);
        continue;
      }
      assert.equal(t.startPage(ids[k]), pages[k], 'ids[k] is the first entry of the run');
      for (let i = 0; i < counts[k]; i++) got.push(`${pages[k] + i}:0-${pages[k] + i}:4095/${xlatPerm(xlat[k])}`);
    }
  });
  assert.deepEqual(got, expected);
  assert.ok(items < expected.length / 2, `runs were joined (${items} items for ${expected.length} entries)`);
  assert.ok(items > 65536, 'the walk took more than one batch');
  assert.ok(longest >= 100_000, 'a run spans many leaves and level-1 nodes');
});
