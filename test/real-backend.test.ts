import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isInputError } from '../src/errors.js';
import { parseBackend, parseComparePair } from '../src/real/backend-spec.js';
import { compareAnswers } from '../src/real/compare.js';
import { checkVhostVdpaDevice } from '../src/real/device-backend.js';
import type { BackendAnswer } from '../src/real/model-run.js';
import { parseProbeOutput } from '../src/real/probe-answers.js';
import { generationOfRelease } from '../src/real/run-scripts.js';
import { planScript } from '../src/real/script-plan.js';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

function inputError(fn: () => unknown, where: RegExp): void {
  assert.throws(fn, (e: unknown) => isInputError(e) && where.test((e as Error).message));
}

test('backend names parse to model, device and vm, and anything else is refused naming the flag', () => {
  assert.deepEqual(parseBackend('model'), { kind: 'model' });
  assert.deepEqual(parseBackend('device:/dev/vhost-vdpa-1'), { kind: 'device', path: '/dev/vhost-vdpa-1' });
  assert.deepEqual(parseBackend('vm:6.12'), { kind: 'vm', kernel: '6.12' });
  inputError(() => parseBackend('vm:'), /--backend: 'vm:' names no kernel/);
  inputError(() => parseBackend('qemu'), /--backend: unknown backend 'qemu'/);
  assert.deepEqual(parseComparePair('model,vm:6.1'), [{ kind: 'model' }, { kind: 'vm', kernel: '6.1' }]);
  inputError(() => parseComparePair('model'), /--compare: takes exactly two backends/);
  inputError(() => parseComparePair('vm:6.1,vm:6.1'), /--compare: compares two different backends/);
});

test('a host kernel is of the reset_map generation from v6.7 on', () => {
  assert.equal(generationOfRelease('6.1.0-56-amd64'), 'legacy');
  assert.equal(generationOfRelease('6.6.30'), 'legacy');
  assert.equal(generationOfRelease('6.7.0'), 'reset-map');
  assert.equal(generationOfRelease('6.18.44-fc-v669'), 'reset-map');
  assert.equal(generationOfRelease('7.0.1'), 'reset-map');
});

const open = (extra: object) => JSON.stringify({ op: 'open', parent: 'vdpa_sim', kernel: 'reset-map', ...extra });

test("a script's open lines give the VM its vdpa_sim parameters, devices and memory", () => {
  const plan = planScript(
    [open({ useVa: false, variant: 'dma_map', iotlbLimit: 64 }), '{"op":"mmap","uaddr":"0x100000000","size":"0x40000000"}', open({ device: 'b', useVa: false, variant: 'dma_map', iotlbLimit: 64 })].join('\n'),
    {},
    true,
    true,
  );
  assert.deepEqual(plan.devices, ['vdpa0', 'b']);
  assert.deepEqual(plan.params, { useVa: false, variant: 'dma_map', iotlbLimit: 64 });
  assert.equal(plan.mmapBytes, 1n << 30n);
  // Defaults: the kernel's own use_va default and set_map.
  assert.deepEqual(planScript(open({}), {}, false, true).params, { useVa: false, variant: 'set_map' });
});

/** A VM's parents as vmParents('6.12') gives them (backends/vm-parents.ts). */
const VM_6_12 = { parents: ['vdpa_sim', 'vduse', 'platform-iommu'] as const };

test('a VM refuses what vdpa_sim cannot be, naming the line and field', () => {
  inputError(() => planScript(JSON.stringify({ op: 'open', parent: 'mlx5', kernel: 'legacy' }), {}, true, true, VM_6_12), /line 1: parent: a real kernel in a VM has only vdpa_sim, vduse, platform-iommu, not mlx5/);
  inputError(() => planScript(open({ nas: 1 }), {}, true, true), /line 1: nas: vdpa_sim_net has 2 address spaces/);
  inputError(() => planScript(open({ iovaRange: { first: '0x1000' } }), {}, true, true), /line 1: iovaRange/);
  inputError(() => planScript([open({ useVa: true }), '', open({ device: 'b', useVa: false })].join('\n'), {}, true, true), /line 3: open: asks for vdpa_sim use_va=0 .* but line 1 asked for vdpa_sim use_va=1/);
  // --parent vdpa_sim lets an mlx5 script run; a device on the host is used as it is.
  assert.equal(planScript(JSON.stringify({ op: 'open', parent: 'mlx5', kernel: 'legacy' }), { parent: 'vdpa_sim' }, false, true).devices.length, 1);
  assert.equal(planScript(JSON.stringify({ op: 'open', parent: 'mlx5', kernel: 'legacy', nas: 1 }), {}, false, false).devices.length, 1);
});

test("a platform-iommu script plans vp_vdpa with vhost_vdpa's limit only, and a shape or range vp_vdpa cannot have is refused naming the line and field", () => {
  const iommu = (extra: object) => JSON.stringify({ op: 'open', parent: 'platform-iommu', kernel: '6.12.117', ...extra });
  const plan = planScript(iommu({ iotlbLimit: 64 }), {}, true, true, VM_6_12);
  assert.equal(plan.parent, 'platform-iommu');
  assert.deepEqual(plan.params, { useVa: false, variant: 'set_map', iotlbLimit: 64 });
  // --parent platform-iommu on a vdpa_sim script: vp_vdpa's own shape (1 AS, 1 group) is the model's default for the parent.
  assert.equal(planScript(open({ useVa: false }), { parent: 'platform-iommu' }, true, true, VM_6_12).parent, 'platform-iommu');
  inputError(() => planScript(iommu({ nvqs: 5 }), {}, true, true, VM_6_12), /line 1: nvqs: the VM's virtio-net-pci has 3 virtqueues/);
  inputError(() => planScript(iommu({ parentIotlbLimit: 8 }), {}, true, true, VM_6_12), /line 1: parentIotlbLimit: vp_vdpa has no entry limit of its own/);
  inputError(() => planScript(iommu({ iovaRange: { first: '0x1000' } }), {}, true, true, VM_6_12), /line 1: iovaRange: the VM's intel-iommu \(aw-bits=48\)/);
  inputError(() => planScript([iommu({}), open({ device: 'b', useVa: false })].join('\n'), {}, true, true, VM_6_12), /line 2: parent: vdpa_sim beside platform-iommu devices: one script's devices come from one parent/);
});

test('a VM without a parent names it: the planner takes the missing reason vmParents gives', () => {
  const iommu = JSON.stringify({ op: 'open', parent: 'platform-iommu', kernel: '6.12.117' });
  inputError(() => planScript(iommu, {}, true, true, { parents: ['vdpa_sim'], missingParents: { 'platform-iommu': 'kernel 6.12 cannot provide platform-iommu' } }), /line 1: parent: kernel 6.12 cannot provide platform-iommu/);
});

const ans = (line: number, op: string, extra: Partial<BackendAnswer> = {}): BackendAnswer => ({ line, op, ret: 0, errno: null, cause: null, ...extra });

test('compare pairs answers by line: agree, differ (naming the fields), skipped (with the reason) and missing', () => {
  const a = [ans(1, 'open'), ans(2, 'update', { pinnedVm: 4 }), ans(3, 'check', { ok: true }), ans(4, 'get_backend_features', { features: ['IOTLB_MSG_V2'] }), ans(5, 'close')];
  const b = [
    ans(1, 'open', { ns: 10 }),
    ans(2, 'update', { ret: -1, errno: 'EFAULT', pinnedVm: 0 }),
    ans(3, 'check', { unsupported: 'check: unsupported on a real kernel' }),
    ans(4, 'get_backend_features', { features: ['IOTLB_MSG_V2', 'SUSPEND'] }),
  ];
  const c = compareAnswers('s.jsonl', a, b);
  assert.deepEqual(
    c.lines.map((l) => [l.line, l.verdict, l.differs]),
    [
      [1, 'agree', []],
      [2, 'differ', ['ret', 'errno', 'pinnedVm']],
      [3, 'skipped', []],
      [4, 'differ', ['features']],
      [5, 'missing', []],
    ],
  );
  assert.match(c.lines[2].reason!, /unsupported on a real kernel/);
  assert.equal(c.differences, 3);
});

test("the probe's output is read strictly: a line that is not an answer is an environment failure", () => {
  const good = '{"line":1,"op":"open","ret":0,"errno":null,"cause":null,"ns":5,"pinnedVm":0,"device":"vdpa0"}';
  assert.equal(parseProbeOutput(`${good}\n\n`, 's')[0].device, 'vdpa0');
  assert.throws(() => parseProbeOutput(`${good}\n[ 12.3] vdpa_sim: oops`, 's'), /s: the probe printed a line that is not JSON \(output line 2/);
  assert.throws(() => parseProbeOutput('{"line":1,"op":"open","ret":0,"errno":null,"cause":null,"pinnedVm":0}', 's'), /malformed \(ns: /);
});

test('a device backend path must be a vhost-vdpa character device', () => {
  const dir = tempDir('dev');
  writeFileSync(join(dir, 'f'), '');
  inputError(() => checkVhostVdpaDevice(join(dir, 'missing')), /--backend: .*missing: ENOENT/);
  inputError(() => checkVhostVdpaDevice(join(dir, 'f')), /is not a character device/);
  inputError(() => checkVhostVdpaDevice('/dev/null'), /\/dev\/null is a mem device, not vhost-vdpa/);
});

function exec(args: string[]) {
  const dir = tempDir('tmp');
  const file = join(dir, 's.jsonl');
  writeFileSync(file, [open({ useVa: false }), '{"op":"set_owner"}'].join('\n'));
  return spawnSync(process.execPath, [CLI, 'exec', file, ...args], { encoding: 'utf8' });
}

test('exec refuses a bad backend, kernel or device with one line and exit 2, before running anything', () => {
  for (const [args, msg] of [
    [['--backend', 'vm:5.4'], /error: --backend: unknown kernel '5.4'/],
    [['--backend', 'device:/dev/null'], /error: --backend: \/dev\/null is a mem device/],
    [['--compare', 'model,model'], /error: --compare: compares two different backends/],
    [['--compare', 'model,vm:6.12', '--backend', 'model'], /error: --compare: names both backends itself/],
  ] as const) {
    const r = exec([...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(r.stdout, '');
  }
});

test('exec runs several scripts on the model, each answer naming its script', () => {
  const dir = tempDir('tmp');
  const a = join(dir, 'a.jsonl');
  const b = join(dir, 'b.jsonl');
  writeFileSync(a, open({ useVa: false }));
  writeFileSync(b, [open({ useVa: false }), '{"op":"set_owner"}'].join('\n'));
  const r = spawnSync(process.execPath, [CLI, 'exec', a, b, '--backend', 'model', '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(out.map((x) => [x.script, x.line, x.op, x.pinnedVm]), [[a, 1, 'open', 0], [b, 1, 'open', 0], [b, 2, 'set_owner', 0]]);
});

test('a VM that dies in one job fails that job alone; the jobs after it get a fresh boot; a VM that dies in no job is the environment failing', async () => {
  const { runJobsResilient } = await import('../src/real/vm/resilient.js');
  const { VmFailedError } = await import('../src/real/vm/index.js');
  const job = (id: string) => ({ id, vdpaSim: {}, vhostVdpa: {}, devices: 1, script: '' });
  const ok = (id: string) => ({ id, exitCode: 0, stdout: `${id} ran`, stderr: '' });
  const jobs = ['a', 'b', 'c', 'd'].map(job);
  const calls: string[][] = [];
  const run = await runJobsResilient(jobs, async (pending) => {
    calls.push(pending.map((j) => j.id));
    if (calls.length === 1) throw new VmFailedError('the VM did not finish: kernel panic in job b', [ok('a')], 'b');
    return { release: '6.12.117+deb12-amd64', accel: 'tcg', clock: 'wall', bootMs: 1, wallMs: 2, jobs: pending.map((j) => ok(j.id)) };
  });
  assert.deepEqual(calls, [['a', 'b', 'c', 'd'], ['c', 'd']]);
  assert.deepEqual(run.jobs.map((j) => [j.id, j.exitCode, j.setupError ?? null]), [['a', 0, null], ['b', -1, 'the VM did not finish: kernel panic in job b'], ['c', 0, null], ['d', 0, null]]);
  assert.equal(run.release, '6.12.117+deb12-amd64');
  // Died before any job (no /init): not a job's fault, so no retry.
  let boots = 0;
  await assert.rejects(
    runJobsResilient(jobs, async () => {
      boots++;
      throw new VmFailedError('the VM did not finish: it never reached /init', [], null);
    }),
    /never reached \/init/,
  );
  assert.equal(boots, 1);
});

test('a device backend plays the host kernel as it is loaded: version behaviours, and the entry limit and use_va its modules report in sysfs', async () => {
  const { hostKernelFacts } = await import('../src/real/run-scripts.js');
  const { mkdirSync } = await import('node:fs');
  const sys = tempDir('sys');
  // No vhost-vdpa modules loaded: the version table's defaults.
  assert.deepEqual(hostKernelFacts('6.12.117+deb12-amd64', sys), { release: '6.12.117+deb12-amd64', generation: 'reset-map', vaDefault: true, iotlbLimit: 2048 });
  assert.deepEqual(hostKernelFacts('5.15.0-100-generic', sys), { release: '5.15.0-100-generic', generation: 'legacy', vaDefault: false });
  // Loaded with other parameters: sysfs wins.
  mkdirSync(join(sys, 'module/vhost_vdpa/parameters'), { recursive: true });
  mkdirSync(join(sys, 'module/vdpa_sim/parameters'), { recursive: true });
  writeFileSync(join(sys, 'module/vhost_vdpa/parameters/max_iotlb_entries'), '65536\n');
  writeFileSync(join(sys, 'module/vdpa_sim/parameters/use_va'), 'N\n');
  assert.deepEqual(hostKernelFacts('6.12.117+deb12-amd64', sys), { release: '6.12.117+deb12-amd64', generation: 'reset-map', vaDefault: false, iotlbLimit: 65536 });
});
