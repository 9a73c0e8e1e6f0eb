/**
 * Big guests (#13): shared buffers past 2 GiB, and guests or exec regions
 * too large for this machine refused up front with the estimate and the limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RadixIotlb } from '../src/iotlb/index.js';
import { regionProblem } from '../src/host/index.js';
import { parseWorkload } from '../src/workload/index.js';
import { cellMemoryNeed, MAX_TREE_ENTRIES, memoryProblem } from '../src/workload/memory-need.js';

const GiB = 2 ** 30;

function cellOf(ram: string, meanRun: number, devices = 1) {
  const w = { schema: 1, name: 'big', measure: { samples: 0 }, matrix: { guest: { ram, backing: '4k', meanRun }, devices: { parent: 'mlx5', count: devices }, kernel: 'legacy', flow: 'workaround', events: ['boot', 'guest-reset'] } };
  return w;
}

test('an IOTLB whose record buffer is 2 GiB or more builds its views (was: Invalid typed array length)', () => {
  // 2^26 entries of 32 bytes: a 2 GiB record buffer, committed only where touched.
  const t = new RadixIotlb({ initialEntries: 2 ** 26 });
  t.addRange(0x1000n, 0x1fffn, 0x5000n, 3);
  assert.equal(t.count, 1);
  assert.equal(t.translate(0x1234n)?.addr, 0x5234n);
});

test('a 512 GiB 4k guest of mean run 1 fits one tree and 16 GiB by the estimate', () => {
  const { cells } = parseWorkload(cellOf('512GiB', 1), 'w');
  const need = cellMemoryNeed(cells[0]);
  assert.ok(need.entriesPerDevice <= MAX_TREE_ENTRIES, `${need.entriesPerDevice} entries`);
  assert.ok(need.bytes > 6 * GiB && need.bytes < 16 * GiB, `${need.bytes / GiB} GiB`);
  assert.equal(memoryProblem(cells[0], 64 * GiB), null);
});

test('a guest past the machine limit is refused with the estimate and the limit', () => {
  const { cells } = parseWorkload(cellOf('512GiB', 1), 'w');
  assert.match(memoryProblem(cells[0], 4 * GiB) ?? '', /^this guest needs about 7\.\d GiB of memory \(134,217,\d+ IOTLB entries per device.*more than this machine's limit of 4 GiB/);
});

test('a 1 TiB 4k guest of mean run 1 is refused: more entries than one tree holds', () => {
  assert.throws(() => parseWorkload(cellOf('1TiB', 1), 'w'), /matrix\.guest\.ram: this guest needs about 268,435,\d+ IOTLB entries per device, more than the 134,217,727 one tree holds/);
});

test('4 TiB 4k guests with a longer mean run are accepted where memory allows', () => {
  const { cells } = parseWorkload(cellOf('4TiB', 64), 'w');
  assert.equal(memoryProblem(cells[0], 64 * GiB), null);
});

test('exec regions: 32 and 64 TiB 4k regions are refused with their frame tables and the limit', () => {
  assert.match(regionProblem(2 ** 33, '4k', 16 * GiB) ?? '', /^a 4k region of 32 TiB needs about 40 GiB of frame tables once pinned, more than this machine's limit of 16 GiB/);
  assert.match(regionProblem(2 ** 34, '4k', 16 * GiB) ?? '', /64 TiB needs about 80 GiB/);
  assert.match(regionProblem(2 ** 34, '4k', 2 ** 60) ?? '', /has 17179869184 folios, past the lab's 4294967296 per region/);
  assert.equal(regionProblem(2 ** 34, 'thp', 16 * GiB), null);
});
