/**
 * `qemu record` end to end: the 6.12 kernel VM with vdpa_sim, real Debian QEMU
 * inside it under nested TCG, a 128 MiB inner guest, one reset. Nested TCG
 * takes minutes (the inner kernel's boot alone; docs/qemu-in-the-loop.md has
 * the measured times), more than `npm test` may spend, so it is opt-in:
 * VDPA_LAB_QEMU_RECORD=7.2 (or a list, or `all`) runs it for those releases.
 * Once opted in, it follows test/support/real-kernel.ts: a missing kernel or
 * QEMU skips with the reason, or fails under CI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPreparedQemu, QEMU_RELEASES } from '../src/real/qemu/index.js';
import { readInnerGuest } from '../src/real/qemu/inner-guest.js';
import { replayTrace } from '../src/runner/replay/index.js';
import { loadProfile } from '../src/cost/index.js';
import { PACKAGE_ROOT } from '../src/workload/index.js';
import { realKernelMissing, underCi } from './support/real-kernel.js';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const wanted = (process.env.VDPA_LAB_QEMU_RECORD ?? '').trim();
const releases = wanted === 'all' ? QEMU_RELEASES.map((r) => r.alias) : wanted.split(',').map((s) => s.trim()).filter(Boolean);

function missing(release: string): string | undefined {
  const k = realKernelMissing('6.12', { probe: false });
  if (k) return k;
  try {
    readPreparedQemu(release);
  } catch (e) {
    return (e as Error).message;
  }
  return readInnerGuest() ? undefined : "the inner guest is not prepared: run 'vdpa-lab qemu prepare'";
}

function skipFor(release: string): string | false {
  const why = missing(release);
  return why && !underCi() ? `needs QEMU ${release} and kernel 6.12 prepared: ${why}` : false;
}

if (releases.length === 0) test('qemu record end to end (opt-in: VDPA_LAB_QEMU_RECORD=7.2 or all; minutes of nested TCG)', { skip: 'VDPA_LAB_QEMU_RECORD is not set' }, () => {});

for (const release of releases) {
  test(`qemu record --qemu ${release}: the real trace replays on the model, pinning the pages its maps cover, and the guest's downtime is measured`, { skip: skipFor(release), timeout: 40 * 60_000 }, async () => {
    const why = missing(release);
    if (why) throw new Error(`CI is set, so this real test fails instead of skipping: ${why}`);
    const out = join(tempDir('qrec-real'), 'out');
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      const child = spawn(process.execPath, [CLI, 'qemu', 'record', '--qemu', release, '--ram', '128MiB', '--resets', '1', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b));
      child.stderr.on('data', (b: Buffer) => (stderr += b));
      child.on('close', (code) => done({ code, stdout, stderr }));
    });
    assert.equal(r.code, 0, `${r.stderr.slice(-3000)}`);
    assert.match(r.stdout, /real \(nested TCG\)/);
    assert.match(r.stdout, /Nested TCG/);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { real: { downtime: { reset: number; linkUpMs: number | null; firstTxMs: number | null }[] } };
    assert.equal(results.real.downtime.length, 1);
    assert.ok((results.real.downtime[0].linkUpMs ?? -1) > 0, 'the link came back after the reset');
    // The kernel held the guest's RAM (QEMU ran with RLIMIT_MEMLOCK raised, and exit 0 means its stderr showed no refused
    // write): vdpa_sim translated the rings through it and handed the TX buffer back.
    assert.ok((results.real.downtime[0].firstTxMs ?? -1) > 0, 'a TX completed after the reset');
    assert.equal(readFileSync(join(out, 'stream-check'), 'utf8').length > 0, true);
    const text = readFileSync(join(out, 'trace.log'), 'utf8');
    const { profile, hash } = loadProfile(join(PACKAGE_ROOT, 'workloads/profiles/default.json'));
    const o = replayTrace(text, 'trace.log', { kernel: 'reset-map', parent: 'vdpa_sim', backing: 'thp', backingGiven: true, whatIfPersist: true, profileName: 'default', profile, profileHash: hash });
    const starts = (text.match(/vhost_vdpa_dev_start .*started: 1/g) ?? []).length;
    assert.ok(starts >= 2, `the device started at boot and after the reset (${starts} start lines)`);
    const pinned = (flow: 0 | 1) => o.devices.reduce((s, d) => s + (d.flows[flow].replay.counters.pagesPinned ?? 0), 0);
    assert.ok(pinned(0) > 0 && pinned(1) < pinned(0), `persist pins fewer: ${pinned(1)} < ${pinned(0)}`);
  });
}
