/**
 * A set_map copy that reads the source tree's records in place
 * (RadixIotlb.shareFrom): each tree must answer exactly as if the copy were
 * a real one, whatever the source does meanwhile, and the source must get
 * its parked ids back once the copy lets go.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IotlbReader, RadixIotlb, ReferenceIotlb, U64_MAX, type IotlbEntry } from '../src/iotlb/index.js';
import { IotlbError } from '../src/errors.js';
import { VirtualMachine } from '../src/vmm/index.js';
import { toVmSpec } from '../src/workload/index.js';
import { params } from './support/cells.js';
import { GUEST_UADDR, runScript, setup } from './support/session.js';

const PAGE = 0x1000n;
/** Pages in a 64-page window (whole pages hit the writer's fast paths), bytes at any offset. */
const start = fc.tuple(fc.integer({ min: 0, max: 63 }), fc.constantFrom(0, 0, 0, 1, 2048, 4095)).map(([p, o]) => BigInt(p) * PAGE + BigInt(o));
const size = fc.oneof(fc.constant(PAGE), fc.constant(PAGE), fc.integer({ min: 1, max: 5 * 4096 }).map(BigInt));

type Cmd =
  | { op: 'add'; start: bigint; size: bigint; addr: number }
  | { op: 'del'; start: bigint; size: bigint }
  | { op: 'del-all' | 'src-reset' | 'share' | 'dev-reset' | 'export' }
  | { op: 'dev-add'; start: bigint; size: bigint };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('add' as const), start, size, addr: fc.integer({ min: 0, max: 2 ** 20 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('del' as const), start, size }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('del-all' as const, 'src-reset' as const, 'dev-reset' as const, 'export' as const) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('share' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dev-add' as const), start, size }) },
);

/** True when `fn` refuses with an IotlbError (EEXIST, ...); any other error is a failure. */
function refused(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (e) {
    if (e instanceof IotlbError) return true;
    throw e;
  }
}

function refOf(entries: IotlbEntry[]): ReferenceIotlb {
  const r = new ReferenceIotlb();
  for (const e of entries) r.addRange(e.start, e.last, e.addr, e.perm);
  return r;
}

/** Every answer of `tree` equals the reference's: entries, count, and a translation of each page of the window. */
function assertSame(tree: RadixIotlb | IotlbReader, ref: ReferenceIotlb, what: string): void {
  if (tree instanceof RadixIotlb) {
    assert.deepEqual([...tree.entries()], ref.entries(), `${what}: entries`);
    assert.equal(tree.count, ref.count, `${what}: count`);
  }
  for (let p = 0n; p < 70n; p++) {
    const iova = p * PAGE + 7n;
    const want = ref.translate(iova);
    if (tree instanceof RadixIotlb) assert.deepEqual(tree.translate(iova), want, `${what}: translate page ${p}`);
    else assert.equal(tree.translatePage(Number(p), 7) !== 0, want !== undefined, `${what}: reader, page ${p}`);
  }
}

test('a shared copy answers as a real copy while the source adds, deletes and resets, and after either lets go', () => {
  fc.assert(
    fc.property(fc.array(cmd, { maxLength: 80 }), (cmds) => {
      const src = new RadixIotlb({ initialEntries: 16 });
      const dev = new RadixIotlb({ initialEntries: 16 });
      const srcRef = new ReferenceIotlb();
      let devRef = new ReferenceIotlb();
      let reader: IotlbReader | undefined;
      for (const c of cmds) {
        switch (c.op) {
          case 'add': {
            const last = c.start + c.size - 1n;
            const addr = BigInt(c.addr) * PAGE;
            assert.equal(refused(() => src.addRange(c.start, last, addr, 3)), refused(() => srcRef.addRange(c.start, last, addr, 3)));
            break;
          }
          case 'del':
            assert.equal(src.delRange(c.start, c.start + c.size - 1n), srcRef.delRange(c.start, c.start + c.size - 1n));
            break;
          case 'del-all':
            src.delRange(0n, U64_MAX);
            srcRef.delRange(0n, U64_MAX);
            break;
          case 'src-reset':
            src.reset();
            srcRef.delRange(0n, U64_MAX);
            break;
          case 'share':
            dev.shareFrom(src);
            devRef = refOf(srcRef.entries());
            break;
          case 'dev-reset':
            dev.reset();
            devRef = new ReferenceIotlb();
            break;
          case 'dev-add': {
            // A write to the copy itself: it must take its records with it first.
            const last = c.start + c.size - 1n;
            assert.equal(refused(() => dev.addRange(c.start, last, 0n, 1)), refused(() => devRef.addRange(c.start, last, 0n, 1)));
            break;
          }
          case 'export':
            // Another thread reads the copy from now on: it owns its records, and later shares copy.
            reader = IotlbReader.attach(dev.handle);
            break;
        }
        assertSame(src, srcRef, `source after ${c.op}`);
        assertSame(dev, devRef, `copy after ${c.op}`);
        if (reader) assertSame(reader, devRef, `reader of the copy after ${c.op}`);
        if (reader) assert.equal(dev.sharesRecordsOf, undefined, 'an exported copy never reads another tree');
      }
    }),
    { numRuns: 300 },
  );
});

test('the source reuses no record the copy reads, and gets every parked one back when the copy lets go', () => {
  const src = new RadixIotlb({ initialEntries: 16 });
  const dev = new RadixIotlb({ initialEntries: 16 });
  for (let p = 0; p < 1000; p++) src.addPages(p, 1, 5000 + p, 3);
  const full = src.usedBytes;
  dev.shareFrom(src);
  assert.equal(dev.sharesRecordsOf, src);
  assert.equal(dev.usedBytes, full - 1001 * 32, 'the copy holds node slots only, no 32-byte records (ids 0..1000)');
  // Unmap a part one by one, then the rest in the bulk path, and map again: all new records.
  src.delRange(0n, 99n * PAGE + 0xfffn);
  src.delRange(0n, U64_MAX);
  for (let p = 0; p < 1000; p++) src.addPages(p, 1, 9000 + p, 1);
  assert.equal(src.usedBytes, full + 1000 * 32, 'no parked record was reused while the copy reads them: 1000 new ones');
  assert.equal(dev.translate(5n * PAGE)?.addr, 5005n * PAGE, 'the copy still answers with the old target');
  // The copy lets go (the next set_map); once the source is empty again its pool starts afresh.
  dev.shareFrom(src);
  dev.reset();
  src.delRange(0n, U64_MAX);
  for (let p = 0; p < 1000; p++) src.addPages(p, 1, 5000 + p, 3);
  assert.equal(src.usedBytes, full, 'the pool is reused from the start');
});

test('the copy can let go while the source is not empty: parked ids go back to the free list, each once', () => {
  const src = new RadixIotlb({ initialEntries: 16 });
  const dev = new RadixIotlb({ initialEntries: 16 });
  for (let p = 0; p < 200; p++) src.addPages(p, 1, p, 3);
  dev.shareFrom(src);
  src.delRange(0n, 49n * PAGE + 0xfffn); // 50 parked one by one
  src.reset(); // every id parked at once
  for (let p = 0; p < 30; p++) src.addPages(p, 1, p, 3); // fresh ids above all of them
  dev.reset(); // lets go with 30 entries in the source
  for (let p = 30; p < 230; p++) src.addPages(p, 1, p, 3); // 200 more fit in the freed ids
  const fresh = new RadixIotlb({ initialEntries: 16 });
  for (let p = 0; p < 230; p++) fresh.addPages(p, 1, p, 3);
  assert.equal(src.usedBytes, fresh.usedBytes, 'the 200 freed ids were reused (the pool is no larger than a fresh one of 230)');
  assert.equal(src.count, 230);
  for (let p = 0; p < 230; p++) assert.equal(src.translate(BigInt(p) * PAGE)?.addr, BigInt(p) * PAGE);
});

test('mlx5 set_map: the device keeps the old MR through an INVALIDATE batch, reading the vhost records in place', () => {
  const { answers } = runScript([
    ...setup({ parent: 'mlx5', kernel: 'legacy' }, '0x100000', '4k', { meanRun: 1 }),
    { op: 'set_backend_features', features: ['IOTLB_MSG_V2', 'IOTLB_BATCH'] },
    { op: 'batch_begin' },
    { op: 'update', iova: '0x0', size: '0x100000', uaddr: GUEST_UADDR, perm: 'rw' },
    { op: 'batch_end' },
    { op: 'dump' },
    { op: 'batch_begin' },
    { op: 'invalidate', iova: '0x0', size: '0x80000' },
    { op: 'invalidate', iova: '0x80000', size: '0x80000' },
    { op: 'dump' },
    { op: 'batch_end' },
    { op: 'dump' },
    { op: 'close' },
    { op: 'check' },
  ]);
  type Dump = { asids: Record<string, { entries: unknown[]; device: { entries: unknown[]; count: number } }> };
  const mapped = (answers[7] as unknown as Dump).asids['0'];
  assert.equal(mapped.entries.length, 256, 'one entry per page (mean run 1)');
  assert.deepEqual(mapped.device.entries, mapped.entries);
  const inBatch = (answers[11] as unknown as Dump).asids['0'];
  assert.equal(inBatch.entries.length, 0, 'vhost unmapped (and unpinned) every page');
  assert.deepEqual(inBatch.device.entries, mapped.entries, 'the device still has the old MR until BATCH_END');
  assert.equal((answers[13] as unknown as Dump).asids['0'].device.count, 0);
  assert.equal((answers[15] as unknown as { ok: boolean }).ok, true, 'pins balanced, nothing left after close');
});

test('a device view handed to another thread is a real copy; otherwise it reads the vhost records', () => {
  const spec = toVmSpec(params({ parent: 'mlx5', kernel: 'legacy', flow: 'workaround', guestBytes: 64 * 2 ** 20, backing: '4k', meanRun: 1 }));
  const shared = new VirtualMachine(spec);
  shared.runEvent('boot');
  const dev = shared.backends[0].dev;
  assert.equal(dev.parent.view(0).tree.sharesRecordsOf, dev.spaces.get(0));
  shared.runEvent('close');

  const exported = new VirtualMachine(spec);
  const reader = IotlbReader.attach(exported.backends[0].dev.parent.view(0).tree.handle);
  exported.runEvent('boot');
  assert.equal(exported.backends[0].dev.parent.view(0).tree.sharesRecordsOf, undefined);
  assert.notEqual(reader.translatePage(0x200, 0), 0, 'the reader sees the MR');
  exported.runEvent('guest-reset');
  assert.notEqual(reader.translatePage(0x200, 0), 0, 'and the one built after the reset');
  exported.runEvent('close');
});

test('a set_map copy is not taken for consistent once vhost adds a page on its one-store path (SEQ does not move there)', () => {
  // VDUSE: VA mode, set_map deferred to BATCH_END. Pages 0 and 1 make a leaf;
  // page 2 goes into it without a write section (insertWholePage, appendPage).
  const page = (k: number) => ({ op: 'update', iova: `0x${(k * 0x1000).toString(16)}`, size: '0x1000', uaddr: `0x${(0x7f0000000000 + k * 0x1000).toString(16)}`, perm: 'rw' });
  const { answers } = runScript([
    ...setup({ parent: 'vduse', kernel: '6.12.117', useVa: true }, '0x200000', '4k'),
    { op: 'set_backend_features', features: ['IOTLB_MSG_V2', 'IOTLB_BATCH'] },
    { op: 'batch_begin' },
    page(0),
    page(1),
    { op: 'batch_end' },
    { op: 'check' },
    { op: 'batch_begin' },
    page(2),
    { op: 'check' },
    { op: 'dump' },
  ]);
  type Dump = { asids: Record<string, { count: number; device: { count: number } }> };
  assert.deepEqual((answers[8] as unknown as { views: unknown }).views, { 0: 'consistent' });
  const d = (answers[12] as unknown as Dump).asids['0'];
  assert.deepEqual([d.count, d.device.count], [3, 2], 'the device has not seen page 2 yet (BATCH_END)');
  assert.deepEqual((answers[11] as unknown as { views: unknown }).views, { 0: 'diverged' });
});

test('a copy of itself changes nothing, also while the tree reads another\'s records', () => {
  const src = new RadixIotlb();
  for (let p = 0; p < 40; p++) src.addPages(p, 1, 100 + p, 3);
  src.addRange(0x40123n, 0x40fffn, 0x9000n, 1);
  for (const self of ['shareFrom', 'copyFrom'] as const) {
    const dev = new RadixIotlb();
    dev.shareFrom(src);
    dev[self](dev);
    assert.deepEqual(dev.translate(0x40500n), { addr: 0x93ddn, perm: 1 }, `${self}: an entry read from its record`);
    assert.deepEqual(dev.translate(0x7123n), { addr: 0x6b123n, perm: 3 }, self);
    assert.equal(dev.count, src.count, self);
    assert.deepEqual([...dev.entries()], [...src.entries()], self);
  }
});
