/**
 * First touch: guest RAM QEMU did not preallocate has no frames until the
 * first pin of each folio faults it in (gup's faultin_page); later pins of
 * the same pages fault nothing. The real-kernel side of this is
 * workloads/sessions/first-touch-faults.jsonl (test/real-compare.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PageStates, type Faulted, type RegionKind } from '../src/host/index.js';
import { runCell } from '../src/runner/run-cell.js';
import { cell, defaultProfile } from './support/cells.js';
import { runScript } from './support/session.js';

const open = { op: 'open', parent: 'vdpa_sim', kernel: 'reset-map', useVa: false };
const update = (iova: string, size: string, uaddr: string) => ({ op: 'update', iova, size, uaddr, perm: 'rw' });

test('the first pin of an unpopulated 4k page faults it in; a later pin of it does not', () => {
  const { answers } = runScript([
    open,
    { op: 'mmap', uaddr: '0x7f0000000000', size: '0x400000', backing: '4k', populate: false },
    { op: 'set_owner' },
    update('0x0', '0x200000', '0x7f0000000000'),
    { op: 'invalidate', iova: '0x0', size: '0x200000' },
    update('0x0', '0x400000', '0x7f0000000000'),
    { op: 'invalidate', iova: '0x0', size: '0x400000' },
    update('0x0', '0x400000', '0x7f0000000000'),
  ]);
  assert.deepEqual(answers.filter((a) => a.op === 'update').map((a) => a.faults), [512, 512, 0]);
});

test('a THP or hugetlb folio faults once, and zeroes all its pages', () => {
  const { session, answers } = runScript([
    open,
    { op: 'mmap', uaddr: '0x7f0000000000', size: '0x800000', backing: 'thp', populate: false },
    { op: 'set_owner' },
    // Half a folio: the whole 2 MiB folio is faulted and cleared.
    update('0x0', '0x100000', '0x7f0000000000'),
    update('0x100000', '0x700000', '0x7f0000100000'),
  ]);
  assert.deepEqual(answers.filter((a) => a.op === 'update').map((a) => a.faults), [1, 3]);
  const c = session.mm.pinCounters as unknown as Record<string, number>;
  assert.equal(c.faults, 4);
  assert.equal(c.pagesFaulted, 2048);
});

test('mmap populates by default, as the probe does: no faults', () => {
  const { answers } = runScript([open, { op: 'mmap', uaddr: '0x7f0000000000', size: '0x400000', backing: '4k' }, { op: 'set_owner' }, update('0x0', '0x400000', '0x7f0000000000')]);
  assert.equal(answers[3].faults, 0);
});

test('a map that fails on RLIMIT_MEMLOCK faults nothing in (the check comes before the pin)', () => {
  const { answers } = runScript([
    open,
    { op: 'mmap', uaddr: '0x7f0000000000', size: '0x400000', backing: '4k', populate: false },
    { op: 'setrlimit', memlock: '0x100000' },
    { op: 'set_owner' },
    update('0x0', '0x400000', '0x7f0000000000'),
  ]);
  assert.equal(answers[4].errno, 'EFAULT');
  assert.equal(answers[4].faults, 0);
});

type State = 'zero' | 'ro' | 'rw' | null;

/** The rules of src/host/page-states.ts, page by page: the reference its ranges must match. */
function referencePin(st: State[], kind: RegionKind, idx: number, n: number, write: boolean, unshare: boolean, thp: boolean): Faulted {
  const per = 2 ** kind.folioShift;
  const head = (per - (kind.startPage % per)) % per;
  const bodyEnd = Math.floor((kind.startPage + kind.pages) / per) * per - kind.startPage;
  const inBody = (p: number) => per > 1 && bodyEnd > head && p >= head && p < bodyEnd;
  const unit = (p: number, large: boolean): [number, number] => {
    if (!large || !inBody(p)) return [p, p + 1];
    const a = head + Math.floor((p - head) / per) * per;
    return [a, a + per];
  };
  const out = { folios: 0, pages: 0 };
  for (let p = idx; p < Math.min(kind.pages, idx + n); p++) {
    if (st[p] === null) {
      const large = kind.hugetlb || !kind.shared;
      const [a, b] = unit(p, large);
      out.folios++;
      const anonRead = !kind.shared && !kind.hugetlb && !write;
      if (!anonRead) out.pages += b - a;
      const to: State = anonRead ? 'zero' : kind.hugetlb && !kind.shared && !write ? 'ro' : 'rw';
      for (let q = a; q < b; q++) st[q] = to;
    }
    if (st[p] === 'zero' && (write || unshare) && thp && !kind.hugetlb && !kind.shared && inBody(p)) {
      // v6.13+: the huge zero PMD becomes a writable THP of its own.
      const [a, b] = unit(p, true);
      out.folios++;
      out.pages += b - a;
      for (let q = a; q < b; q++) st[q] = 'rw';
    } else if (st[p] === 'zero' && (write || unshare)) {
      out.folios++;
      out.pages++;
      st[p] = write ? 'rw' : 'ro';
    } else if (st[p] === 'ro' && write) {
      out.folios++;
      const [a, b] = unit(p, kind.hugetlb);
      for (let q = a; q < b; q++) st[q] = 'rw';
    }
  }
  return out;
}

test('page states: the faults of any sequence of pins equal the page-by-page rules (anon 4k/THP/hugetlb, shared, aligned or not, 6.1, 6.2+ and 6.13+)', () => {
  fc.assert(
    fc.property(
      fc.record({ pages: fc.integer({ min: 1, max: 2000 }), shift: fc.constantFrom(0, 3, 9), hugetlb: fc.boolean(), shared: fc.boolean(), startPage: fc.integer({ min: 0, max: 1024 }), unshare: fc.boolean(), thp: fc.boolean() }),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { maxLength: 25 }),
      (k, pins) => {
        // hugetlb regions are aligned and whole folios (mmap refuses others).
        const per = 2 ** k.shift;
        const kind: RegionKind = k.hugetlb && k.shift > 0 ? { pages: Math.ceil(k.pages / per) * per, folioShift: k.shift, hugetlb: true, shared: k.shared, startPage: k.startPage * per } : { pages: k.pages, folioShift: k.shift, hugetlb: false, shared: k.shared, startPage: k.startPage };
        const states = new PageStates(kind, false);
        const ref: State[] = new Array(kind.pages).fill(null);
        for (const [a, b, write] of pins) {
          const idx = a % kind.pages;
          const n = 1 + (b % (kind.pages - idx));
          assert.deepEqual(states.pin(idx, n, write, { unshareZero: k.unshare, thpOnHugeZeroWp: k.thp }), referencePin(ref, kind, idx, n, write, k.unshare, k.thp));
        }
      },
    ),
  );
});

test('page states: 30,000 scattered one-page pins, each a range of its own, fault each page as the kernel does (a script mapping pages apart)', () => {
  // Each pin leaves a range of its own. Rebuilding every range on each pin
  // (the old store) took ~8 s for 20,000 such pins and grew as the square;
  // the ranges' search and splice take ~50 ms for these 30,000. No wall-clock
  // bound here: on a loaded host (load 14 on 2 cores) this took 9 s, so speed
  // belongs to `vdpa-lab bench`, measured side by side; this test keeps the answers.
  const n = 30_000;
  const states = new PageStates({ pages: 2 * n, folioShift: 0, hugetlb: false, shared: false, startPage: 0 }, false);
  let faults = 0;
  const rules = { unshareZero: true, thpOnHugeZeroWp: true };
  for (let i = n - 1; i >= 0; i--) faults += states.pin(2 * i, 1, i % 3 !== 0, rules).folios;
  // Read pins (every third) fault twice under v6.2+ rules: the zero page, then its unshare.
  assert.equal(faults, n + Math.ceil(n / 3));
  // Every hole filled by a write pin: each read-only page takes one write fault more, the holes one each.
  assert.deepEqual(states.pin(0, 2 * n, true, rules), { folios: n + Math.ceil(n / 3), pages: n });
  assert.deepEqual(states.pin(0, 2 * n, true, rules), { folios: 0, pages: 0 });
});

test('a cell without prealloc pays first-touch faults of RAM at boot only; prealloc pays none for RAM; resets cost the same', async () => {
  const { profile, hash } = defaultProfile();
  const run = (prealloc: boolean) => runCell(cell({ parent: 'vdpa_sim', variant: 'set_map', backing: '4k', meanRun: 4, ...(prealloc ? { prealloc: true as const } : {}) }), { profile, profileHash: hash, samples: 0 });
  const lazy = await run(false);
  const eager = await run(true);
  assert.equal(lazy.status, 'ok', lazy.reason ?? '');
  const guestPages = 64 * 2 ** 20 / 4096;
  // Boot maps all of RAM but the VGA/BIOS hole (0xa0000-0x100000: 96 pages).
  // QEMU 10.0's shadow CVQ is fresh shared memory whatever the prealloc (vm.ts, svqMmap): its two buffers and
  // two ring pages (64 entries: a page per area) fault at boot, the two ring pages again at each of the two guest resets.
  const svq = 4 + 2 * 2;
  assert.equal(lazy.counters.pagesFaulted, guestPages - 96 + svq);
  assert.equal(lazy.counters.faults, guestPages - 96 + svq);
  assert.equal(eager.counters.faults, svq);
  const boot = (r: typeof lazy) => r.modeled!.events[0];
  assert.ok(boot(lazy).totalNs > boot(eager).totalNs, 'boot costs more when it faults RAM in');
  assert.equal(lazy.modeled!.perResetNs, eager.modeled!.perResetNs);
  assert.notEqual(lazy.id, eager.id);
  assert.ok(eager.label.includes('prealloc') && !lazy.label.includes('prealloc'));
});

test('two devices of one VM fault each page once: they pin the same RAM', async () => {
  const { profile, hash } = defaultProfile();
  const r = await runCell(cell({ parent: 'vdpa_sim', variant: 'set_map', backing: '4k', devices: 2 }), { profile, profileHash: hash, samples: 0 });
  assert.equal(r.status, 'ok', r.reason ?? '');
  assert.ok(r.counters.pagesPinned >= 2 * 2 * (16384 - 96), 'both devices pin all RAM at boot and again at each reset');
  // Each device has shadow CVQ memory of its own (4 pages at boot); device 0's ring pages (2) fault again at each guest reset.
  assert.equal(r.counters.pagesFaulted, 16384 - 96 + 2 * 4 + 2 * 2);
});
