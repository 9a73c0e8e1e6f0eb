/**
 * The model against real kernels: every session script the lab ships, run
 * through `exec --compare model,vm:KERNEL` (one VM boot per kernel). Where
 * they differ, the real kernel is right and the model gets fixed.
 *
 * Needs `vdpa-lab kernels prepare` and the probe; skipped (saying so) where
 * they are missing, except under CI, where they fail (support/real-kernel.ts);
 * .ci/run prepares all three.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireRealKernel, skipWithoutRealKernel } from './support/real-kernel.js';
import { tempDir } from './support/temp-dir.js';
import type { Paired } from './support/paired.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const SESSIONS = fileURLToPath(new URL('../../workloads/sessions/', import.meta.url));

/** Scripts that need what one kernel lacks: 6.1's vdpa_sim has no use_va. */
const NOT_ON: Record<string, string[]> = { '6.1': ['va-mode-pins-nothing.jsonl'] };


for (const kernel of ['6.1', '6.12', '7.2']) {
  test(`the model answers every shipped session script as the real ${kernel} kernel does (ret, errno, pinnedVm, features)`, { skip: skipWithoutRealKernel(kernel), timeout: 20 * 60_000 }, () => {
    requireRealKernel(kernel);
    const scripts = readdirSync(SESSIONS)
      .filter((f) => f.endsWith('.jsonl') && !(NOT_ON[kernel] ?? []).includes(f))
      .map((f) => SESSIONS + f);
    const r = spawnSync(process.execPath, [CLI, 'exec', ...scripts, '--parent', 'vdpa_sim', '--compare', `model,vm:${kernel}`, '--json', '--quiet'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.ok(r.stdout.trim().startsWith('{'), `exec --compare printed no JSON (exit ${r.status}): ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { backends: { kernel: string }[]; scripts: { script: string; lines: Paired[] }[]; errors: unknown[] };
    assert.deepEqual(out.errors, []);
    assert.match(out.backends[1].kernel, { '6.1': /^6\.1\.0-56-amd64$/, '6.12': /^6\.12\.117\+deb12-amd64$/, '7.2': /^7\.2\.13\+deb14-amd64$/ }[kernel]!, 'the real kernel is named by its uname -r');
    const differing = out.scripts.flatMap((s) =>
      s.lines.filter((l) => l.verdict === 'differ' || l.verdict === 'missing').map((l) => `${s.script.split('/').pop()}:${l.line} ${l.op} ${l.differs.join(',')} model=${JSON.stringify(l.a)} real=${JSON.stringify(l.b)}`),
    );
    assert.deepEqual(differing, []);
    assert.equal(r.status, 0, r.stderr);
    // Nothing was skipped but what a real kernel cannot show (check, dump's device view).
    for (const s of out.scripts) for (const l of s.lines) if (l.verdict === 'skipped') assert.ok(['check', 'dump'].includes(l.op), `${s.script}:${l.line} ${l.op} skipped`);
  });
}

test('a guest larger than a VM on this host can hold is refused before any boot, naming the script, with no kernel prepared and no probe', () => {
  const dir = tempDir('big');
  const file = join(dir, 'big.jsonl');
  const tooBig = `0x${(BigInt(Math.ceil(totalmem() / 2 ** 30)) << 30n).toString(16)}`;
  writeFileSync(file, [JSON.stringify({ op: 'open', parent: 'vdpa_sim', kernel: 'reset-map' }), JSON.stringify({ op: 'mmap', uaddr: '0x7f0000000000', size: tooBig, backing: 'thp' })].join('\n'));
  const started = Date.now();
  // An empty cache: the size is refused before the missing kernel (or probe) is even looked for.
  const r = spawnSync(process.execPath, [CLI, 'exec', file, '--backend', 'vm:6.12'], { encoding: 'utf8', env: { ...process.env, VDPA_LAB_CACHE: tempDir('empty-cache') } });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /big\.jsonl: mmap: maps \d+ MiB, and a VM holding it needs \d+ MiB: more than 75% of this host's \d+ MiB/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.ok(Date.now() - started < 20_000, 'refused before booting');
});

test("replay --backend vm:6.12: the real QEMU 7.2 trace's messages answered by a real kernel exactly as by the model, and PERSIST's resets cost far less there too", { skip: skipWithoutRealKernel('6.12'), timeout: 10 * 60_000 }, () => {
  requireRealKernel('6.12');
  const trace = fileURLToPath(new URL('../../workloads/traces/qemu-7.2-vdpa_sim-6.12.117-baseline.log', import.meta.url));
  const r = spawnSync(process.execPath, [CLI, 'replay', trace, '--what-if', 'persist', '--backend', 'vm:6.12', '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  const real = JSON.parse(r.stdout).real as { kernel: string; replays: { flow: string; status: string; reason: string | null; segments: { name: string; realNs: number; pinnedVm: number }[] }[] };
  assert.match(real.kernel, /^6\.12\./);
  for (const p of real.replays) assert.equal(p.status, 'agree', `${p.flow}: ${p.reason}`);
  const w = real.replays.find((p) => p.flow === 'workaround')!;
  const p = real.replays.find((x) => x.flow === 'persist')!;
  for (const k of [1, 2, 3]) assert.ok(p.segments[k].realNs * 10 < w.segments[k].realNs, `reset ${k}: persist ${p.segments[k].realNs} ns vs workaround ${w.segments[k].realNs} ns`);
  assert.equal(w.segments[1].pinnedVm, 262208, 'the guest RAM the trace maps, pinned again after each reset');
});
