/**
 * QEMU 10.0.13 advertises 1024 entries for every virtqueue, more than
 * vdpa_sim's 256 that Linux 6.12's vhost-vdpa enforces at VHOST_SET_VRING_NUM,
 * so vhost never started in the inner guest (src/real/qemu/releases.ts). The
 * record command asks the inner guest for the sizes every other release
 * advertises, the guest writes them into the virtio-pci common config before
 * each bind, and a run where QEMU still fell back on userspace virtio is
 * named as such instead of "no message stream".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QEMU_RELEASES, resolveQemuRelease, vhostFallback } from '../src/real/qemu/index.js';
import { innerInitScript, SET_QUEUE_SIZES_SH } from '../src/real/qemu/inner-init.js';
import { innerQemuArgs } from '../src/real/qemu/record-script.js';
import { tempDir } from './support/temp-dir.js';

const layout = { bin: 'bin/qemu-system-x86_64', loader: 'lib/ld-linux-x86-64.so.2', libDir: 'lib', moduleDir: 'modules', dataDir: 'share' };
const appendOf = (alias: string) => {
  const args = innerQemuArgs({ ramMiB: 256, backing: 'thp', resets: 2, svq: false, queueSizes: resolveQemuRelease(alias).guestQueueSizes, deadlineS: 60, layout });
  return args[args.indexOf('-append') + 1];
};

test("10.0's inner guest asks for virtio-net's 256/256 and the CVQ's 64 (what 7.2 and 11.1 advertise); 7.2 and 11.1 keep QEMU's own", () => {
  assert.deepEqual(resolveQemuRelease('10.0.13').guestQueueSizes, [256, 256, 64]);
  assert.match(appendOf('10.0'), / vdpalab\.resets=2 iomem=relaxed vdpalab\.vqsizes=256,256,64$/);
  for (const r of QEMU_RELEASES.filter((x) => x.alias !== '10.0')) {
    assert.equal(r.guestQueueSizes, undefined, r.alias);
    assert.match(appendOf(r.alias), / no_timer_check vdpalab\.resets=2$/, `${r.alias}: its shipped recording's command line is unchanged`);
  }
});

test('the inner guest writes the sizes before virtio_net first binds and again between every unbind (a device reset) and bind', () => {
  const s = innerInitScript();
  const at = (text: string, from = 0) => {
    const i = s.indexOf(text, from);
    assert.ok(i >= 0, `${text} in /init`);
    return i;
  };
  assert.ok(at('queue_sizes 0') < at('insmod /lib/modules/$m.ko'), 'before virtio_net is loaded');
  const unbound = at('stamp unbound $i');
  assert.ok(unbound < at('queue_sizes $i') && at('queue_sizes $i') < at('virtio_net/bind', unbound));
});

/** A virtio-pci function's sysfs directory: config space with an MSI-X capability, the ISR and common-config vendor capabilities, and BAR 4. */
function fakePciDir(commonOffset: number, withCommon = true): string {
  const dir = tempDir('vqsz-pci');
  const cfg = Buffer.alloc(256);
  cfg[0x34] = 0x40;
  cfg.set([0x11, 0x50], 0x40); // MSI-X, next 0x50
  const vendorCap = (at: number, next: number, type: number, bar: number, offset: number) => {
    cfg.set([0x09, next, 16, type, bar], at);
    cfg.writeUInt32LE(offset, at + 8);
    cfg.writeUInt32LE(0x1000, at + 12);
  };
  vendorCap(0x50, withCommon ? 0x64 : 0, 3, 4, 0x1000); // ISR
  if (withCommon) vendorCap(0x64, 0, 1, 4, commonOffset);
  writeFileSync(join(dir, 'config'), cfg);
  const res = (start: bigint, size: bigint) => `0x${start.toString(16).padStart(16, '0')} 0x${(start + size - 1n).toString(16).padStart(16, '0')} 0x0000000000140204\n`;
  const none = `0x${'0'.repeat(16)} 0x${'0'.repeat(16)} 0x${'0'.repeat(16)}\n`;
  writeFileSync(join(dir, 'resource'), none + res(0xfeb80000n, 0x1000n) + none + none + res(0xfe000000n, 0x4000n) + none + none);
  return dir;
}

/** busybox devmem as the script calls it, on a file per address; a size listed in DEVMEM_STUCK does not stick. */
function fakeDevmem(): { path: string; state: string } {
  const bin = tempDir('vqsz-bin');
  const state = join(bin, 'state');
  mkdirSync(state);
  writeFileSync(
    join(bin, 'devmem'),
    `#!/bin/sh
if [ $# -ge 3 ]; then echo "$1 $2 $3" >> "$DEVMEM_STATE/log"; [ "$DEVMEM_STUCK" = "$3" ] || echo "$3" > "$DEVMEM_STATE/$1"
else printf '0x%04X\\n' "$(cat "$DEVMEM_STATE/$1" 2>/dev/null || echo 1024)"; fi
`,
  );
  chmodSync(join(bin, 'devmem'), 0o755);
  return { path: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, state };
}

function setQueueSizes(pci: string, sizes: string, stuck = '') {
  const dm = fakeDevmem();
  const r = spawnSync('sh', ['-c', `${SET_QUEUE_SIZES_SH}\nset_queue_sizes "$0" "$1"`, pci, sizes], { encoding: 'utf8', env: { PATH: dm.path, DEVMEM_STATE: dm.state, DEVMEM_STUCK: stuck } });
  let log = '';
  try {
    log = readFileSync(join(dm.state, 'log'), 'utf8');
  } catch {
    // nothing written
  }
  return { status: r.status, stderr: r.stderr, writes: log.trim().split('\n').filter(Boolean) };
}

test("set_queue_sizes finds the common config through the device's vendor capability and writes queue_select, then queue_size, per queue", () => {
  const common = 0xfe000000 + 0x2000;
  const r = setQueueSizes(fakePciDir(0x2000), '256,256,64');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.writes, [
    `${common + 0x16} 16 0`, `${common + 0x18} 16 256`,
    `${common + 0x16} 16 1`, `${common + 0x18} 16 256`,
    `${common + 0x16} 16 2`, `${common + 0x18} 16 64`,
  ]);
});

test('set_queue_sizes reads the config space once: a second call (the next reset) goes straight to the writes', () => {
  const pci = fakePciDir(0x2000);
  const dm = fakeDevmem();
  const r = spawnSync('sh', ['-c', `${SET_QUEUE_SIZES_SH}\nset_queue_sizes "$0" 256 && rm "$0/config" "$0/resource" && set_queue_sizes "$0" 128`, pci], { encoding: 'utf8', env: { PATH: dm.path, DEVMEM_STATE: dm.state } });
  assert.equal(r.status, 0, r.stderr);
  const common = 0xfe000000 + 0x2000;
  assert.deepEqual(readFileSync(join(dm.state, 'log'), 'utf8').trim().split('\n'), [`${common + 0x16} 16 0`, `${common + 0x18} 16 256`, `${common + 0x16} 16 0`, `${common + 0x18} 16 128`]);
});

test('set_queue_sizes fails (so /init fails naming it) when the device has no common config or a size does not stick', () => {
  const none = setQueueSizes(fakePciDir(0, false), '256');
  assert.equal(none.status, 1);
  assert.deepEqual(none.writes, []);
  assert.equal(setQueueSizes(fakePciDir(0), '256,256,64', '64').status, 1, 'the CVQ stayed at 1024');
});

test("QEMU's fallback on userspace virtio is read from its stderr with the op that failed; a clean stderr is not one", () => {
  const stderr = [
    '2026-12-07T20:01:02.000001Z qemu-system-x86_64: vhost_set_vring_num failed: Invalid argument (22)',
    '2026-12-07T20:01:02.000002Z qemu-system-x86_64: unable to start vhost net: 22: falling back on userspace virtio',
    '',
  ].join('\n');
  assert.equal(vhostFallback(stderr), `${stderr.split('\n')[0]} | ${stderr.split('\n')[1]}`);
  assert.equal(vhostFallback('qemu-system-x86_64: terminating on signal 15\n'), null);
  assert.equal(vhostFallback(''), null);
});
