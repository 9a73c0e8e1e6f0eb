/**
 * `--clock icount`: a VM whose guest clock is TCG's instruction counter
 * (1 ns per guest instruction), so the same real cell measures the same on
 * every run whatever the shared host's load. The two clocks give two kinds
 * of real figure: the results record which one, and calibrate never fits
 * or checks them together (one line, exit 2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { qemuArgs, ICOUNT_ARGS } from '../src/real/vm/qemu.js';
import { accelForClock } from '../src/real/vm/accel.js';
import { InputError } from '../src/errors.js';
import { realProvenanceSchema, realResultSchema } from '../src/runner/real-result.js';
import { testbedDiff } from '../src/runner/machine.js';
import { readResults } from '../src/runner/results-file.js';
import { PACKAGE_ROOT } from '../src/workload/index.js';
import { median } from 'simple-statistics';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: PACKAGE_ROOT });
const spec = { memMiB: 2048, kernel: 'vmlinuz', initrd: 'initrd', consoleLog: 'c', framesLog: 'f' };

/** Shipped runs of the backings workload: the wall clock's check run, and the icount runs (docs/calibration.md). */
const WALL = 'reports/real/vdpa-sim-backings/results.json';
/** The icount profile's runs: fit and check sets, each a VM per flow and guest size (8 cells: 4 backings, preallocated and not). */
const ICOUNT_PARTS = ['workaround-1GiB', 'workaround-2GiB', 'persist-1GiB', 'persist-2GiB'];
const icountRun = (set: 'fit' | 'check', part: string) => `reports/real/vdpa-sim-icount/${set}/${part}/results.json`;
const ICOUNT_RUNS = (['fit', 'check'] as const).flatMap((set) => ICOUNT_PARTS.map((part) => icountRun(set, part)));
const ICOUNT = icountRun('check', 'workaround-1GiB');

test('an icount VM runs TCG with a fixed shift of 0 and sleep=off (the guest clock is the instruction count); a wall VM has no -icount; KVM cannot have one', () => {
  const icount = qemuArgs({ ...spec, accel: 'tcg', clock: 'icount' });
  assert.deepEqual(icount.slice(0, 6), ['-accel', 'tcg', '-cpu', 'max', '-icount', 'shift=0,sleep=off']);
  assert.deepEqual(ICOUNT_ARGS, ['-icount', 'shift=0,sleep=off']);
  assert.ok(!qemuArgs({ ...spec, accel: 'tcg' }).includes('-icount'));
  assert.ok(!qemuArgs({ ...spec, accel: 'tcg', clock: 'wall' }).includes('-icount'));
  assert.throws(() => qemuArgs({ ...spec, accel: 'kvm', clock: 'icount' }), /-icount needs TCG/);
});

test('the icount clock picks TCG (no KVM probe) and refuses --accel kvm as bad input', () => {
  assert.equal(accelForClock('auto', 'icount'), 'tcg');
  assert.equal(accelForClock('tcg', 'icount'), 'tcg');
  assert.equal(accelForClock('auto', 'wall'), 'auto');
  assert.equal(accelForClock('kvm', 'wall'), 'kvm');
  assert.throws(() => accelForClock('kvm', 'icount'), (e: unknown) => e instanceof InputError && /^--clock: .*--accel kvm/.test(e.message));
});

test('--clock is checked before anything runs: one line, exit 2', () => {
  const cases: [string[], RegExp][] = [
    [['run', 'workloads/real/vdpa-sim-4cell.json', '--clock', 'icount', '--out', '/nonexistent/x'], /^error: --clock: icount clocks a VM: give --backend vm:KERNEL$/],
    [['run', 'workloads/real/vdpa-sim-4cell.json', '--backend', 'vm:6.12', '--accel', 'kvm', '--clock', 'icount', '--out', '/nonexistent/x'], /^error: --clock: icount counts TCG's instructions and cannot run with --accel kvm/],
    [['run', 'workloads/real/vdpa-sim-4cell.json', '--backend', 'vm:6.12', '--clock', 'cycles', '--out', '/nonexistent/x'], /^error: --clock: must be wall or icount, got 'cycles'$/],
    [['bench', 'kernel', '--backend', 'device:/dev/vhost-vdpa-9', '--clock', 'icount'], /^error: --clock: icount clocks a VM/],
    [['exec', '-', '--clock', 'icount'], /^error: --clock: icount clocks a VM/],
    [['replay', 'workloads/traces/qemu-7.2-vdpa_sim-6.12.117-baseline.log', '--clock', 'icount'], /^error: --clock: icount clocks a VM/],
    [['replay', 'workloads/traces/qemu-7.2-vdpa_sim-6.12.117-baseline.log', '--backend', 'vm:6.12', '--accel', 'kvm', '--clock', 'icount'], /^error: --clock: icount counts TCG's instructions/],
    [['replay', 'workloads/traces/qemu-7.2-vdpa_sim-6.12.117-baseline.log', '--backend', 'vm:6.12', '--accel', 'fast'], /^error: --accel: must be auto, kvm or tcg, got 'fast'$/],
  ];
  for (const [args, line] of cases) {
    const r = cli(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trim(), line);
  }
});

test('results record the clock: absent is wall (every file before it), icount is kept; a testbed of another clock is another testbed', () => {
  const real = { backend: 'vm:6.12', kernel: '6.12.117+deb12-amd64', accel: 'tcg', status: 'agree', reason: null, events: [], resetCycleNs: null, perResetNs: null };
  assert.equal((realResultSchema.parse({ ...real, clock: 'icount' }) as { clock?: string }).clock, 'icount');
  assert.equal((realResultSchema.parse(real) as { clock?: string }).clock, undefined);
  assert.ok(!realResultSchema.safeParse({ ...real, clock: 'cycles' }).success);
  assert.equal(realProvenanceSchema.parse({ backend: 'vm:6.12', kernel: 'k', accel: 'tcg', clock: 'icount', cycles: 3 }).clock, 'icount');
  const tb = { backend: 'vm:6.12', kernel: '6.12.117+deb12-amd64', accel: 'tcg' };
  assert.equal(testbedDiff(tb, { ...tb, clock: 'icount' }), 'guest clock wall -> icount');
  assert.equal(testbedDiff(tb, { ...tb, clock: 'wall' }), null);
});

test('the shipped icount runs say so in every real cell and in the provenance; the wall runs do not', () => {
  for (const path of ICOUNT_RUNS) {
    const f = readResults(`${PACKAGE_ROOT}/${path}`);
    assert.equal(f.provenance.real?.clock, 'icount', path);
    for (const c of f.cells) if (c.real && c.real.status !== 'n/a') assert.equal(c.real.clock, 'icount', `${path}: ${c.label}`);
  }
  const wall = readResults(`${PACKAGE_ROOT}/${WALL}`);
  assert.equal(wall.provenance.real?.clock, undefined);
});

test('calibrate refuses to fit or check wall-clock and icount runs together: one line naming both files, exit 2', () => {
  const mixes: string[][] = [
    ['calibrate', '--from', WALL, ICOUNT, '--fit', 'resets'],
    ['calibrate', '--from', WALL, '--fit', 'resets', '--check', ICOUNT],
    // The TCG profile was fitted to wall-clock runs: it is not checked against icount ones.
    ['calibrate', '--check', ICOUNT, '--profile', 'vdpa-sim-tcg-6.12'],
  ];
  for (const args of mixes) {
    const r = cli(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /was timed by the (icount|wall) clock and .* by the (wall|icount) clock: two kinds of real figure, never fitted or checked together/);
  }
  const same = cli('calibrate', '--check', ICOUNT, '--profile', 'vdpa-sim-icount-6.12');
  assert.equal(same.status, 0, same.stderr);
});

test('icount makes the real figures reproducible: two runs of the same 32 cells, recorded one after the other, agree within 3% per reset (docs/calibration.md gives the measured spread)', () => {
  const perReset = (path: string) => {
    const out = new Map<string, number>();
    for (const c of readResults(`${PACKAGE_ROOT}/${path}`).cells) {
      if (!c.real || c.real.status !== 'agree') continue;
      const xs = [...c.real.events.filter((e) => e.name === 'guest-reset').map((e) => e.totalNs), ...(c.real.resetCycleNs?.samples ?? [])];
      out.set(c.label, median(xs));
    }
    return out;
  };
  for (const part of ICOUNT_PARTS) {
    const a = perReset(icountRun('fit', part));
    const b = perReset(icountRun('check', part));
    assert.equal(a.size, 8, `${part}: 4k, thp, hugetlb-2m and hugetlb-1g guests, preallocated and not`);
    for (const [label, ns] of a) {
      const other = b.get(label);
      assert.ok(other !== undefined, label);
      assert.ok(Math.abs(other / ns - 1) < 0.03, `${label}: ${ns} ns and ${other} ns`);
    }
  }
});

test("docs/calibration.md's check table of the icount profile is what calibrate --check prints now", () => {
  const doc = readFileSync(`${PACKAGE_ROOT}/docs/calibration.md`, 'utf8');
  const section = doc.slice(doc.indexOf('## The icount profile'), doc.indexOf('## The refit for QEMU 9.2+'));
  const rows = section.split('\n').filter((l) => l.startsWith('| workaround '));
  assert.equal(rows.length, 16, 'every workaround cell of the check runs');
  const check = cli('calibrate', '--check', ...ICOUNT_PARTS.map((p) => icountRun('check', p)), '--profile', 'vdpa-sim-icount-6.12');
  assert.equal(check.status, 0, check.stderr);
  const printed = check.stdout.split('\n').map((l) => l.replace(/\s+/g, ' ').trim());
  for (const row of rows) {
    const [label, ...figures] = row.split('|').slice(1, -1).map((c) => c.replace(/,/g, '').trim());
    const line = printed.find((l) => l.startsWith(`vdpa_sim reset-map qemu-10.0 ${label} `) && !l.slice(`vdpa_sim reset-map qemu-10.0 ${label} `.length).startsWith('prealloc'));
    assert.ok(line, `calibrate --check prints no row for ${label}`);
    assert.ok(line.endsWith(figures.join(' ')), `docs/calibration.md: ${row}\ncalibrate --check: ${line}`);
  }
});
