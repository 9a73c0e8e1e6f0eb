import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProfile } from '../src/cost/index.js';
import { PACKAGE_ROOT } from '../src/workload/index.js';
import { dropPersistedRemaps, replayTrace, type ReplayOptions } from '../src/runner/replay/index.js';
import { parseTrace, rebuildStreams } from '../src/vmm/trace/index.js';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const REAL = resolve(PACKAGE_ROOT, 'workloads/traces/qemu-7.2-vdpa_sim-6.12.117-baseline.log');
const { profile, hash } = loadProfile(resolve(PACKAGE_ROOT, 'workloads/profiles/default.json'));

function options(over: Partial<ReplayOptions> = {}): ReplayOptions {
  return { kernel: 'reset-map', parent: 'vdpa_sim', backing: 'thp', backingGiven: false, whatIfPersist: false, profileName: 'default', profile, profileHash: hash, ...over };
}

/** Per segment (split at reset lines), counted straight from the text with regexes of its own. */
function expectedFromLines(text: string) {
  const segs = [{ maps: 0, unmaps: 0, batches: 0, pages: 0 }];
  for (const line of text.split('\n')) {
    if (/:vhost_vdpa_reset_device /.test(line)) segs.push({ maps: 0, unmaps: 0, batches: 0, pages: 0 });
    const s = segs[segs.length - 1];
    const map = /:vhost_vdpa_dma_map .* iova: 0x([0-9a-f]+) size: 0x([0-9a-f]+) /.exec(line);
    if (map) {
      s.maps++;
      const iova = BigInt(`0x${map[1]}`);
      const size = BigInt(`0x${map[2]}`);
      s.pages += Number((size + (iova & 0xfffn) + 0xfffn) / 0x1000n);
    }
    if (/:vhost_vdpa_dma_unmap /.test(line)) s.unmaps++;
    if (/:vhost_vdpa_listener_begin_batch /.test(line)) s.batches++;
  }
  return segs;
}

test('the real QEMU 7.2 trace replays one UPDATE per dma_map line, one INVALIDATE per dma_unmap line, in its batches, pinning exactly the pages the maps cover', () => {
  const text = readFileSync(REAL, 'utf8');
  const want = expectedFromLines(text);
  assert.equal(want.length, 5, 'four resets in the trace');
  assert.equal(want.reduce((s, x) => s + x.maps, 0), 24);
  const o = replayTrace(text, REAL, options());
  assert.equal(o.trace.formatLabel, 'QEMU 7.2');
  assert.equal(o.devices.length, 1, 'the net device and its CVQ device share fd 3');
  const segs = o.devices[0].flows[0].replay.segments!;
  assert.deepEqual(segs.map((s) => s.name), ['boot', 'reset 1', 'reset 2', 'reset 3', 'reset 4', 'close']);
  want.forEach((w, i) => {
    const s = segs[i];
    assert.equal(s.updates, w.maps, `${s.name}: UPDATEs`);
    assert.equal(s.invalidates, w.unmaps, `${s.name}: INVALIDATEs`);
    assert.equal(s.batches, w.batches, `${s.name}: batches`);
    assert.equal(s.messages, w.maps + w.unmaps + 2 * w.batches, `${s.name}: every message is a traced line`);
    assert.equal(s.pagesPinned, w.pages, `${s.name}: pages pinned`);
    assert.deepEqual(s.refusals, []);
  });
  const counters = o.devices[0].flows[0].replay.counters;
  assert.equal(counters.pagesPinned, want.reduce((s, x) => s + x.pages, 0));
  assert.equal(counters.pagesUnpinned, counters.pagesPinned, 'close unpins whatever the trace left mapped');
  // vdpa_sim with batch_mapping=1: one set_map per batch, none per message inside it.
  assert.equal(counters.setMaps, want.reduce((s, x) => s + x.batches, 0));
});

test('a legacy kernel refuses PERSIST: the what-if is n/a with the errno', () => {
  const o = replayTrace(readFileSync(REAL, 'utf8'), REAL, options({ kernel: 'legacy', whatIfPersist: true }));
  const p = o.devices[0].flows[1].replay;
  assert.equal(p.segments, null);
  assert.match(p.notApplicable!, /EOPNOTSUPP/);
});

/** A lab-made 7.2-format trace: boot maps two sections, then N resets each unmapping and re-mapping them. */
function syntheticTrace(resets: number, movedAt: number | null): string {
  const l: string[] = ['vhost_vdpa_init dev: 0x5501 vdpa: 0x7f01'];
  const sections = [
    { iova: 0x0, size: 0xa0000, uaddr: 0x7f0000000000 },
    { iova: 0x100000, size: 0x7ff00000, uaddr: 0x7f0000100000 },
  ];
  const map = (base: number) => {
    l.push('vhost_vdpa_listener_begin_batch vdpa:0x7f01 fd: 5 msg_type: 2 type: 5');
    for (const s of sections) l.push(`vhost_vdpa_dma_map vdpa:0x7f01 fd: 5 msg_type: 2 iova: 0x${(s.iova + base).toString(16)} size: 0x${s.size.toString(16)} uaddr: 0x${s.uaddr.toString(16)} perm: 0x3 type: 2`);
    l.push('vhost_vdpa_listener_commit vdpa:0x7f01 fd: 5 msg_type: 2 type: 6');
    l.push('vhost_vdpa_add_status dev: 0x5501 status: 0x4');
  };
  const unmap = (base: number) => {
    l.push('vhost_vdpa_listener_begin_batch vdpa:0x7f01 fd: 5 msg_type: 2 type: 5');
    for (const s of sections) l.push(`vhost_vdpa_dma_unmap vdpa:0x7f01 fd: 5 msg_type: 2 iova: 0x${(s.iova + base).toString(16)} size: 0x${s.size.toString(16)} type: 3`);
    l.push('vhost_vdpa_listener_commit vdpa:0x7f01 fd: 5 msg_type: 2 type: 6');
  };
  l.push('vhost_vdpa_add_status dev: 0x5501 status: 0xb');
  let base = 0;
  map(base);
  for (let r = 0; r < resets; r++) {
    l.push('vhost_vdpa_reset_device dev: 0x5501 status: 0x0');
    l.push('vhost_vdpa_add_status dev: 0x5501 status: 0x3');
    unmap(base);
    // A switch to shadow virtqueues: the same memory at new IOVAs.
    if (r === movedAt) base = 0x100000000;
    l.push('vhost_vdpa_add_status dev: 0x5501 status: 0x8');
    map(base);
  }
  return l.map((x, i) => `42@${1000 + i}.000001:${x}`).join('\n') + '\n';
}

for (const n of [1, 3, 5]) {
  test(`--what-if persist on a trace with ${n} resets drops exactly the re-maps of those resets`, () => {
    const text = syntheticTrace(n, null);
    const stream = rebuildStreams(parseTrace(text, 's.log').events, 's.log').devices[0];
    const p = dropPersistedRemaps(stream.ops);
    assert.deepEqual(p.pairsDroppedPerReset, Array(n).fill(2), 'both sections, at every reset');
    // Per reset: 2 INVALIDATE + 2 UPDATE + both emptied batches (4 messages).
    assert.equal(p.droppedLines.length, n * 8);
    const o = replayTrace(text, 's.log', options({ whatIfPersist: true }));
    const [w, q] = o.devices[0].flows.map((f) => f.replay.segments!);
    const boot = w[0].pagesPinned;
    assert.equal(q[0].pagesPinned, boot, 'boot maps the same');
    for (let r = 1; r <= n; r++) {
      assert.equal(w[r].pagesPinned, boot, 'the workaround re-pins the guest at every reset');
      assert.equal(q[r].pagesPinned, 0, 'persist re-pins nothing');
      assert.equal(q[r].messages, 0);
      assert.ok(q[r].totalNs < w[r].totalNs);
      assert.deepEqual(q[r].viewProblems, [], 'with PERSIST the running device still translates');
    }
  });
}

test('--what-if persist keeps the re-map of a reset that moves the IOVAs (shadow virtqueues)', () => {
  const text = syntheticTrace(3, 1);
  const stream = rebuildStreams(parseTrace(text, 's.log').events, 's.log').devices[0];
  assert.deepEqual(dropPersistedRemaps(stream.ops).pairsDroppedPerReset, [2, 0, 2]);
  const o = replayTrace(text, 's.log', options({ whatIfPersist: true }));
  const q = o.devices[0].flows[1].replay.segments!;
  assert.equal(q[2].pagesPinned, q[0].pagesPinned, 'new IOVAs: everything re-pinned');
  assert.equal(q[2].pagesUnpinned, q[0].pagesPinned);
});

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

test('replay --out writes a results file that report and gate accept unchanged', () => {
  const dir = tempDir('replay');
  const r = cli(['replay', REAL, '--what-if', 'persist', '--out', dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /QEMU 7\.2 trace format/);
  assert.match(r.stdout, /Backing: thp by default/);
  assert.match(r.stdout, /reset-map kernel, parent vdpa_sim/);
  const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  assert.equal(results.schema, 'vdpa-lab/results@3');
  assert.deepEqual(results.cells.map((c: { params: { flow: string } }) => c.params.flow), ['workaround', 'persist']);
  const gate = cli(['gate', '--baseline', join(dir, 'results.json'), '--current', join(dir, 'results.json')]);
  assert.equal(gate.status, 0, gate.stderr + gate.stdout);
  const report = cli(['report', join(dir, 'results.json'), '--out', join(dir, 'report'), '--no-png', '--quiet']);
  assert.equal(report.status, 0, report.stderr);
  assert.ok(existsSync(join(dir, 'report', 'index.html')));
  // A second replay into the same directory replaces its own file.
  assert.equal(cli(['replay', REAL, '--out', dir, '--json']).status, 0);
});

test('replay --json prints the summary with per-reset savings', () => {
  const r = cli(['replay', REAL, '--what-if', 'persist', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.trace.format, 'QEMU 7.2');
  assert.equal(s.backing.source, 'default');
  assert.equal(s.devices[0].savingPerResetNs.length, 4);
  assert.ok(s.devices[0].savingPerResetNs[0] > 0);
  assert.equal(s.devices[0].savingPerResetNs[3], 0, 'the last reset unmaps for good: nothing to save');
});

test('bad traces exit 2 with one line naming the line and the reason, and write nothing', () => {
  const dir = tempDir('replay-bad');
  const good = readFileSync(REAL, 'utf8');
  const cases: [string, string, RegExp][] = [
    ['not-a-trace.log', 'just some text\n', /not a QEMU vhost-vdpa trace/],
    ['truncated.log', good.slice(0, good.length - 30), /line 404: truncated last line/],
    ['bad-line.log', good.replace('perm: 0x3 type: 2', 'perm: zz type: 2'), /line 66: vhost_vdpa_dma_map: arguments match no/],
    ['mixed.log', `${good}187@1796053365.5:vhost_vdpa_dma_unmap vdpa_shared:0x7f3085427190 fd: 3 msg_type: 2 asid: 0 iova: 0x0 size: 0x1000 type: 3\n`, /line 405: unknown QEMU format/],
  ];
  for (const [name, text, want] of cases) {
    const file = join(dir, name);
    writeFileSync(file, text);
    const out = join(dir, `out-${name}`);
    const r = cli(['replay', file, '--out', out]);
    assert.equal(r.status, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, want);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line`);
    assert.equal(existsSync(out), false, `${name}: nothing written`);
  }
  assert.equal(cli(['replay', REAL, '--backing', '2m']).status, 2);
});

test('replay --backend sends the real kernel the batch_mapping the model replayed (--variant dma_map), in the script and its plan', async () => {
  const { recordReplay } = await import('../src/runner/real/replay-real.js');
  const text = readFileSync(REAL, 'utf8');
  for (const variant of [undefined, 'dma_map', 'set_map'] as const) {
    const r = recordReplay(text, REAL, options({ variant }));
    const want = variant ?? 'set_map';
    assert.ok(r.plans.length > 0);
    for (const [i, plan] of r.plans.entries()) {
      assert.equal(plan.params.variant, want);
      assert.equal(JSON.parse(r.scripts[i].text.split('\n')[0]).variant, want);
    }
  }
});
