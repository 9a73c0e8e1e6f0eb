import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isInputError } from '../src/errors.js';
import { cacheRoot } from '../src/real/cache.js';
import { readCpio, writeCpio, CPIO_MODE } from '../src/real/cpio.js';
import { FRAME_PREFIX } from '../src/real/guest-protocol.js';
import { MissingToolError, findOnPath, requireTools } from '../src/real/host-tools.js';
import { REAL_KERNELS, resolveKernel } from '../src/real/kernels.js';
import { readModInfo } from '../src/real/modinfo.js';
import { kbuildText } from '../src/real/prepare/build-modules.js';
import { prepareKernel } from '../src/real/prepare/prepare-kernel.js';
import { initSha256, MANIFEST_FILE, MANIFEST_VERSION, packagesKey, readValidManifest } from '../src/real/prepare/manifest.js';
import { initScript } from '../src/real/prepare/init-script.js';
import { FrameReader } from '../src/real/vm/frames.js';
import { checkJobs, jobArchive, type VmJob } from '../src/real/vm/job-archive.js';
import { liveQemuCount, readPreparedKernel, runJobsInVm, VmFailedError, type PreparedKernel } from '../src/real/vm/index.js';
import { unknownParamError } from '../src/real/vm/run-jobs.js';
import { requireRealKernel, skipWithoutRealKernel } from './support/real-kernel.js';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

test('the cpio writer produces newc archives that read back, also when two are concatenated', () => {
  const big = Buffer.alloc(1001, 7);
  const a = writeCpio([
    { kind: 'dir', path: 'bin' },
    { kind: 'file', path: '/bin/tool', data: big, mode: 0o755 },
    { kind: 'symlink', path: 'bin/sh', target: 'tool' },
  ]);
  const b = writeCpio([{ kind: 'file', path: 'jobs/list', data: Buffer.from('a\nb\n') }]);
  assert.equal(a.length % 512, 0, 'archives end on a 512-byte block so the next one can follow');
  const back = readCpio(Buffer.concat([a, b]));
  assert.deepEqual(
    back.map((r) => [r.path, r.mode.toString(8)]),
    [['bin', (CPIO_MODE.S_IFDIR | 0o755).toString(8)], ['bin/tool', (CPIO_MODE.S_IFREG | 0o755).toString(8)], ['bin/sh', (CPIO_MODE.S_IFLNK | 0o777).toString(8)], ['jobs/list', (CPIO_MODE.S_IFREG | 0o644).toString(8)]],
  );
  assert.deepEqual(back[1].data, big);
  assert.equal(back[2].data.toString(), 'tool');
  assert.equal(back[3].data.toString(), 'a\nb\n');
  if (findOnPath('cpio')) {
    const dir = tempDir('cpio');
    writeFileSync(join(dir, 'a.cpio'), a);
    const r = spawnSync('cpio', ['-t', '-F', join(dir, 'a.cpio')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['bin', 'bin/tool', 'bin/sh']);
  }
});

test('the job archive carries the job list, the probe, and each job\'s script, args and module parameters', () => {
  const jobs: VmJob[] = [
    { id: 'one', vdpaSim: { use_va: 0, batch_mapping: 1 }, vhostVdpa: { max_iotlb_entries: 2048 }, devices: 2, script: '{"op":"open"}\n', probeArgs: ['--device', 'a b'] },
    { id: 'two', vdpaSim: {}, vhostVdpa: {}, devices: 1, script: '' },
  ];
  const files = new Map(readCpio(jobArchive(jobs, Buffer.from('PROBE'))).map((r) => [r.path, r.data.toString()]));
  assert.equal(files.get('jobs/list'), 'one\ntwo\n');
  assert.equal(files.get('jobs/probe'), 'PROBE');
  assert.equal(files.get('jobs/one/vdpa_sim.params'), 'use_va=0 batch_mapping=1\n');
  assert.equal(files.get('jobs/one/vhost_vdpa.params'), 'max_iotlb_entries=2048\n');
  assert.equal(files.get('jobs/one/devices'), '2\n');
  assert.equal(files.get('jobs/one/args'), '--device\na b\n');
  assert.equal(files.get('jobs/one/script'), '{"op":"open"}\n');
  assert.equal(files.get('jobs/two/vdpa_sim.params'), '\n');
});

test('jobs with a bad id, a repeated id, a non-integer parameter or too many devices are refused naming the field', () => {
  const ok: VmJob = { id: 'a', vdpaSim: {}, vhostVdpa: {}, devices: 1, script: '' };
  const refuse = (jobs: VmJob[], where: RegExp) => assert.throws(() => checkJobs(jobs), (e: unknown) => isInputError(e) && where.test((e as Error).message));
  refuse([{ ...ok, id: 'Bad_Id' }], /^jobs\[0\]\.id: 'Bad_Id' must match/);
  refuse([ok, ok], /^jobs\[1\]\.id: 'a' is used twice/);
  refuse([{ ...ok, vdpaSim: { use_va: 0.5 } }], /^jobs\[0\]\.vdpaSim\.use_va: must be an integer/);
  refuse([{ ...ok, devices: 99 }], /^jobs\[0\]\.devices: must be an integer from 0 to 16/);
  refuse([{ ...ok, probeArgs: ['a\nb'] }], /^jobs\[0\]\.probeArgs/);
  checkJobs([ok, { ...ok, id: 'b-2' }]);
});

test('a parameter the kernel\'s module lacks is a setup error naming it, from the module\'s own parameter list', () => {
  const k = { release: '6.1.0-56-amd64', moduleParams: { vdpa_sim: ['max_iotlb_entries', 'batch_mapping'], vhost_vdpa: ['max_iotlb_entries'] } } as unknown as PreparedKernel;
  const job: VmJob = { id: 'a', vdpaSim: { batch_mapping: 0 }, vhostVdpa: { max_iotlb_entries: 10 }, devices: 1, script: '' };
  assert.equal(unknownParamError(job, k), null);
  assert.equal(
    unknownParamError({ ...job, vdpaSim: { use_va: 0 } }, k),
    "vdpa_sim in 6.1.0-56-amd64 has no parameter 'use_va' (it has: max_iotlb_entries, batch_mapping)",
  );
});

test('the kernel table resolves aliases and full releases, pins a generation each, and refuses unknown names listing the known ones', () => {
  assert.equal(resolveKernel('6.1').generation, 'legacy');
  assert.equal(resolveKernel('6.12').generation, 'reset-map');
  assert.equal(resolveKernel('6.12.117+deb12-amd64').alias, '6.12');
  assert.equal(resolveKernel(' 6.1.0-56-amd64 ').alias, '6.1');
  assert.equal(resolveKernel('7.2').generation, 'reset-map');
  assert.equal(resolveKernel('7.2.13').release, '7.2.13+deb14-amd64', 'the upstream version names the kernel too');
  assert.throws(
    () => resolveKernel('5.10', '--kernel'),
    (e: unknown) => isInputError(e) && (e as Error).message === "--kernel: unknown kernel '5.10' (known: 6.1 (6.1.0-56-amd64), 6.12 (6.12.117+deb12-amd64), 7.2 (7.2.13+deb14-amd64))",
  );
  assert.deepEqual(REAL_KERNELS.map((k) => k.alias), ['6.1', '6.12', '7.2']);
  for (const k of REAL_KERNELS) {
    assert.match(k.image.version, /^[67]\.\d+\.\d+-/);
    assert.equal(k.source.version, k.image.version, `${k.alias}: linux-source must be the image's version`);
  }
});

test('the cache root is $VDPA_LAB_CACHE, else $XDG_CACHE_HOME/vdpa-lab, else ~/.cache/vdpa-lab', () => {
  assert.equal(cacheRoot({ VDPA_LAB_CACHE: '/x/cache', XDG_CACHE_HOME: '/y' }), '/x/cache');
  assert.equal(cacheRoot({ XDG_CACHE_HOME: '/y' }), '/y/vdpa-lab');
  assert.equal(cacheRoot({}), join(homedir(), '.cache', 'vdpa-lab'));
});

test('a missing host tool is one error naming the tool and its apt package', () => {
  assert.throws(
    () => requireTools(['make', 'qemu-system-x86_64'], '/nonexistent'),
    (e: unknown) => e instanceof MissingToolError && e.exitCode === 1 && e.message === "make not found on PATH: install it with 'apt-get install make'",
  );
  const cache = tempDir('cache');
  const r = spawnSync(process.execPath, [CLI, 'kernels', 'prepare', '--kernel', '6.12'], {
    encoding: 'utf8',
    env: { PATH: '/nonexistent', VDPA_LAB_CACHE: cache, HOME: cache },
  });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr.trim(), "error: apt-get not found on PATH: install it with 'apt-get install apt'");
});

test('kernels prepare refuses an unknown kernel with exit 2 and one line', () => {
  const r = spawnSync(process.execPath, [CLI, 'kernels', 'prepare', '--kernel', '6.1,4.19'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr.trim(), /^error: --kernel: unknown kernel '4\.19' \(known: 6\.1 /);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

/** A minimal ELF64 with a .modinfo section, as a module has. */
function elfWithModinfo(modinfo: string): Buffer {
  const shstr = Buffer.from('\0.shstrtab\0.modinfo\0');
  const info = Buffer.from(modinfo);
  const shoff = 64 + shstr.length + info.length;
  const elf = Buffer.alloc(shoff + 3 * 64);
  elf.writeUInt32BE(0x7f454c46, 0);
  elf[4] = 2;
  elf[5] = 1;
  elf.writeBigUInt64LE(BigInt(shoff), 0x28);
  elf.writeUInt16LE(64, 0x3a);
  elf.writeUInt16LE(3, 0x3c);
  elf.writeUInt16LE(1, 0x3e);
  shstr.copy(elf, 64);
  info.copy(elf, 64 + shstr.length);
  const sh = (i: number, name: number, offset: number, size: number) => {
    const at = shoff + i * 64;
    elf.writeUInt32LE(name, at);
    elf.writeBigUInt64LE(BigInt(offset), at + 0x18);
    elf.writeBigUInt64LE(BigInt(size), at + 0x20);
  };
  sh(1, 1, 64, shstr.length);
  sh(2, 11, 64 + shstr.length, info.length);
  return elf;
}

test('modinfo is read from the .modinfo section: depends, parameter names, vermagic', () => {
  const elf = elfWithModinfo(
    'license=GPL\0parm=use_va:Enable VA\0parmtype=use_va:bool\0parmtype=max_iotlb_entries:int\0depends=vhost_iotlb,vringh,vdpa\0vermagic=6.12.117+deb12-amd64 SMP preempt mod_unload modversions \0',
  );
  assert.deepEqual(readModInfo(elf), { depends: ['vhost_iotlb', 'vringh', 'vdpa'], params: ['use_va', 'max_iotlb_entries'], vermagic: '6.12.117+deb12-amd64 SMP preempt mod_unload modversions ' });
  assert.deepEqual(readModInfo(elfWithModinfo('depends=\0')).depends, []);
  assert.throws(() => readModInfo(Buffer.from('not an elf, not at all, and long enough to have a header of sixty-four bytes')), /not an ELF file/);
});

test('the out-of-tree Kbuild lists exactly the missing modules and renames vhost\'s vdpa.c', () => {
  assert.equal(kbuildText(resolveKernel('6.12')).split('\n')[1], 'obj-m := vringh.o vdpa_sim.o vdpa_sim_net.o vp_vdpa.o');
  const k61 = kbuildText(resolveKernel('6.1'));
  assert.match(k61, /^obj-m := vdpa\.o vhost_vdpa\.o vringh\.o vdpa_sim\.o vdpa_sim_net\.o vp_vdpa\.o$/m);
  assert.match(k61, /^vhost_vdpa-y := vhost_vdpa_main\.o$/m);
});

test('the guest init is valid shell', () => {
  const dir = tempDir('init');
  writeFileSync(join(dir, 'init'), initScript());
  const r = spawnSync('sh', ['-n', join(dir, 'init')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('the frame reader rebuilds each job from chunks split anywhere, ignoring carriage returns and stray lines', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const P = FRAME_PREFIX;
  const stream = [
    'garbage before\r\n',
    `${P} boot\r\n`,
    `${P} release 6.12.117+deb12-amd64\n`,
    `${P} job a begin\n`,
    `${P} job a exit 0\n`,
    `${P} blob a stdout\n`,
    `${b64('{"line":1}\n{"line":2}\n').replace(/(.{8})/g, '$1\n')}\n`,
    `${P} blob-end\n`,
    `${P} blob a stderr\n\n${P} blob-end\n`,
    `${P} job a end 10.5 11.25\n`,
    `${P} job b begin\n${P} job b setup-error insmod vdpa_sim: Invalid argument\n`,
    `${P} blob b dmesg\n${b64('vdpa_sim: boom\n')}\n${P} blob-end\n`,
    `${P} job b end 12 12.5\n${P} done\n`,
  ].join('');
  const reader = new FrameReader();
  const events = [];
  for (let i = 0; i < stream.length; i += 7) events.push(...reader.push(stream.slice(i, i + 7)));
  assert.deepEqual(
    events.map((e) => e.kind),
    ['boot', 'release', 'job-begin', 'job-end', 'job-begin', 'job-end', 'done'],
  );
  const ends = events.filter((e) => e.kind === 'job-end').map((e) => (e as { result: unknown }).result);
  assert.deepEqual(ends[0], { id: 'a', exitCode: 0, stdout: '{"line":1}\n{"line":2}\n', stderr: '', guestSeconds: 0.75 });
  assert.deepEqual(ends[1], { id: 'b', exitCode: -1, stdout: '', stderr: '', setupError: 'insmod vdpa_sim: Invalid argument', dmesg: 'vdpa_sim: boom\n', guestSeconds: 0.5 });
  assert.deepEqual(reader.noise, ['garbage before']);
});

/**
 * A "probe" that is a guest shell script: it reports the module parameters the
 * job loaded, whether the device node existed, and echoes its stdin.
 */
function shellProbe(): string {
  const dir = tempDir('probe');
  const path = join(dir, 'probe.sh');
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      'for p in use_va batch_mapping; do [ -e /sys/module/vdpa_sim/parameters/$p ] && echo "vdpa_sim.$p=$(cat /sys/module/vdpa_sim/parameters/$p)"; done',
      'echo "vhost_vdpa.max_iotlb_entries=$(cat /sys/module/vhost_vdpa/parameters/max_iotlb_entries)"',
      '[ -c /dev/vhost-vdpa-0 ] && echo dev0=yes',
      'echo "args=$*"',
      'cat',
      'echo bye >&2',
      'exit 7',
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
  return path;
}

for (const alias of ['6.1', '6.12']) {
  // A shell script stands in for the probe: these need the kernel alone.
  test(`one boot of ${alias} runs two jobs with different vdpa_sim parameters and brings back their output`, { skip: skipWithoutRealKernel(alias, { probe: false }) }, async (t) => {
    const k = requireRealKernel(alias, { probe: false });
    // 6.12's vdpa_sim has use_va (PA vs VA mode); 6.1's has only batch_mapping, so vary that one there.
    const varied = k.moduleParams.vdpa_sim.includes('use_va') ? 'use_va' : 'batch_mapping';
    const run = await runJobsInVm(
      alias,
      [
        { id: 'first', vdpaSim: { [varied]: 0 }, vhostVdpa: { max_iotlb_entries: 100 }, devices: 2, script: 'line one\n', probeArgs: ['a b', 'c'] },
        { id: 'second', vdpaSim: { [varied]: 1 }, vhostVdpa: {}, devices: 1, script: '' },
        { id: 'refused', vdpaSim: { no_such_param: 1 }, vhostVdpa: {}, devices: 1, script: '' },
      ],
      { probePath: shellProbe(), onProgress: (l) => t.diagnostic(l) },
    );
    t.diagnostic(`boot ${run.bootMs} ms, whole run ${run.wallMs} ms, ${run.accel}`);
    assert.equal(run.release, k.release);
    const [first, second, refused] = run.jobs;
    const bool = varied === 'use_va' ? ['N', 'Y'] : ['0', '1'];
    assert.equal(first.exitCode, 7, first.stderr);
    assert.match(first.stdout, new RegExp(`^vdpa_sim\\.${varied}=${bool[0]}$`, 'm'));
    assert.match(first.stdout, /^vhost_vdpa\.max_iotlb_entries=100$/m);
    assert.match(first.stdout, /^dev0=yes$/m);
    assert.match(first.stdout, /^args=a b c\nline one\n$/m);
    assert.equal(first.stderr, 'bye\n');
    assert.match(second.stdout, new RegExp(`^vdpa_sim\\.${varied}=${bool[1]}$`, 'm'));
    assert.match(second.stdout, /^vhost_vdpa\.max_iotlb_entries=2048$/m, 'parameters of the first job do not leak into the second');
    assert.match(second.stdout, /^dev0=yes$/m);
    assert.match(refused.setupError ?? '', /vdpa_sim in .* has no parameter 'no_such_param'/);
    assert.equal(liveQemuCount(), 0);
  });
}

test('a VM that does not finish in time is killed and the error says how far it got', { skip: skipWithoutRealKernel('6.12', { probe: false }) }, async () => {
  requireRealKernel('6.12', { probe: false });
  await assert.rejects(
    runJobsInVm('6.12', [], { accel: 'tcg', timeoutMs: 1500, probePath: shellProbe() }),
    (e: unknown) => e instanceof VmFailedError && /did not finish within 2 s; it never reached \/init/.test(e.message),
  );
  assert.equal(liveQemuCount(), 0);
});

test('a cache entry is trusted only with a manifest naming today\'s packages and files of the recorded sizes', () => {
  const k = resolveKernel('6.12');
  const dir = tempDir('entry');
  writeFileSync(join(dir, 'vmlinuz'), 'kernel');
  writeFileSync(join(dir, 'initramfs.cpio'), 'archive');
  assert.equal(readValidManifest(dir, k).reason, 'no manifest (an interrupted prepare)');
  const manifest = { manifestVersion: MANIFEST_VERSION, release: k.release, packages: packagesKey(k), initSha256: initSha256(), vmlinuz: 'vmlinuz', initramfs: 'initramfs.cpio', vmlinuzBytes: 6, initramfsBytes: 7, modules: [] };
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(manifest));
  assert.ok(readValidManifest(dir, k).manifest);
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, initramfsBytes: 8 }));
  assert.equal(readValidManifest(dir, k).reason, 'initramfs.cpio is missing or has the wrong size');
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, packages: ['linux-image-x=1'] }));
  assert.equal(readValidManifest(dir, k).reason, 'prepared from other package versions');
  // An entry built with another guest /init is rebuilt, not trusted.
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify({ ...manifest, initSha256: 'f'.repeat(64) }));
  assert.equal(readValidManifest(dir, k).reason, "prepared with another version of the guest's /init");
  writeFileSync(join(dir, MANIFEST_FILE), '{"half');
  assert.equal(readValidManifest(dir, k).reason, 'manifest.json is not valid JSON');
});

test('preparing a kernel that is prepared already reuses the entry in well under a second', { skip: skipWithoutRealKernel('6.12', { probe: false }) }, async () => {
  const k = requireRealKernel('6.12', { probe: false });
  const t0 = performance.now();
  const r = await prepareKernel('6.12');
  const ms = performance.now() - t0;
  assert.equal(r.reused, true);
  assert.equal(r.dir, k.dir);
  assert.ok(ms < 500, `took ${ms} ms`);
});
