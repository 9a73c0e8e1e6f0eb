/**
 * `run --backend`: a cell's operation stream as an exec script, and the
 * same cells on a real kernel beside the model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session } from '../src/kernel/index.js';
import { recordCellScript, SAMPLE_EVENT } from '../src/runner/real/cell-script.js';
import { realFigures } from '../src/runner/real/real-figures.js';
import type { BackendAnswer } from '../src/real/model-run.js';
import { parseWorkload } from '../src/workload/index.js';
import { requireRealKernel, skipWithoutRealKernel } from './support/real-kernel.js';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

function workload(matrix: object) {
  return { schema: 1, name: 'real-test', seed: 1, profile: 'default', measure: { samples: 2 }, matrix };
}

const base = {
  guest: { ram: '1GiB', backing: 'thp' },
  devices: { parent: 'vdpa_sim', variant: ['set_map', 'dma_map'], useVa: false, count: 2, queuePairs: 2, nas: 2 },
  kernel: 'reset-map',
  flow: ['workaround', 'persist'],
  events: ['boot', 'guest-reset', 'reboot', 'migrate-svq', 'close'],
  memlock: 'unlimited',
};

test("a cell's recorded script, replayed through exec's session, answers every line as the cell's VM did", () => {
  const { cells } = parseWorkload(workload(base), 'w');
  assert.equal(cells.length, 4);
  for (const cell of cells) {
    const s = recordCellScript(cell, 2);
    const session = new Session();
    let compared = 0;
    s.text.split('\n').forEach((text, i) => {
      const a = session.runLine(text, i + 1);
      const info = s.lines.get(i + 1);
      if (!a || !info) return;
      assert.deepEqual([a.ret, a.errno, session.mm.pinnedVm], [info.model.ret, info.model.errno, info.model.pinnedVm], `${cell.label} line ${i + 1} ${a.op}`);
      compared++;
    });
    assert.ok(compared > 20, `${cell.label}: ${compared} lines compared`);
    assert.equal(session.mm.pinnedVm, 0, 'closed: nothing pinned');
    // Every event of the cell and the reset cycles are there, each line in one phase.
    const names = [...new Set([...s.lines.values()].map((l) => `${l.event}:${l.eventName}`))];
    assert.deepEqual(names, ['0:boot', '1:guest-reset', '2:reboot', '3:migrate-svq', `4:${SAMPLE_EVENT}`, `5:${SAMPLE_EVENT}`, '6:close']);
    const texts = s.text.split('\n');
    const reboot = [...s.lines].filter(([, l]) => l.eventName === 'reboot');
    const phases = new Set(reboot.map(([, l]) => l.phase));
    assert.ok(phases.has('reset') && phases.has('map') && phases.has('unmap'), cell.label);
    // Both flows unmap the shadow CVQ buffers (ASID 1) on stop; only the workaround unmaps guest RAM (ASID 0).
    const unmappedAsids = new Set(reboot.filter(([n]) => JSON.parse(texts[n - 1]).op === 'invalidate').map(([n]) => JSON.parse(texts[n - 1]).asid));
    assert.deepEqual([...unmappedAsids].sort(), cell.params.flow === 'workaround' ? [0, 1] : [1], cell.label);
  }
});

test('real figures book time per event and phase, take the reset cycles as a distribution, and name the first line that diverged', () => {
  const { cells } = parseWorkload(workload({ ...base, guest: { ...base.guest, prealloc: true }, devices: { ...base.devices, variant: 'set_map', count: 1 }, flow: 'workaround' }), 'w');
  const s = recordCellScript(cells[0], 3);
  const answers: BackendAnswer[] = [...s.lines].map(([line, info]) => ({ line, op: 'x', ret: info.model.ret as 0 | -1, errno: info.model.errno, cause: null, ns: 10, pinnedVm: info.model.pinnedVm }));
  // The probe's answers to populated mmaps carry the real layout (pagemap runs): 40 runs per region. QEMU 10.0's
  // shadow areas are mmapped unpopulated (8.1+: fresh MAP_SHARED memory), at setup and again at each stop: no layout.
  const populated = (t: string) => t.includes('"op":"mmap"') && !t.includes('"populate":false');
  const texts = s.text.split('\n');
  texts.forEach((t, i) => {
    if (populated(t)) answers.push({ line: i + 1, op: 'mmap', ret: 0, errno: null, cause: null, ns: 1, pinnedVm: 0, runs: 40 });
  });
  const who = { backend: 'vm:6.12', kernel: '6.12.117+deb12-amd64', accel: 'tcg' as const };
  const ok = realFigures(s, answers, who);
  assert.equal(ok.status, 'agree');
  const pages = texts.filter(populated).reduce((n, t) => n + Number(BigInt(JSON.parse(t).size) >> 12n), 0);
  assert.equal(ok.layout?.runs, 40 * texts.filter(populated).length);
  assert.equal(ok.layout?.pages, pages);
  assert.ok(texts.some((t) => t.includes('"op":"munmap"')), 'each stop munmaps the shadow rings');
  assert.deepEqual(ok.events.map((e) => e.name), ['boot', 'guest-reset', 'reboot', 'migrate-svq', 'close']);
  assert.equal(ok.resetCycleNs?.samples.length, 3);
  const reboot = ok.events[2];
  assert.equal(reboot.totalNs, reboot.ns.map + reboot.ns.unmap + reboot.ns.reset + reboot.ns.other);
  assert.equal(ok.perResetNs, Math.round((ok.events[1].totalNs + ok.events[2].totalNs) / 2));
  // A real kernel that pinned one page fewer on some line: diverged, naming it.
  const k = answers.findIndex((a) => (a.pinnedVm ?? 0) > 0);
  const bad = answers.map((a, i) => (i === k ? { ...a, pinnedVm: (a.pinnedVm ?? 0) - 1 } : a));
  const d = realFigures(s, bad, who);
  assert.equal(d.status, 'diverged');
  assert.match(d.reason!, new RegExp(`^line ${answers[k].line} \\(x, boot\\): model 0 ok pinned \\d+, real 0 ok pinned \\d+`));
  // A real write that took other page faults than the model counted (prealloc off: the boot's first maps fault): diverged too.
  const w = answers.findIndex((a) => s.lines.get(a.line)!.model.faults > 0);
  assert.ok(w >= 0, 'the fresh shadow CVQ memory faults at boot, preallocated guest or not');
  const faulty = answers.map((a, i) => (i === w ? { ...a, faults: s.lines.get(a.line)!.model.faults + 1 } : a));
  assert.match(realFigures(s, faulty, who).reason ?? '', /faults \d+, real .* faults \d+/);
  // Where the real side reports no faults (answers above), they are not compared.
  assert.equal(ok.status, 'agree');
});

test('run --backend vm:6.12 runs vdpa_sim cells on the real kernel beside the model, and says why others cannot', { skip: skipWithoutRealKernel('6.12'), timeout: 10 * 60_000 }, () => {
  requireRealKernel('6.12');
  const dir = tempDir('real-run');
  const file = join(dir, 'w.json');
  writeFileSync(
    file,
    JSON.stringify(
      workload({
        guest: { ram: '1GiB', backing: '4k', meanRun: 8 },
        devices: { parent: ['vdpa_sim', 'mlx5'], useVa: false, count: 1, queuePairs: 1, nas: 2 },
        kernel: 'reset-map',
        flow: ['workaround', 'persist'],
        events: ['boot', 'guest-reset', 'close'],
        memlock: 'unlimited',
        iotlbLimit: 1048576,
      }),
    ),
  );
  const out = join(dir, 'out');
  const r = spawnSync(process.execPath, [CLI, 'run', file, '--out', out, '--backend', 'vm:6.12', '--real-cycles', '2', '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /Real kernel: 6\.12\.117\+deb12-amd64, (TCG|KVM)/);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  assert.equal(results.provenance.real.kernel, '6.12.117+deb12-amd64');
  const byLabel = Object.fromEntries(results.cells.map((c: { label: string }) => [c.label, c]));
  const w = byLabel['vdpa_sim reset-map qemu-10.0 workaround 1GiB 4k'].real;
  const p = byLabel['vdpa_sim reset-map qemu-10.0 persist 1GiB 4k'].real;
  assert.equal(w.status, 'agree', w.reason);
  assert.equal(p.status, 'agree', p.reason);
  assert.equal(w.resetCycleNs.samples.length, 2);
  assert.ok(w.events[1].ns.unmap > 0 && w.events[1].ns.map > 0, 'the workaround unmaps and remaps around the real reset');
  assert.ok(p.events[1].ns.unmap * 10 < w.events[1].ns.unmap, 'persist unmaps only the CVQ buffers');
  assert.ok(w.perResetNs > 10 * p.perResetNs, `real workaround ${w.perResetNs} ns vs persist ${p.perResetNs} ns per reset`);
  // 1 GiB less the VGA/ROM window (0xa0000-0x100000: 96 pages), plus the two shadow CVQ buffers and the CVQ's shadow vring areas (1 + 1 pages: 64 entries).
  assert.equal(w.events[0].pinnedVm, 262144 - 96 + 2 + 2, 'after boot: guest RAM, the CVQ buffers and its shadow vrings pinned, on the real kernel');
  assert.match(byLabel['mlx5 reset-map qemu-10.0 workaround 1GiB 4k'].real.reason, /vm:6.12 has only vdpa_sim, vduse, platform-iommu; mlx5 needs a real device/);
});

test("a vdpa_sim cell with more than one queue pair is n/a on a VM from 8.1 on: the CVQ isolation probe asks for a VQ vdpa_sim_net's 3 do not reach", { skip: skipWithoutRealKernel('6.12') }, () => {
  requireRealKernel('6.12');
  const dir = tempDir('real-qp2');
  const file = join(dir, 'w.json');
  writeFileSync(file, JSON.stringify(workload({ ...base, guest: { ram: '256MiB', backing: '4k' }, devices: { ...base.devices, variant: 'set_map', count: 1 }, qemu: '10.0', flow: 'workaround', events: ['boot', 'close'] })));
  const out = join(dir, 'out');
  const r = spawnSync(process.execPath, [CLI, 'run', file, '--out', out, '--backend', 'vm:6.12', '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const [c] = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).cells as { real: { status: string; reason: string } }[];
  assert.equal(c.real.status, 'n/a');
  assert.match(c.real.reason, /vdpa_sim_net has one queue pair \(3 VQs\); QEMU 10\.0's CVQ isolation probe asks for VQ 4/);
});

test('every QEMU release the lab plays sends a stream the real 6.12 kernel answers line for line as the model (SUSPEND, unbatched CVQ maps, the SVQ switch and back)', { skip: skipWithoutRealKernel('6.12'), timeout: 10 * 60_000 }, () => {
  requireRealKernel('6.12');
  const workload = fileURLToPath(new URL('../../workloads/real/vdpa-sim-qemu-versions.json', import.meta.url));
  const out = join(tempDir('real-qemu'), 'out');
  const r = spawnSync(process.execPath, [CLI, 'run', workload, '--out', out, '--backend', 'vm:6.12', '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const cells = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).cells as { label: string; params: { qemu: string }; real: { status: string; reason?: string } }[];
  assert.deepEqual([...new Set(cells.map((c) => c.params.qemu))].sort(), ['10.0', '10.1+', '7.2', '8.0', '8.1', '8.2']);
  for (const c of cells) assert.equal(c.real.status, 'agree', `${c.label}: ${c.real.reason}`);
});

test('report shows real figures beside modeled ones, never on one axis, with the kernel and accelerator named', () => {
  const dir = tempDir('real-report');
  const file = join(dir, 'w.json');
  writeFileSync(file, JSON.stringify(workload({ ...base, devices: { ...base.devices, variant: 'set_map', count: 1 }, events: ['boot', 'guest-reset', 'close'] })));
  const out = join(dir, 'out');
  assert.equal(spawnSync(process.execPath, [CLI, 'run', file, '--out', out, '--quiet', '--samples', '0'], { encoding: 'utf8' }).status, 0);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  for (const c of results.cells) c.real = { backend: 'vm:6.12', status: 'agree', reason: null, kernel: '6.12.117+deb12-amd64', accel: 'tcg', events: [], resetCycleNs: null, perResetNs: c.params.flow === 'workaround' ? 150_000_000 : 200_000 };
  writeFileSync(join(out, 'results.json'), JSON.stringify(results));
  const r = spawnSync(process.execPath, [CLI, 'report', join(out, 'results.json'), '--out', join(dir, 'report'), '--no-png'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const spec = JSON.parse(readFileSync(join(dir, 'report', 'real-vs-modeled.vl.json'), 'utf8'));
  assert.deepEqual(spec.resolve, { scale: { x: 'independent' } }, 'modeled and real panels have their own axes');
  assert.deepEqual([...new Set(spec.data.values.map((v: { kind: string }) => v.kind))], ['MODELED (counters x profile)', 'REAL (6.12.117+deb12-amd64, TCG)']);
  const md = readFileSync(join(dir, 'report', 'summary.md'), 'utf8');
  assert.match(md, /\| vdpa_sim reset-map qemu-10\.0 workaround 1GiB thp \| [\d.]+ ms \| 150 ms \| [\d.]+x \| agree \|/);
  assert.match(md, /\| vdpa_sim reset-map qemu-10\.0 1GiB thp \| 150 ms \(750x\) \|/);
});

test('gate compares real-kernel reset cycles statistically and reports them, never gating on them', () => {
  const dir = tempDir('real-gate');
  const file = join(dir, 'w.json');
  writeFileSync(file, JSON.stringify(workload({ ...base, devices: { ...base.devices, variant: 'set_map', count: 1 }, flow: 'workaround', events: ['boot', 'guest-reset', 'close'] })));
  const out = join(dir, 'out');
  assert.equal(spawnSync(process.execPath, [CLI, 'run', file, '--out', out, '--quiet', '--samples', '0'], { encoding: 'utf8' }).status, 0);
  const withReal = (samples: number[]) => {
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    for (const c of results.cells) c.real = { backend: 'vm:6.12', status: 'agree', reason: null, kernel: '6.12.117+deb12-amd64', accel: 'tcg', events: [], resetCycleNs: { median: samples[2], samples }, perResetNs: samples[2] };
    return results;
  };
  const b = join(dir, 'b.json');
  const c = join(dir, 'c.json');
  writeFileSync(b, JSON.stringify(withReal([100e6, 101e6, 102e6, 103e6, 104e6])));
  writeFileSync(c, JSON.stringify(withReal([200e6, 201e6, 202e6, 203e6, 204e6])));
  const r = spawnSync(process.execPath, [CLI, 'gate', '--baseline', b, '--current', c], { encoding: 'utf8' });
  assert.equal(r.status, 0, `real figures are reported, not gated: ${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /Real kernel: 1 regressed, 0 improved of 1 \(reported only\)/);
  assert.match(r.stdout, /\| real\.resetCycleNs \(real kernel\) \| real \| 102 ms \| 202 ms \| \+98\.04% \| regressed \| Mann-Whitney p=0\.0079/);
});
