/**
 * The `layout` op, answered by the model as the probe answers it on a real
 * kernel (pagemap): the physically contiguous runs behind the present pages
 * of a range, and how many pages are present. An absent page ends a run;
 * nothing present, no runs (native/guest-memory.c guest_physical_runs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../src/kernel/index.js';

const run = (lines: object[]) => {
  const s = new Session();
  return lines.map((l, i) => s.runLine(JSON.stringify(l), i + 1)!);
};

test('layout counts the runs behind the present pages: folios apart by default, side by side with a meanRun of several folios', () => {
  const at = '0x7f0000000000';
  const [, apart] = run([{ op: 'mmap', uaddr: at, size: '0x800000', backing: 'thp' }, { op: 'layout', uaddr: at, size: '0x800000' }]);
  assert.deepEqual([apart.ret, apart.runs, apart.pages], [0, 4, 2048], 'four 2 MiB folios, never adjacent');
  const [, together] = run([{ op: 'mmap', uaddr: at, size: '0x800000', backing: 'thp', meanRun: 2048 }, { op: 'layout', uaddr: at, size: '0x800000' }]);
  assert.deepEqual([together.runs, together.pages], [1, 2048], 'four folios side by side: one run');
  const [, fragmented] = run([{ op: 'mmap', uaddr: at, size: '0x200000', backing: '4k', meanRun: 1 }, { op: 'layout', uaddr: at, size: '0x200000' }]);
  assert.deepEqual([fragmented.runs, fragmented.pages], [512, 512], 'mean run 1: every page its own run');
});

test('layout: an absent page ends a run and is not counted; a range with nothing present answers no runs', () => {
  const at = 0x7f0000000000;
  const hex = (n: number) => `0x${n.toString(16)}`;
  // Two 2 MiB regions with a 2 MiB hole between them, and an unpopulated one.
  const answers = run([
    { op: 'mmap', uaddr: hex(at), size: '0x200000', backing: 'thp' },
    { op: 'mmap', uaddr: hex(at + 0x400000), size: '0x200000', backing: 'thp' },
    { op: 'layout', uaddr: hex(at), size: '0x600000' },
    { op: 'mmap', uaddr: hex(at + 0x1000000), size: '0x200000', backing: '4k', populate: false },
    { op: 'layout', uaddr: hex(at + 0x1000000), size: '0x200000' },
  ]);
  assert.deepEqual([answers[2].runs, answers[2].pages], [2, 1024]);
  assert.equal(answers[4].ret, 0);
  assert.equal(answers[4].runs, undefined, 'nothing faulted in: no layout');
  assert.equal(answers[4].pages, undefined);
});

test('a layout line of a range that is not whole pages is malformed, as a munmap line is', () => {
  const s = new Session();
  assert.throws(() => s.runLine(JSON.stringify({ op: 'layout', uaddr: '0x7f0000000001', size: '0x1000' }), 1), /line 1: uaddr: must be page-aligned/);
  assert.throws(() => s.runLine(JSON.stringify({ op: 'layout', uaddr: '0x7f0000000000', size: '0x0' }), 2), /line 2: size: must be a non-zero multiple of 4 KiB/);
});
