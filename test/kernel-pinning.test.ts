import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MrBuilder, Session } from '../src/kernel/index.js';
import * as kernelModule from '../src/kernel/index.js';
import * as hostModule from '../src/host/index.js';
import { GUEST_UADDR, runScript, setup } from './support/session.js';

function mapCount(backing: string, size: string, extra: object = {}) {
  const { session, answers } = runScript([
    ...setup({ parent: 'platform-iommu', kernel: 'reset-map' }, size, backing, extra),
    { op: 'update', iova: '0x0', size, uaddr: GUEST_UADDR, perm: 'rw' },
    { op: 'dump' },
    { op: 'check' },
  ]);
  const dump = answers[4] as unknown as { asids: Record<string, { count: number }>; counters: Record<string, number> };
  assert.equal(answers[5].ok, true, String(answers[5].violations));
  return { entries: dump.asids['0'].count, counters: dump.counters, session };
}

test('contiguous PFNs coalesce: one entry per hugepage, per THP folio, per 4k run', () => {
  assert.equal(mapCount('hugetlb-1g', '0x80000000').entries, 2); // 2 GiB, 1 GiB pages
  assert.equal(mapCount('thp', '0x4000000').entries, 32); // 64 MiB, 2 MiB folios
  assert.equal(mapCount('4k', '0x200000', { meanRun: 1 }).entries, 512); // worst case: every page its own run
  const mean8 = mapCount('4k', '0x1000000', { meanRun: 8 }).entries; // 4096 pages
  assert.ok(mean8 > 4096 / 16 && mean8 < 4096 / 4, `${mean8} runs for mean 8`);
});

test('pinning goes in calls of at most 512 pages and counts every page', () => {
  const { counters } = mapCount('thp', '0x4000000');
  assert.equal(counters.pinCalls, 0x4000 / 512);
  assert.equal(counters.pagesPinned, 0x4000);
  assert.equal(counters.iommuMaps, 32);
});

test('memlock exhaustion mid-workload fails that map with nothing pinned for it', () => {
  const { session, answers } = runScript([
    ...setup({ parent: 'mlx5', kernel: 'reset-map' }, '0x800000', '4k', { meanRun: 4 }),
    { op: 'setrlimit', memlock: '0x600000' },
    { op: 'update', iova: '0x0', size: '0x400000', uaddr: GUEST_UADDR, perm: 'rw' },
    { op: 'update', iova: '0x400000', size: '0x400000', uaddr: '0x7f0000400000', perm: 'rw' },
    { op: 'check', perPage: true },
  ]);
  assert.equal(answers[4].ret, 0);
  assert.deepEqual([answers[5].errno, answers[5].cause], ['EFAULT', 'ENOMEM']);
  assert.equal(session.mm.pinnedVm, 0x400);
  assert.equal(session.mm.totalPins(), 0x400);
  assert.equal(answers[6].ok, true);
});

test('the same host pages mapped at two IOVAs are pinned and counted twice', () => {
  const { session, answers } = runScript([
    ...setup({ parent: 'platform-iommu', kernel: 'reset-map' }, '0x200000', 'thp'),
    { op: 'update', iova: '0x0', size: '0x200000', uaddr: GUEST_UADDR, perm: 'rw' },
    { op: 'update', iova: '0x10000000', size: '0x200000', uaddr: GUEST_UADDR, perm: 'ro' },
    { op: 'check' },
    { op: 'invalidate', iova: '0x0', size: '0x0' },
  ]);
  assert.equal(answers[5].ok, true);
  assert.equal(session.mm.pinnedVm, 0); // size 0 at iova 0: everything
  assert.equal(session.mm.totalPins(), 0);
});

test('INVALIDATE removes whole overlapping entries, dirtying writable pages', () => {
  const { session, answers } = runScript([
    ...setup({ parent: 'vdpa_sim', kernel: 'legacy', variant: 'dma_map' }, '0x800000', 'thp'),
    { op: 'update', iova: '0x0', size: '0x400000', uaddr: GUEST_UADDR, perm: 'wo' },
    { op: 'update', iova: '0x400000', size: '0x400000', uaddr: '0x7f0000400000', perm: 'ro' },
    { op: 'invalidate', iova: '0x1ff000', size: '0x2000' }, // touches both folios of the first map
    { op: 'dump' },
    { op: 'invalidate', iova: '0x500000', size: '0x0' }, // size 0 strictly inside an entry removes it
    { op: 'dump' },
  ]);
  const d1 = answers[6] as unknown as { asids: Record<string, { count: number }>; counters: Record<string, number> };
  assert.equal(d1.asids['0'].count, 2);
  assert.equal(d1.counters.pagesDirtied, 1024);
  assert.equal(d1.counters.dmaUnmaps, 2);
  const d2 = answers[8] as unknown as { asids: Record<string, { count: number }>; counters: Record<string, number> };
  assert.equal(d2.asids['0'].count, 1);
  assert.equal(d2.counters.pagesDirtied, 1024); // ro: no dirtying
  assert.equal(session.mm.pinnedVm, 512);
});

test('INVALIDATE on a fragmented 4k guest (one entry per page) dirties exactly the writable pages it unpins', () => {
  const { session, answers } = runScript([
    ...setup({ parent: 'mlx5', kernel: 'legacy' }, '0x200000', '4k', { meanRun: 1 }),
    { op: 'update', iova: '0x0', size: '0x100000', uaddr: GUEST_UADDR, perm: 'rw' },
    { op: 'update', iova: '0x100000', size: '0x100000', uaddr: '0x7f0000100000', perm: 'ro' },
    { op: 'invalidate', iova: '0x80000', size: '0x100000' }, // 128 writable pages, then 128 read-only ones
    { op: 'dump' },
  ]);
  const d = answers[6] as unknown as { asids: Record<string, { count: number }>; counters: Record<string, number> };
  assert.equal(d.asids['0'].count, 256, 'one entry per page');
  assert.equal(d.counters.pagesUnpinned, 256);
  assert.equal(d.counters.pagesDirtied, 128);
  assert.equal(session.mm.pinnedVm, 256);
  // The marks sit on the frames of the writable pages that went, and nowhere else.
  const region = session.mm.allRegions[0];
  const marked = new Set<number>();
  for (let f = 0; f < region.dirty.length; f++) if (region.dirty[f]) marked.add(f);
  const expected = new Set<number>();
  for (let page = 0x80; page < 0x100; page++) expected.add(region.layout.frameOf(page));
  assert.deepEqual(marked, expected);
  assert.equal(session.mm.totalPins(), 256);
});

test('a set_map parent does one set_map per batch, or one per run without batching', () => {
  const run = (batched: boolean) => {
    const lines = [
      ...setup({ parent: 'mlx5', kernel: 'reset-map' }, '0x1000000', 'thp'),
      ...(batched ? [{ op: 'batch_begin' }] : []),
      { op: 'update', iova: '0x0', size: '0x1000000', uaddr: GUEST_UADDR, perm: 'rw' },
      ...(batched ? [{ op: 'batch_end' }] : []),
      { op: 'dump' },
    ];
    const { answers } = runScript(lines);
    return (answers[answers.length - 1] as unknown as { counters: Record<string, number> }).counters;
  };
  assert.equal(run(true).setMaps, 1);
  assert.equal(run(false).setMaps, 8); // 16 MiB of 2 MiB folios: 8 runs
  assert.equal(run(true).mrBuilds, 1);
});

test('kernel quirk: a map failing after an earlier map in the same page_list leaves its pages pinned', () => {
  // With the distribution limit, map #3 of the same 512-page call fails (ENOSPC).
  // vhost_vdpa_pa_map unpins the rest of the page_list, but nchunks was reset
  // by the earlier successful map, so the failed run's own pages stay pinned.
  const { session, answers } = runScript([
    ...setup({ parent: 'platform-iommu', kernel: 'reset-map', iotlbLimit: 2 }, '0x200000', '4k', { meanRun: 1 }),
    { op: 'update', iova: '0x0', size: '0x200000', uaddr: GUEST_UADDR, perm: 'rw' },
    { op: 'check', perPage: true },
  ]);
  assert.deepEqual([answers[3].errno, answers[3].cause], ['EFAULT', 'ENOSPC']);
  assert.equal(session.mm.pinnedVm, 0);
  assert.equal(session.mm.totalPins(), 1);
  assert.equal(answers[4].ok, false);
});

test('kernel quirk: a VA map failing before any piece at iova 0 unmaps the whole address space', () => {
  const { answers } = runScript([
    ...setup({ parent: 'vduse', kernel: 'reset-map' }, '0x200000', '4k'),
    { op: 'update', iova: '0x100000', size: '0x100000', uaddr: GUEST_UADDR, perm: 'rw' },
    { op: 'update', iova: '0x0', size: '0x1000', uaddr: '0x10000', perm: 'rw' }, // no VMA at or after? one exists after
    { op: 'dump' },
  ]);
  // find_vma returns the guest region (it ends above 0x10000), so the piece maps
  // from the gap: the kernel's map_size = vm_end - uaddr quirk.
  assert.equal(answers[4].ret, 0);
  const { answers: a2 } = runScript([
    ...setup({ parent: 'vduse', kernel: 'reset-map' }, '0x200000', '4k'),
    { op: 'update', iova: '0x100000', size: '0x100000', uaddr: GUEST_UADDR, perm: 'rw' },
    { op: 'update', iova: '0x0', size: '0x1000', uaddr: '0x7ffffffff000', perm: 'rw' }, // above every VMA, the stack's too
    { op: 'dump' },
  ]);
  assert.deepEqual([a2[4].errno, a2[4].cause], ['EFAULT', 'EINVAL']);
  assert.equal((a2[5] as unknown as { asids: Record<string, { count: number }> }).asids['0'].count, 0);
});

test('a VA map over a hole above every mapping still finds the stack VMA, skips it and succeeds (as 6.12 did)', () => {
  const { answers } = runScript([
    ...setup({ parent: 'vdpa_sim', kernel: 'reset-map', useVa: true }, '0x200000', '4k'),
    { op: 'update', iova: '0x0', size: '0x1000', uaddr: '0x7f2000000000', perm: 'rw' },
    { op: 'dump' },
  ]);
  assert.deepEqual([answers[3].ret, answers[3].errno], [0, null]);
  assert.equal((answers[4] as unknown as { asids: Record<string, { count: number }> }).asids['0'].count, 0);
});

test('a process starts with RLIMIT_MEMLOCK 8 MiB: a larger PA map without setrlimit is ENOMEM, as on the real kernels', () => {
  const script = [{ op: 'open', parent: 'vdpa_sim', kernel: 'reset-map', useVa: false }, { op: 'mmap', uaddr: GUEST_UADDR, size: '0x1000000', backing: 'thp' }, { op: 'set_owner' }];
  const session = new Session();
  const answers = [...script, { op: 'update', iova: '0x0', size: '0x800000', uaddr: GUEST_UADDR, perm: 'rw' }, { op: 'update', iova: '0x800000', size: '0x1000', uaddr: GUEST_UADDR, perm: 'rw' }].map((l, i) => session.runLine(JSON.stringify(l), i + 1)!);
  assert.deepEqual([answers[3].errno, answers[4].errno, answers[4].cause], [null, 'EFAULT', 'ENOMEM']);
  assert.equal(session.mm.pinnedVm, 2048);
});

test('same script and seed give identical counters and entries; another seed moves the frames', () => {
  const script = (seed: number) => [
    { op: 'open', parent: 'mlx5', kernel: 'legacy' },
    { op: 'mmap', uaddr: GUEST_UADDR, size: '0x1000000', backing: '4k', seed, meanRun: 3 },
    { op: 'set_owner' },
    { op: 'batch_begin' },
    { op: 'update', iova: '0x0', size: '0x1000000', uaddr: GUEST_UADDR, perm: 'rw' },
    { op: 'batch_end' },
    { op: 'set_status', status: 0 },
    { op: 'dump' },
  ];
  const a = runScript(script(11)).answers[7];
  const b = runScript(script(11)).answers[7];
  const c = runScript(script(12)).answers[7];
  assert.deepEqual(a, b);
  assert.notDeepEqual(JSON.stringify(a.asids), JSON.stringify(c.asids));
});

test('mlx5 MR build: chains, null KLMs per GiB of hole, direct MRs of at most 1 GiB, MTTs from the gcd', () => {
  const G = 2 ** 18; // pages per GiB
  const b = new MrBuilder();
  b.add(0, 512, 3); // 2 MiB
  b.add(512, 1024, 3); // adjacent, same perm: same chain
  b.add(G + 1536, 2 * G, 3); // hole of G pages -> 1 null KLM; chain of 2 GiB -> 2 direct MRs
  b.add(3 * G + 1536, 512, 1); // adjacent but another perm: new chain, no hole
  const s = b.finish();
  assert.equal(s.chains, 3);
  assert.equal(s.nullKlms, 1);
  assert.equal(s.directMrs, 1 + 2 + 1);
  assert.equal(s.mtts, 1536 / 512 + 1 + 1 + 1);
  assert.equal(s.mkeys, s.directMrs + 1);
});

test('mlx5 MR build: addOnePages(start, n, perm) gives the shape of n calls add(start + i, 1, perm), across chains, holes, perms and 1 GiB pieces', () => {
  const G = 2 ** 18;
  let x = 7;
  const rand = (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % n;
  };
  for (let trial = 0; trial < 40; trial++) {
    const perPage = new MrBuilder();
    const runs = new MrBuilder();
    let page = rand(3) * G - (trial % 2) * 5;
    if (page < 0) page = 0;
    for (let step = 0; step < 12; step++) {
      const kind = rand(4);
      if (kind === 0) {
        // An entry of several pages (a THP run), into both the same way.
        const n = 1 + rand(1024);
        perPage.add(page, n, 3);
        runs.add(page, n, 3);
        page += n;
        continue;
      }
      // A run of one-page entries, sometimes long enough to cross a 1 GiB piece, sometimes after a hole or in another perm.
      const n = 1 + (kind === 1 ? rand(G + 300) : rand(700));
      const perm = 1 + rand(3);
      page += rand(3) === 0 ? rand(2 * G) : 0;
      for (let i = 0; i < n; i++) perPage.add(page + i, 1, perm);
      runs.addOnePages(page, n, perm);
      page += n;
    }
    assert.deepEqual(runs.finish(), perPage.finish());
  }
  // A run across a 1 GiB piece, then one continuing that chain: three direct MRs either way.
  const perPage = new MrBuilder();
  const runs = new MrBuilder();
  for (let i = 0; i < G + 10; i++) perPage.add(5 + i, 1, 3);
  for (let i = 0; i < G; i++) perPage.add(5 + G + 10 + i, 1, 3);
  runs.addOnePages(5, G + 10, 3);
  runs.addOnePages(5 + G + 10, G, 3);
  const want = perPage.finish();
  assert.equal(want.directMrs, 3);
  assert.deepEqual(runs.finish(), want);
});

test('sharded pinning takes back what it pinned ahead on every error path, leaving the state of an unsharded map', () => {
  const { HostMm, PinShards } = hostModule;
  // A map over a hole (EFAULT/ENOMEM from pin_user_pages) and a map that hits an enforced iotlb limit (ENOSPC) part-way.
  const cases = [
    { name: 'hole', limit: undefined, size: 0x20000000n + 0x10000000n },
    { name: 'iotlb limit', limit: 40, size: 0x20000000n },
  ];
  for (const k of cases) {
    const outcome = (shards: number) => {
      const mm = new HostMm();
      mm.mmap({ startPage: 0x7f0000000000 / 4096, pages: 0x20000000 / 4096, backing: '4k', seed: 5, shared: false, meanRun: 64 });
      if (shards > 1) mm.pinShards = new PinShards(mm, shards);
      const dev = new kernelModule.VhostVdpa({ parent: 'vdpa_sim', variant: 'dma_map', kernel: 'reset-map', useVa: false, nas: 1, ngroups: 1, iovaRange: { first: 0n, last: 2n ** 64n - 1n }, iotlbLimit: k.limit }, mm);
      dev.setOwner();
      const r = dev.write({ msgType: 2, type: 2, asid: 0, iova: 0n, size: k.size, uaddr: 0x7f0000000000n, perm: 3 });
      const state = { r, pinnedVm: mm.pinnedVm, pins: mm.totalPins(), counters: kernelModule.snapshotCounters(dev.counters) };
      mm.pinShards?.close();
      return state;
    };
    const plain = outcome(1);
    assert.equal(plain.r.ret, -1, k.name);
    assert.deepEqual(outcome(2), plain, k.name);
  }
});

test('every device on one mm counts into one counter object, pins counted before the first open included', () => {
  const { HostMm, pinPages } = hostModule;
  const mm = new HostMm();
  const region = mm.mmap({ startPage: 0x7f0000000000 / 4096, pages: 1024, backing: 'thp', seed: 1, shared: false });
  pinPages(region, 0, 8, mm.pinCounters); // counted by the host layer alone
  const config = { parent: 'vdpa_sim' as const, kernel: 'reset-map' as const, useVa: false, nas: 1, ngroups: 1, iovaRange: { first: 0n, last: 2n ** 64n - 1n } };
  const a = new kernelModule.VhostVdpa(config, mm);
  const b = new kernelModule.VhostVdpa(config, mm);
  assert.equal(a.counters, b.counters);
  assert.equal(mm.pinCounters, a.counters);
  assert.equal(a.counters.pagesPinned, 8);
  for (const dev of [a, b]) {
    dev.setOwner();
    const r = dev.write({ msgType: 2, type: 2, asid: 0, iova: dev === a ? 0n : 1n << 30n, size: 0x200000n, uaddr: 0x7f0000000000n + (dev === a ? 0n : 0x200000n), perm: 3 });
    assert.equal(r.ret, 0);
  }
  assert.equal(a.counters.pagesPinned, 8 + 1024);
  assert.equal(b.counters.iotlbUpdates, 2);
});

test('a device op failing part-way through a pin batch leaves the state of one vhost_vdpa_map call after another', () => {
  // platform-iommu maps each entry into its own domain; an entry planted at
  // IOVA page 5 makes the 6th iommu_map of a 16-page 4k map fail (EEXIST).
  // The kernel: entries 0-4 mapped, entry 5 added then taken back, pages
  // 6-15 unpinned without ever being mapped, entry 5's page left pinned
  // (nchunks quirk), then the whole range unmapped.
  const { HostMm } = hostModule;
  const mm = new HostMm();
  mm.mmap({ startPage: 0x7f0000000000 / 4096, pages: 512, backing: '4k', seed: 9, shared: false, meanRun: 1 });
  const dev = new kernelModule.VhostVdpa({ parent: 'platform-iommu', kernel: 'reset-map', useVa: false, nas: 1, ngroups: 1, iovaRange: { first: 0n, last: 2n ** 64n - 1n } }, mm);
  dev.setOwner();
  dev.parent.view(0).tree.addPages(5, 1, 0x1234, 3);
  const r = dev.write({ msgType: 2, type: 2, asid: 0, iova: 0n, size: 16n * 4096n, uaddr: 0x7f0000000000n, perm: 3 });
  assert.deepEqual([r.errno, r.cause], ['EFAULT', 'EEXIST']);
  assert.equal(dev.spaces.get(0)!.count, 0);
  assert.deepEqual([...dev.parent.view(0).tree.entries()].map((e) => e.start), [5n * 4096n]);
  const c = dev.counters;
  assert.deepEqual([c.iotlbInserts, c.iotlbRemoves, c.iommuMaps, c.iommuUnmaps, c.pagesPinned, c.pagesUnpinned], [6, 6, 6, 5, 16, 15]);
  assert.equal(mm.pinnedVm, 0);
  assert.equal(mm.totalPins(), 1);
});
