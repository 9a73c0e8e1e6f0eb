/** The workload format: expansion into cells, and every bad input named by its JSON path. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSize, parseWorkload } from '../src/workload/index.js';

const base = () => ({
  schema: 1,
  name: 't',
  matrix: {
    guest: { ram: '1GiB' },
    devices: { parent: 'mlx5' },
    kernel: 'reset-map',
    flow: 'workaround',
  } as Record<string, unknown>,
});

function problem(mut: (w: ReturnType<typeof base>) => void): string {
  const w = base();
  mut(w);
  try {
    parseWorkload(w, 'w.json');
  } catch (e) {
    assert.equal((e as Error).name, 'InputError');
    return (e as Error).message;
  }
  assert.fail('expected an InputError');
}

test('lists expand into the cross product, in a stable order with stable ids', () => {
  const w = base();
  Object.assign(w.matrix, { kernel: ['legacy', 'reset-map'], flow: ['workaround', 'persist', 'naive'] });
  (w.matrix.guest as Record<string, unknown>).ram = ['1GiB', '2GiB'];
  const a = parseWorkload(w, 'w.json').cells;
  const b = parseWorkload(structuredClone(w), 'w.json').cells;
  assert.equal(a.length, 12);
  assert.deepEqual(a.map((c) => c.id), b.map((c) => c.id));
  assert.equal(new Set(a.map((c) => c.id)).size, 12);
  assert.deepEqual(a[0].params.events, ['boot', 'guest-reset', 'guest-reset', 'guest-reset', 'close'], 'default events');
});

test('list-valued leaves expand only when given a list of lists', () => {
  const w = base();
  w.matrix.events = [['boot', 'guest-reset*2'], ['boot', 'reboot', 'close']];
  (w.matrix.guest as Record<string, unknown>).dimms = ['256MiB', '256MiB'];
  const cells = parseWorkload(w, 'w.json').cells;
  assert.equal(cells.length, 2);
  assert.deepEqual(cells[0].params.events, ['boot', 'guest-reset', 'guest-reset', 'close'], 'close appended');
  assert.deepEqual(cells[1].params.events, ['boot', 'reboot', 'close']);
  assert.deepEqual(cells[0].params.dimms, [2 ** 28, 2 ** 28]);
});

test('a variant list does not duplicate cells of parents without variants', () => {
  const w = base();
  w.matrix.devices = { parent: ['mlx5', 'vdpa_sim'], variant: ['set_map', 'dma_map'] };
  const cells = parseWorkload(w, 'w.json').cells;
  assert.deepEqual(cells.map((c) => `${c.params.parent}:${c.params.variant}`), ['mlx5:null', 'vdpa_sim:set_map', 'vdpa_sim:dma_map']);
});

test('sizes: units, hex, and exactness', () => {
  assert.equal(parseSize('4GiB'), 4n * 2n ** 30n);
  assert.equal(parseSize('1.5GiB'), 3n * 2n ** 29n);
  assert.equal(parseSize('0x100000'), 2n ** 20n);
  assert.equal(parseSize(4096), 4096n);
  assert.match(parseSize('1.0000000001KiB') as string, /not a whole number/);
  assert.match(parseSize('4GB') as string, /not a size/);
  assert.match(parseSize(-1) as string, /non-negative/);
});

const CASES: [string, (w: ReturnType<typeof base>) => void, RegExp][] = [
  ['a zero size', (w) => ((w.matrix.guest as Record<string, unknown>).ram = 0), /^w\.json\.matrix\.guest\.ram: guest RAM must be at least/],
  ['a size beyond 2^64', (w) => ((w.matrix.guest as Record<string, unknown>).ram = '16EiB'), /^w\.json\.matrix\.guest\.ram: 18446744073709551616 bytes exceeds 2\^64 - 1/],
  ['a size beyond the lab', (w) => ((w.matrix.guest as Record<string, unknown>).ram = '8TiB'), /beyond the lab's 4 TiB guest limit/],
  ['an unaligned size', (w) => ((w.matrix.guest as Record<string, unknown>).ram = ['1GiB', '3MiB']), /^w\.json\.matrix\.guest\.ram\[1\]: guest RAM must be a multiple of 2097152 bytes with thp backing/],
  ['hugetlb needs whole GiBs', (w) => Object.assign(w.matrix.guest as object, { ram: '1536MiB', backing: 'hugetlb-1g' }), /multiple of 1073741824 bytes with hugetlb-1g/],
  ['an unknown parent', (w) => (w.matrix.devices = { parent: 'ifcvf' }), /^w\.json\.matrix\.devices\.parent: /],
  ['an unknown flow in a list', (w) => (w.matrix.flow = ['workaround', 'magic']), /^w\.json\.matrix\.flow\[1\]: /],
  ['an unknown event', (w) => (w.matrix.events = ['boot', 'hibernate']), /^w\.json\.matrix\.events\[1\]: an event: boot, incoming, guest-reset/],
  ['events not starting with boot', (w) => (w.matrix.events = ['guest-reset', 'close']), /^w\.json\.matrix\.events: the first event must be boot/],
  ['close in the middle', (w) => (w.matrix.events = ['boot', 'close', 'guest-reset']), /close may only come last/],
  ['an unknown field', (w) => (w.matrix.guest = { ram: '1GiB', colour: 'red' }), /^w\.json\.matrix\.guest: Unrecognized key/],
  ['VDUSE without use_va', (w) => (w.matrix.devices = { parent: 'vduse', useVa: false }), /^w\.json\.matrix\.devices\.useVa: VDUSE maps virtual addresses only/],
  ['mlx5 with use_va', (w) => (w.matrix.devices = { parent: 'mlx5', useVa: true }), /mlx5 maps physical pages only/],
  ['vdpa_sim with use_va on a legacy kernel', (w) => Object.assign(w.matrix, { devices: { parent: 'vdpa_sim', useVa: true }, kernel: 'legacy' }), /^w\.json\.matrix\.devices\.useVa: vdpa_sim on legacy kernels \(v6\.1\) has no use_va/],
  ['memlock below one map', (w) => (w.matrix.memlock = ['unlimited', '64MiB']), /^w\.json\.matrix\.memlock\[1\]: 67108864 bytes is below one map: the largest RAM section is \d+ bytes/],
  ['a wrong schema version', (w) => ((w as Record<string, unknown>).schema = 2), /^w\.json\.schema: /],
];

for (const [what, mut, re] of CASES) {
  test(`bad input: ${what} is named by its JSON path`, () => assert.match(problem(mut), re));
}

test('bad input: every problem is reported, on one line', () => {
  const msg = problem((w) => {
    w.matrix.flow = 'magic';
    w.matrix.kernel = 'v5.4';
  });
  assert.match(msg, /and 1 more: w\.json\.matrix\.(flow|kernel)/);
  assert.ok(!msg.includes('\n'));
});

test('every shipped workload and profile loads', async () => {
  const { readdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { loadWorkload, PACKAGE_ROOT, resolveProfilePath } = await import('../src/workload/index.js');
  const { loadProfile } = await import('../src/cost/index.js');
  for (const dir of ['workloads', 'workloads/bench']) {
    for (const f of readdirSync(join(PACKAGE_ROOT, dir)).filter((x) => x.endsWith('.json'))) {
      const w = loadWorkload(join(PACKAGE_ROOT, dir, f));
      assert.ok(w.cells.length > 0, f);
      for (const c of w.cells) loadProfile(resolveProfilePath(c.params.profile, w.path));
    }
  }
});
