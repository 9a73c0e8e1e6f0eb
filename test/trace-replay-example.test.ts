/**
 * The shipped replay of the real QEMU 7.2 trace stays what the lab prints:
 * workloads/traces/…baseline.replay.txt is the whole output of the command
 * workloads/traces/README.md names, and docs/replay.md quotes an excerpt of
 * it. A model change that moves a modeled figure of the replay fails here
 * until both are made again with that command. The last line is the
 * simulator's own wall clock, which differs per run, and is not compared.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fencedBlocks } from './support/doc-commands.js';
import { REPO } from './support/probe.js';

const CLI = join(REPO, 'dist', 'src', 'cli', 'main.js');
/** Run from workloads/traces, as its README says, so the output names the trace as given there. */
const TRACES = join(REPO, 'workloads', 'traces');
const TRACE = 'qemu-7.2-vdpa_sim-6.12.117-baseline.log';
const SAVED = 'qemu-7.2-vdpa_sim-6.12.117-baseline.replay.txt';

const modeledLines = (text: string) => text.split('\n').filter((l) => !l.startsWith('Replayed in '));

test('the saved replay of the QEMU 7.2 trace, and docs/replay.md\'s excerpt of it, are what `replay --what-if persist` prints now', () => {
  const r = spawnSync(process.execPath, [CLI, 'replay', TRACE, '--what-if', 'persist'], { encoding: 'utf8', cwd: TRACES });
  assert.equal(r.status, 0, r.stderr);
  const now = modeledLines(r.stdout);
  assert.deepEqual(modeledLines(readFileSync(join(TRACES, SAVED), 'utf8')), now, `workloads/traces/${SAVED} is stale: write it again there with \`vdpa-lab replay ${TRACE} --what-if persist > ${SAVED}\``);
  const doc = readFileSync(join(REPO, 'docs/replay.md'), 'utf8');
  const excerpt = fencedBlocks(doc).find((b) => b.lines.some((l) => l.startsWith('Replay of qemu-7.2-vdpa_sim-6.12.117-baseline.log')));
  assert.ok(excerpt, 'docs/replay.md quotes the replay');
  for (const line of excerpt.lines) {
    if (line.trim() === '...' || line.trim() === '') continue;
    // A line cut short with "..." is a prefix of the printed one.
    const shown = line.endsWith('...') ? line.slice(0, -3) : line;
    assert.ok(now.some((l) => (line.endsWith('...') ? l.startsWith(shown) : l === shown)), `docs/replay.md shows a line the replay no longer prints:\n${line}`);
  }
});
