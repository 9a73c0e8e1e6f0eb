/**
 * `run --emit-trace`: each cell's message stream as the QEMU trace a real
 * QEMU would log, which `replay` turns back into the cell's kernel counters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workloadFile } from './support/workload-file.js';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

/**
 * Counters of the VMM (QEMU's side) and ioctls QEMU does not trace (GET_BACKEND_FEATURES) are not in a trace.
 * vmmMunmaps is: a replay infers each shadow ring's munmap from its INVALIDATE (fresh-shadow.ts). Its mmaps it
 * counts with them, not at the starts a trace does not show.
 */
const NOT_TRACED = new Set(['vqConfigures', 'deviceStarts', 'svqSwitches', 'vmmMmaps', 'ioctls']);

test("a replay of an emitted trace gives back every kernel counter of the cell (4k guests, one entry per page, so region boundaries cannot move entries)", () => {
  const { dir, path: w } = workloadFile('emit', {
    // nas 1: QEMU batches in ASID 0 only, and the trace format carries no batch ASID.
    matrix: { guest: { ram: ['256MiB', '1GiB'], backing: '4k', meanRun: 1 }, devices: { parent: 'vdpa_sim', variant: ['set_map', 'dma_map'], useVa: false, count: [1, 2], queuePairs: 1, nas: 1 }, kernel: 'reset-map', flow: 'workaround', events: ['boot', 'guest-reset*2', 'reboot', 'close'], memlock: 'unlimited' },
  });
  const out = join(dir, 'out');
  const traces = join(dir, 'traces');
  const r = cli(['run', w, '--out', out, '--emit-trace', traces, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const cells = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).cells as { id: string; label: string; params: { variant: string; devices: number }; counters: Record<string, number> }[];
  assert.equal(cells.length, 8);
  for (const c of cells) {
    const trace = join(traces, `${c.id}.log`);
    assert.ok(existsSync(trace), c.label);
    const rd = join(dir, `replay-${c.id}`);
    // The variant is a module parameter, not in a trace: the replay is told it.
    const rr = cli(['replay', trace, '--backing', '4k', '--mean-run', '1', '--variant', c.params.variant ?? 'set_map', '--out', rd]);
    assert.equal(rr.status, 0, `${c.label}: ${rr.stderr}`);
    const replayed = (JSON.parse(readFileSync(join(rd, 'results.json'), 'utf8')).cells as { params: { flow: string }; counters: Record<string, number> }[]).filter((x) => x.params.flow === 'workaround');
    assert.equal(replayed.length, c.params.devices, `${c.label}: one replayed fd per device`);
    // Each device is its own fd in the trace; the cell counts every device on one host mm.
    const sum: Record<string, number> = {};
    for (const x of replayed) for (const [k, v] of Object.entries(x.counters)) sum[k] = (sum[k] ?? 0) + v;
    for (const k of new Set([...Object.keys(c.counters), ...Object.keys(sum)])) {
      if (NOT_TRACED.has(k)) continue;
      assert.equal(sum[k] ?? 0, c.counters[k] ?? 0, `${c.label}: ${k}`);
    }
  }
});

test('nas 2: the CVQ in ASID 1 (SET_GROUP_ASID, its buffers and shadow vrings one unbatched message each) and the data SVQ rings replay to every kernel counter of the cell, on vdpa_sim and mlx5', () => {
  const { dir, path: w } = workloadFile('emit-nas2', {
    matrix: [
      { guest: { ram: '256MiB', backing: '4k', meanRun: 1 }, devices: { parent: 'vdpa_sim', variant: ['set_map', 'dma_map'], useVa: false, count: [1, 2], queuePairs: 2, nas: 2 }, kernel: 'reset-map', flow: 'workaround', events: ['boot', 'guest-reset', 'migrate-svq', 'svq-cancel', 'reboot', 'close'] },
      { guest: { ram: '256MiB', backing: '4k', meanRun: 1 }, devices: { parent: 'mlx5', queuePairs: 2, nas: 2 }, kernel: ['legacy', 'reset-map'], qemu: ['10.0', '10.1+'], flow: 'workaround', events: ['boot', 'guest-reset', 'migrate-svq', 'close'] },
    ],
  });
  const out = join(dir, 'out');
  const traces = join(dir, 'traces');
  const r = cli(['run', w, '--out', out, '--emit-trace', traces, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const cells = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).cells as { id: string; label: string; params: { parent: string; kernel: string; variant: string | null; devices: number }; counters: Record<string, number> }[];
  assert.equal(cells.length, 8);
  for (const c of cells) {
    const trace = join(traces, `${c.id}.log`);
    const text = readFileSync(trace, 'utf8');
    assert.match(text, /vhost_vdpa_set_address_space_id vhost_vdpa: 0x[0-9a-f]+ vq_group: 1 asid: 1/, c.label);
    assert.match(text, /vhost_vdpa_dma_map vdpa_shared:\S+ fd: \d+ msg_type: 2 asid: 1 /, c.label);
    const rd = join(dir, `replay-${c.id}`);
    const rr = cli(['replay', trace, '--backing', '4k', '--mean-run', '1', '--parent', c.params.parent, '--kernel', c.params.kernel, ...(c.params.variant ? ['--variant', c.params.variant] : []), '--out', rd]);
    assert.equal(rr.status, 0, `${c.label}: ${rr.stderr}`);
    const replayed = JSON.parse(readFileSync(join(rd, 'results.json'), 'utf8')).cells as { status: string; reason: string | null; counters: Record<string, number> }[];
    assert.equal(replayed.length, c.params.devices);
    const sum: Record<string, number> = {};
    for (const x of replayed) for (const [k, v] of Object.entries(x.counters)) sum[k] = (sum[k] ?? 0) + v;
    for (const k of new Set([...Object.keys(c.counters), ...Object.keys(sum)])) {
      if (NOT_TRACED.has(k)) continue;
      assert.equal(sum[k] ?? 0, c.counters[k] ?? 0, `${c.label}: ${k}`);
    }
  }
});

test("each release's trace in its own format: a replay adds QEMU 8.1+'s untraced CVQ isolation probe (a reset, before any map) exactly where the release ran it, and none to 7.2 or 8.0", () => {
  const releases = ['7.2', '8.0', '8.1', '9.0', '10.0', '10.1+'];
  const { dir, path: w } = workloadFile('probe', { matrix: { guest: { ram: '256MiB', backing: '4k', meanRun: 1 }, devices: { parent: ['vdpa_sim', 'mlx5'], useVa: false, queuePairs: 1, nas: 2 }, kernel: ['legacy', 'reset-map'], qemu: releases, flow: 'workaround', events: ['boot', 'guest-reset', 'close'] } });
  const out = join(dir, 'out');
  const traces = join(dir, 'traces');
  assert.equal(cli(['run', w, '--out', out, '--emit-trace', traces, '--quiet']).status, 0);
  const cells = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).cells as { id: string; label: string; params: { parent: string; kernel: string; qemu: string }; counters: Record<string, number> }[];
  assert.equal(cells.length, 24);
  const resets = new Map<string, number>();
  for (const c of cells) {
    const text = readFileSync(join(traces, `${c.id}.log`), 'utf8');
    assert.ok(!/get_vring_group|set_features/.test(text), `${c.label}: QEMU traces nothing of the probe`);
    const rd = join(dir, `replay-${c.id}`);
    const rr = cli(['replay', join(traces, `${c.id}.log`), '--backing', '4k', '--mean-run', '1', '--parent', c.params.parent, '--kernel', c.params.kernel, '--out', rd]);
    assert.equal(rr.status, 0, `${c.label}: ${rr.stderr}`);
    const [x] = JSON.parse(readFileSync(join(rd, 'results.json'), 'utf8')).cells as { counters: Record<string, number> }[];
    for (const k of new Set([...Object.keys(c.counters), ...Object.keys(x.counters)])) {
      if (NOT_TRACED.has(k)) continue;
      assert.equal(x.counters[k] ?? 0, c.counters[k] ?? 0, `${c.label}: ${k}`);
    }
    if (c.params.parent === 'vdpa_sim' && c.params.kernel === 'reset-map') resets.set(c.params.qemu, c.counters.resets);
  }
  // The probe's reset: one more from 8.1 on (7.2 also has no SUSPEND, so its stops reset once, as 8.0+'s do with it).
  assert.equal(resets.get('8.1')! - resets.get('8.0')!, 1);
  // 9.2+'s virtio_reset: the machine's first reset and the driver's probe at boot, one after the guest reset's stop.
  assert.equal(resets.get('9.0'), resets.get('8.1'));
  assert.equal(resets.get('10.0')! - resets.get('9.0')!, 3);
  assert.equal(resets.get('10.1+'), resets.get('10.0'));
});

test('a THP guest replays exactly too: the VGA/ROM hole no longer splits pc.ram (THP chunks stay 2 MiB from the block start) and the small shadow-buffer block is 4k', () => {
  const { dir, path: w } = workloadFile('thp', { matrix: { guest: { ram: ['1GiB', '4GiB'], backing: 'thp' }, devices: { parent: ['vdpa_sim', 'mlx5'], useVa: false, queuePairs: 1, nas: 2 }, kernel: 'reset-map', flow: 'workaround', events: ['boot', 'guest-reset', 'close'] } });
  const out = join(dir, 'out');
  const traces = join(dir, 'traces');
  assert.equal(cli(['run', w, '--out', out, '--emit-trace', traces, '--quiet']).status, 0);
  const cells = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).cells as { id: string; label: string; params: { parent: string }; counters: Record<string, number> }[];
  for (const c of cells) {
    const rd = join(dir, `replay-${c.id}`);
    const rr = cli(['replay', join(traces, `${c.id}.log`), '--backing', 'thp', '--parent', c.params.parent, '--kernel', 'reset-map', '--out', rd]);
    assert.equal(rr.status, 0, `${c.label}: ${rr.stderr}`);
    const [x] = JSON.parse(readFileSync(join(rd, 'results.json'), 'utf8')).cells as { counters: Record<string, number> }[];
    for (const k of new Set([...Object.keys(c.counters), ...Object.keys(x.counters)])) {
      if (NOT_TRACED.has(k)) continue;
      assert.equal(x.counters[k] ?? 0, c.counters[k] ?? 0, `${c.label}: ${k}`);
    }
  }
});

test('--emit-trace at a bad path is refused before any cell runs', () => {
  const dir = tempDir('emit-bad');
  const file = join(dir, 'f');
  writeFileSync(file, 'x');
  const r = cli(['run', '--emit-trace', join(file, 'sub'), '--out', join(dir, 'out'), '--quiet']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--emit-trace/);
  assert.equal(existsSync(join(dir, 'out')), false, 'nothing written');
});
