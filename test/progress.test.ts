/** Progress lines: cut to the terminal's width, plain under CI and TERM=dumb. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canRewrite, fitLine, makeProgress } from '../src/cli/progress.js';

function fakeStream(isTTY: boolean, columns: number) {
  const written: string[] = [];
  const stream = { isTTY, columns, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

test('a rewritten line never reaches the last column, so it cannot wrap', () => {
  const long = `[3/24] eta 12 s ${'mlx5 reset-map workaround 64GiB thp x2 profile=mlx5-2024 '.repeat(3)}`;
  for (const cols of [20, 80, 200]) {
    const fitted = fitLine(long, cols);
    assert.ok([...fitted].length <= cols - 1, `${cols}: ${fitted.length}`);
  }
  assert.equal(fitLine('short', 80), 'short');
  assert.ok(fitLine(long, 80).endsWith('…'));
  const { stream, written } = fakeStream(true, 40);
  makeProgress(false, stream, {}).update(long);
  assert.equal(written[0], `\r\x1b[2K${fitLine(long, 40)}`);
});

test('CI and TERM=dumb get plain lines without escapes, even on a terminal', () => {
  assert.equal(canRewrite({}, true), true);
  assert.equal(canRewrite({ CI: 'true' }, true), false);
  assert.equal(canRewrite({ TERM: 'dumb' }, true), false);
  assert.equal(canRewrite({}, false), false);
  for (const env of [{ CI: '1' }, { TERM: 'dumb' }]) {
    const { stream, written } = fakeStream(true, 80);
    const p = makeProgress(false, stream, env);
    p.update('one');
    p.update('two');
    p.done();
    assert.deepEqual(written, ['one\n', 'two\n']);
  }
});
