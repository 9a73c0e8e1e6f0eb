/**
 * VDUSE as a real parent (issue #29): the VDUSE session scripts, and the
 * shipped scripts that apply to a VA-mode parent, through `exec --compare
 * model,vm:6.12 --parent vduse`: one VM boot, the companion
 * (native/vduse/) being the device. Where they differ, the kernel is right.
 *
 * Needs the prepared 6.12 kernel, the probe and the companion; skipped
 * (saying so) where they are missing, failed under CI (support/real-kernel.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultVduseCompanionPath } from '../src/real/vduse.js';
import { requireRealKernel, skipWithoutRealKernel, underCi } from './support/real-kernel.js';
import { tempDir } from './support/temp-dir.js';
import type { Paired } from './support/paired.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const SESSIONS = fileURLToPath(new URL('../../workloads/sessions/', import.meta.url));

/** The shipped scripts (written for other parents) that a use_va parent can run: no useVa:false, no nas:2. */
const VDUSE_SCRIPTS = [
  ...readdirSync(`${SESSIONS}vduse`)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => `${SESSIONS}vduse/${f}`),
  `${SESSIONS}va-mode-pins-nothing.jsonl`,
  `${SESSIONS}persist-keeps-maps.jsonl`,
  `${SESSIONS}legacy-reset-wipes.jsonl`,
];


function companionMissing(): string | false {
  const why = skipWithoutRealKernel('6.12');
  if (why) return why;
  return existsSync(defaultVduseCompanionPath()) || underCi() ? false : `needs the VDUSE companion: npm run build (${defaultVduseCompanionPath()})`;
}

test('the model answers the VDUSE scripts as real 6.12 with a VDUSE device does (ret, errno, pinnedVm, features)', { skip: companionMissing(), timeout: 10 * 60_000 }, () => {
  requireRealKernel('6.12');
  assert.ok(existsSync(defaultVduseCompanionPath()), `the VDUSE companion is not built (${defaultVduseCompanionPath()}): npm run build`);
  const r = spawnSync(process.execPath, [CLI, 'exec', ...VDUSE_SCRIPTS, '--parent', 'vduse', '--compare', 'model,vm:6.12', '--json', '--quiet'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.ok(r.stdout.trim().startsWith('{'), `exec --compare printed no JSON (exit ${r.status}): ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { scripts: { script: string; lines: Paired[] }[]; errors: unknown[] };
  assert.deepEqual(out.errors, []);
  const differing = out.scripts.flatMap((s) =>
    s.lines.filter((l) => l.verdict === 'differ' || l.verdict === 'missing').map((l) => `${s.script.split('/').pop()}:${l.line} ${l.op} ${l.differs.join(',')} model=${JSON.stringify(l.a)} real=${JSON.stringify(l.b)}`),
  );
  assert.deepEqual(differing, []);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(out.scripts.length, VDUSE_SCRIPTS.length);
});

test('--parent vduse on vm:6.1 is one line naming the kernel and the missing module, exit 2, before any boot', () => {
  const r = spawnSync(process.execPath, [CLI, 'exec', `${SESSIONS}vduse/vduse-maps.jsonl`, '--parent', 'vduse', '--backend', 'vm:6.1'], {
    encoding: 'utf8',
    env: { ...process.env, VDPA_LAB_CACHE: tempDir('vduse-empty-cache') },
  });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /vm:6\.1 \(6\.1\.0-56-amd64\) has no vduse module for a virtio-net device: .*CONFIG_VDPA unset.*virtio-blk only/);
});

test('replay --parent vduse on a real backend is one line, exit 2: a trace is replayed in PA mode, and VDUSE maps VAs only', () => {
  const trace = fileURLToPath(new URL('../../workloads/traces/qemu-7.2-vdpa_sim-6.12.117-baseline.log', import.meta.url));
  const r = spawnSync(process.execPath, [CLI, 'replay', trace, '--parent', 'vduse', '--backend', 'vm:6.12'], { encoding: 'utf8', env: { ...process.env, VDPA_LAB_CACHE: tempDir('vduse-replay-cache') } });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /--parent: a replay maps guest RAM in PA mode \(use_va=0\) and VDUSE maps user VAs only/);
});
