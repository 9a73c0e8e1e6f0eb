/**
 * The platform-IOMMU parent on a real kernel: vp_vdpa on a virtio-net-pci
 * device behind QEMU's intel-iommu (src/real/platform-iommu.ts), in one VM
 * boot of 6.12, answering shipped session scripts line by line as the model
 * does. Skipped (saying why) without the prepared kernel and the probe,
 * failed instead under CI (support/real-kernel.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireRealKernel, skipWithoutRealKernel } from './support/real-kernel.js';
import { tempDir } from './support/temp-dir.js';
import { platformIommuSetup, platformIommuVm } from '../src/real/platform-iommu.js';
import { qemuArgs } from '../src/real/vm/qemu.js';
import { jobArchive } from '../src/real/vm/job-archive.js';
import { kernelBenchScript } from '../src/bench/kernel-bench-scripts.js';
import { Session } from '../src/kernel/index.js';
import type { Paired } from './support/paired.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const SESSIONS = fileURLToPath(new URL('../../workloads/sessions/', import.meta.url));

/** Scripts whose every line a platform-IOMMU device can answer (the others ask for vdpa_sim's variants, use_va, or two address spaces). */
const PLATFORM_IOMMU_SCRIPTS = ['address-spaces.jsonl', 'device-shape.jsonl', 'persist-keeps-maps.jsonl', 'reset-keeps-vhost-pins.jsonl'];

test("a platform-IOMMU VM is a q35 machine with intel-iommu before one modern virtio-net-pci per device, and intel_iommu=on", () => {
  const vm = platformIommuVm(2);
  const args = qemuArgs({ accel: 'tcg', memMiB: 2048, kernel: 'k', initrd: 'i', consoleLog: 'c', framesLog: 'f', kernelArgs: vm.kernelArgs, extraArgs: vm.qemuArgs });
  assert.deepEqual(args.slice(args.indexOf('-machine'), args.indexOf('-machine') + 2), ['-machine', 'q35']);
  const devices = args.flatMap((a, i) => (args[i - 1] === '-device' ? [a] : []));
  assert.match(devices[0], /^intel-iommu,.*aw-bits=48/);
  assert.deepEqual(devices.slice(1).map((d) => /disable-legacy=on,iommu_platform=on/.test(d)), [true, true]);
  assert.match(args[args.indexOf('-append') + 1], / intel_iommu=on$/);
  // A run without the parent keeps its command line: no machine, no device.
  assert.ok(!qemuArgs({ accel: 'tcg', memMiB: 2048, kernel: 'k', initrd: 'i', consoleLog: 'c', framesLog: 'f' }).includes('-device'));
});

test("the job's parent.sh is valid shell inside the init's job function, and travels in the job archive", () => {
  const dir = tempDir('parent-sh');
  writeFileSync(join(dir, 'job'), `run_job() {\n  n=1; k=0; err=""\n${platformIommuSetup()}\n}\n`);
  const r = spawnSync('sh', ['-n', join(dir, 'job')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const archive = jobArchive([{ id: 'a', vdpaSim: {}, vhostVdpa: {}, devices: 1, script: '', parent: 'platform-iommu', parentSetup: platformIommuSetup() }], new Uint8Array(1));
  assert.ok(archive.includes(Buffer.from('jobs/a/parent.sh')));
});

test("bench kernel --parent platform-iommu: its scripts open the parent without vdpa_sim's variant, and every line runs on the model (PERSIST offered)", () => {
  for (const flow of ['workaround', 'persist'] as const) {
    const script = kernelBenchScript({ parent: 'platform-iommu', variant: 'iommu', backing: 'thp', gib: 1, flow }, 2, 'reset-map');
    const open = JSON.parse(script.text.split('\n')[0]) as Record<string, unknown>;
    assert.equal(open.parent, 'platform-iommu');
    assert.equal(open.variant, undefined);
    const session = new Session({ kernel: 'reset-map' });
    script.text.split('\n').forEach((line, i) => {
      const a = session.runLine(line, i + 1);
      if (a) assert.equal(a.ret, 0, `${flow} line ${i + 1} ${line}: ${a.errno}`);
    });
  }
});


test('--parent platform-iommu on vm:6.12: vp_vdpa behind intel-iommu answers every line as the model does (one VM boot)', { skip: skipWithoutRealKernel('6.12'), timeout: 10 * 60_000 }, () => {
  requireRealKernel('6.12');
  const scripts = PLATFORM_IOMMU_SCRIPTS.map((f) => SESSIONS + f);
  const r = spawnSync(process.execPath, [CLI, 'exec', ...scripts, '--parent', 'platform-iommu', '--compare', 'model,vm:6.12', '--json', '--quiet'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.ok(r.stdout.trim().startsWith('{'), `exec --compare printed no JSON (exit ${r.status}): ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { backends: { kernel: string }[]; scripts: { script: string; lines: Paired[] }[]; errors: unknown[] };
  assert.deepEqual(out.errors, []);
  assert.match(out.backends[1].kernel, /^6\.12\.117\+deb12-amd64$/);
  const differing = out.scripts.flatMap((s) =>
    s.lines.filter((l) => l.verdict === 'differ' || l.verdict === 'missing').map((l) => `${s.script.split('/').pop()}:${l.line} ${l.op} ${l.differs.join(',')} model=${JSON.stringify(l.a)} real=${JSON.stringify(l.b)}`),
  );
  assert.deepEqual(differing, []);
  assert.equal(r.status, 0, r.stderr);
  for (const s of out.scripts) for (const l of s.lines) if (l.verdict === 'skipped') assert.ok(['check', 'dump'].includes(l.op), `${s.script}:${l.line} ${l.op} skipped`);
  // What makes it the platform-IOMMU parent and not vdpa_sim: one address space, PERSIST offered without .reset_map.
  const shapes = out.scripts.find((s) => s.script.endsWith('address-spaces.jsonl'))!.lines;
  assert.equal(shapes.find((l) => l.op === 'update')!.b!.errno, 'EFAULT', 'an ASID-1 UPDATE: vp_vdpa has one address space');
  assert.ok((shapes.find((l) => l.op === 'get_backend_features')!.b!.features as string[]).includes('IOTLB_PERSIST'));
});

test('a prepared kernel without vp_vdpa cannot provide platform-iommu: one line naming the kernel and the module, exit 2, before any boot', { skip: skipWithoutRealKernel('6.12') }, () => {
  const k = requireRealKernel('6.12');
  // The same entry with vp_vdpa left out of its manifest: what a kernel prepared before the module was built looks like.
  const cache = tempDir('no-vp-vdpa');
  const dir = join(cache, 'kernels', k.release);
  mkdirSync(dir, { recursive: true });
  for (const f of [k.manifest.vmlinuz, k.manifest.initramfs]) symlinkSync(join(k.dir, f), join(dir, f));
  const manifest = JSON.parse(readFileSync(join(k.dir, 'manifest.json'), 'utf8')) as { modules: { name: string }[] };
  manifest.modules = manifest.modules.filter((m) => m.name !== 'vp_vdpa');
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const r = spawnSync(process.execPath, [CLI, 'exec', SESSIONS + 'device-shape.jsonl', '--parent', 'platform-iommu', '--backend', 'vm:6.12'], { encoding: 'utf8', env: { ...process.env, VDPA_LAB_CACHE: cache } });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /line \d+: parent: kernel 6\.12 \(6\.12\.117\+deb12-amd64\) cannot provide platform-iommu: its prepared modules have no vp_vdpa/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});
