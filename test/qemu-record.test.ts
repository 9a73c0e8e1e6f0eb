/**
 * `qemu prepare` / `qemu record` without a VM: bad input is one line and exit 2
 * (nothing written), the inner guest's timeline gives the downtime per reset,
 * the record script's output comes back file by file, and the trace's own
 * timestamps give each stop's real span.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../src/workload/index.js';
import { downtimes, lastStep, parseGuestLog, traceResets } from '../src/real/qemu/index.js';
import { innerQemuArgs, parseRecordOutput, recordScript } from '../src/real/qemu/record-script.js';
import { refusedWrites } from '../src/real/qemu/refused-writes.js';
import { neededPackages, parseDepends } from '../src/real/qemu/suite-packages.js';
import { splitTraceLine } from '../src/vmm/trace/trace-line.js';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const SHIPPED_72 = resolve(PACKAGE_ROOT, 'workloads/traces/qemu-7.2-vdpa_sim-6.12.117-baseline.log');

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

function oneLineExit2(r: ReturnType<typeof cli>, what: RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, what);
}

test('an unknown QEMU release is one line, exit 2, naming the known ones (prepare and record)', () => {
  oneLineExit2(cli(['qemu', 'prepare', '--qemu', '9.9']), /--qemu: unknown QEMU release '9\.9' \(known: 7\.2 \(Debian bookworm\), 10\.0 \(Debian trixie\), 11\.1 \(Debian sid\)\)/);
  const out = join(tempDir('qrec'), 'out');
  oneLineExit2(cli(['qemu', 'record', '--qemu', '8.0', '--out', out]), /--qemu: unknown QEMU release '8\.0'/);
  assert.equal(existsSync(out), false, 'nothing written');
});

test('record refuses a release or a kernel that is not prepared, and a guest too big for the VM, with one line and exit 2', () => {
  const cache = tempDir('qrec-cache');
  const out = join(tempDir('qrec'), 'out');
  oneLineExit2(cli(['qemu', 'record', '--qemu', '10.0', '--out', out], { VDPA_LAB_CACHE: cache }), /--qemu: QEMU 10\.0 is not prepared: run 'vdpa-lab qemu prepare --qemu 10\.0'/);
  oneLineExit2(cli(['qemu', 'record', '--qemu', '7.2', '--ram', '64TiB', '--out', out], { VDPA_LAB_CACHE: cache }), /--ram: a 67108864 MiB guest needs a \d+ MiB kernel VM around it: more than 75% of this host's/);
  oneLineExit2(cli(['qemu', 'record', '--qemu', '7.2', '--ram', '64MiB', '--out', out], { VDPA_LAB_CACHE: cache }), /--ram: the inner guest needs at least 128 MiB/);
  oneLineExit2(cli(['qemu', 'record', '--qemu', '7.2', '--kernel', '5.10', '--out', out], { VDPA_LAB_CACHE: cache }), /--kernel: unknown kernel '5\.10'/);
  oneLineExit2(cli(['qemu', 'record', '--qemu', '7.2', '--backing', 'hugetlb-1g', '--out', out], { VDPA_LAB_CACHE: cache }), /--backing: unknown value 'hugetlb-1g'/);
  assert.equal(existsSync(out), false, 'nothing written');
});

test("the inner guest's stamps give each reset's downtime on its own clock, and name the last step of a guest that stopped", () => {
  const consoleText = [
    '[    0.000000] Linux version 6.12.117',
    '@@GUEST 40.10 init',
    '@@GUEST 41.00 modules',
    '@@GUEST 50.00 link-up 0',
    '@@GUEST 50.50 tx-done 0',
    '@@GUEST 60.00 unbind 1[  206.798502] virtio_net virtio0 eth0: NETDEV WATCHDOG: CPU: 0: transmit queue 0 timed out 69788 ms',
    '@@GUEST 61.20 unbound 1',
    '@@GUEST 70.00 bound 1',
    '@@GUEST 72.25 link-up 1',
    '@@GUEST 72.75 tx-done 1',
    '@@GUEST 80.00 unbind 2',
    '@@GUEST 85.00 link-up 2',
    '@@GUEST 86.00 tx-timeout 2',
  ].join('\r\n');
  const stamps = parseGuestLog(consoleText);
  assert.equal(stamps.length, 12, 'kernel lines are not stamps');
  assert.deepEqual(downtimes(stamps), [
    { reset: 1, linkUpMs: 12250, firstTxMs: 12750 },
    { reset: 2, linkUpMs: 5000, firstTxMs: null },
  ]);
  assert.equal(lastStep(stamps), 'tx-timeout 2 at 86.00 s guest time');
  assert.match(lastStep([]), /never reached its \/init/);
});

test("the record script's stdout comes back as QEMU's exit status and its files, byte for byte", () => {
  const trace = '185@1.000001:vhost_vdpa_init dev: 0x1 vdpa: 0x2\n185@1.000002:vhost_vdpa_set_owner dev: 0x1\n';
  const stdout = `@@REC-EXIT 137\n@@REC-FILE trace.log\n${trace}\n@@REC-END\n@@REC-FILE console.log\n\n@@REC-END\n`;
  const r = parseRecordOutput(stdout);
  assert.equal(r.exit, 137);
  assert.equal(r.files.get('trace.log'), trace);
  assert.equal(r.files.get('console.log'), '');
});

test('the inner QEMU runs as the issue names it: q35, TCG, vhost-vdpa on /dev/vhost-vdpa-0, the trace to a file; x-svq and hugetlbfs only when asked', () => {
  const layout = { bin: 'bin/qemu-system-x86_64', loader: 'lib/ld-linux-x86-64.so.2', libDir: 'lib', moduleDir: 'modules', dataDir: 'share' };
  const plain = innerQemuArgs({ ramMiB: 256, backing: 'thp', resets: 1, svq: false, deadlineS: 60, layout }).join(' ');
  assert.match(plain, /-machine q35,memory-backend=mem0 -accel tcg,tb-size=64 -m 256M -object memory-backend-ram,id=mem0,size=256M/);
  assert.match(plain, /-netdev type=vhost-vdpa,vhostdev=\/dev\/vhost-vdpa-0,id=n0 -device virtio-net-pci,netdev=n0,romfile= /);
  assert.match(plain, /-msg timestamp=on -trace vhost_vdpa_\* -D \/tmp\/rec\/trace\.log$/);
  const svq = innerQemuArgs({ ramMiB: 256, backing: 'hugetlb-2m', resets: 1, svq: true, deadlineS: 60, layout }).join(' ');
  assert.match(svq, /id=n0,x-svq=on/);
  assert.match(svq, /memory-backend-file,id=mem0,size=256M,mem-path=\/dev\/hugepages/);
  const script = recordScript({ ramMiB: 256, backing: 'hugetlb-2m', resets: 1, svq: true, deadlineS: 60, layout });
  assert.match(script, /timeout -s KILL 60 '\/qemu\/lib\/ld-linux-x86-64\.so\.2' '--library-path' '\/qemu\/lib' '\/qemu\/bin\/qemu-system-x86_64'/);
  assert.match(script, /mount -t hugetlbfs -o pagesize=2M none \/dev\/hugepages/);
});

test('QEMU runs with RLIMIT_MEMLOCK raised: vhost-vdpa checks its PA-mode pins against it, and 8 MiB (MLOCK_LIMIT) refused every guest RAM map of a 7.2 --svq recording', () => {
  const layout = { bin: 'bin/qemu-system-x86_64', loader: 'lib/ld-linux-x86-64.so.2', libDir: 'lib', moduleDir: 'modules', dataDir: 'share' };
  const script = recordScript({ ramMiB: 256, backing: 'thp', resets: 1, svq: true, deadlineS: 60, layout });
  const raise = script.indexOf('ulimit -l unlimited ||');
  assert.ok(raise > 0, script);
  assert.ok(raise < script.indexOf('timeout -s KILL'), 'the limit is raised before QEMU starts');
  // A limit the shell cannot raise stops the script (exit 3) before QEMU runs.
  assert.match(script.slice(raise), /^ulimit -l unlimited \|\| \{ echo "[^"]+" >&2; exit 3; \}$/m);
});

test("the kernel's refusals are read from QEMU's stderr (a trace shows a refused message as sent), and a clean stderr has none", () => {
  // QEMU 7.2.22's stderr in a 7.2 --svq recording made at the default RLIMIT_MEMLOCK (errno 14: vhost_chr_write_iter's EFAULT for the ENOMEM).
  const stderr = [
    '2026-12-07T18:46:39.834269Z qemu-system-x86_64: failed to write, fd=4, errno=14 (Bad address)',
    '2026-12-07T18:46:39.837538Z qemu-system-x86_64: vhost vdpa map fail!',
    '2026-12-07T18:46:39.837883Z qemu-system-x86_64: vhost-vdpa: DMA mapping failed, unable to continue',
    '',
  ].join('\n');
  assert.deepEqual(refusedWrites(stderr), [
    '2026-12-07T18:46:39.834269Z qemu-system-x86_64: failed to write, fd=4, errno=14 (Bad address)',
    '2026-12-07T18:46:39.837538Z qemu-system-x86_64: vhost vdpa map fail!',
  ]);
  assert.deepEqual(refusedWrites('qemu-system-x86_64: terminating on signal 15 from pid 1\n'), []);
  assert.deepEqual(refusedWrites(''), []);
});

test("apt's Depends are read with the first of each set of alternatives, and kept to QEMU's packages and shared libraries", () => {
  const text = 'qemu-system-x86\n  Depends: libaio1t64\n  Depends: <libc6-udeb>\n  Depends: ipxe-qemu\nlibaio1t64\n  PreDepends: libc6\n |Depends: libsystemd0\n  Depends: libelogind0\n  Depends: zlib1g\n';
  const deps = parseDepends(text);
  assert.deepEqual([...deps.keys()], ['qemu-system-x86', 'libaio1t64']);
  assert.deepEqual(deps.get('qemu-system-x86'), ['libaio1t64', 'ipxe-qemu']);
  assert.deepEqual(deps.get('libaio1t64'), ['libc6', 'libsystemd0', 'zlib1g'], 'libelogind0 is the alternative');
  assert.deepEqual(neededPackages(['qemu-system-x86', 'ipxe-qemu', 'libc6', 'gcc-14-base', 'seabios', 'zlib1g', 'libc-bin']), ['qemu-system-x86', 'libc6', 'seabios', 'zlib1g']);
});

test("the shipped 7.2 trace's timestamps give each device stop's real span: four stops, three followed by a start", () => {
  const t = traceResets(readFileSync(SHIPPED_72, 'utf8'));
  assert.equal(t.length, 4);
  assert.equal(t[0].line, 89, 'the first vhost_vdpa_dev_start ... started: 0');
  assert.ok(t.every((x, i) => i === 0 || x.line > t[i - 1].line));
  assert.equal(t.filter((x) => x.stopToStartMs !== null).length, 3, 'the last stop is the poweroff');
  for (const x of t) assert.ok(x.stopSpanMs >= 0 && (x.stopToStartMs ?? 0) >= x.stopSpanMs, JSON.stringify(x));
});

test("QEMU 11.1's ISO 8601 timestamp prefix (-msg timestamp=on) is read as the PID@SECONDS.MICROS one is", () => {
  const iso = splitTraceLine('2026-12-07T16:31:13.181376Z vhost_vdpa_set_owner dev: 0x555569db3800', 1);
  assert.equal(iso?.event, 'vhost_vdpa_set_owner');
  assert.equal(iso?.args, 'dev: 0x555569db3800');
  assert.equal(iso?.seconds, Date.UTC(2026, 11, 7, 16, 31, 13) / 1000 + 0.181376);
  assert.equal(splitTraceLine('185@1796052870.751715:vhost_vdpa_set_owner dev: 0x1', 2)?.seconds, 1796052870.751715);
  const t = traceResets(['2026-12-07T16:31:13.000000Z vhost_vdpa_dev_start dev: 0x1 started: 1', '2026-12-07T16:31:14.000000Z vhost_vdpa_dev_start dev: 0x1 started: 0', '2026-12-07T16:31:14.250000Z vhost_vdpa_reset_device dev: 0x1', '2026-12-07T16:31:16.000000Z vhost_vdpa_dev_start dev: 0x1 started: 1'].join('\n'));
  assert.deepEqual(t.map((x) => [x.line, x.stopSpanMs, x.stopToStartMs]), [[2, 250, 2000]]);
});
