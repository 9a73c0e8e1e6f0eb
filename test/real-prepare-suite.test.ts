/**
 * Preparing a kernel from another Debian suite (unstable's 7.2): the lab's
 * own apt configuration, unstable's kbuild tools run through unstable's
 * loader, and a module that does not build reported as one line naming the
 * module and the compiler's first error. No downloads: the build is run
 * against a stand-in headers tree with a stand-in `make` first on PATH.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

import { join } from 'node:path';
import { InputError } from '../src/errors.js';
import { REAL_KERNELS, resolveKernel } from '../src/real/index.js';
import { aptSuiteOptions, DEFAULT_DEBIAN_MIRROR, systemDebianMirror } from '../src/real/prepare/apt-suite.js';
import { buildModules, firstCompileError } from '../src/real/prepare/build-modules.js';
import { loaderScript } from '../src/real/prepare/kbuild-runtime.js';
import { packagesKey } from '../src/real/prepare/manifest.js';
import { tempDir } from './support/temp-dir.js';

const k72 = resolveKernel('7.2');

test('a compiler error names its module: by the source file it names, else by the object make was building', () => {
  const out = [
    'make[3]: Entering directory',
    '  CC [M]  vdpa_sim.o',
    "vdpa_sim_net.c:459:9: error: 'vdpasim_net_mgmtdev' undeclared here (not in a function)",
    'vdpa_sim.c:12:1: error: later one',
  ].join('\n');
  assert.deepEqual(firstCompileError(k72, out), { module: 'vdpa_sim_net', error: "vdpa_sim_net.c:459:9: error: 'vdpasim_net_mgmtdev' undeclared here (not in a function)" });
  const flag = [
    "gcc-12: error: unrecognized command-line option '-fmin-function-alignment=16'; did you mean '-flimit-function-alignment'?",
    'make[3]: *** [/x/scripts/Makefile.build:294: vringh.o] Error 1',
  ].join('\n');
  assert.equal(firstCompileError(k72, flag)?.module, 'vringh');
  assert.equal(firstCompileError(k72, 'make: *** [Makefile:260: __sub-make] Error 2\nmodpost: version GLIBC_2.38 not found'), null);
});

test('a module that does not build is one InputError (exit 2) naming the module and the first compiler error', async () => {
  const root = tempDir('build');
  const src = join(root, 'src');
  for (const m of k72.buildModules) for (const s of m.sources) {
    mkdirSync(join(src, s, '..'), { recursive: true });
    writeFileSync(join(src, s), '/* stand-in */\n');
  }
  const headers = join(root, 'headers');
  const arch = join(headers, 'usr/src', `linux-headers-${k72.release}`);
  mkdirSync(arch, { recursive: true });
  writeFileSync(join(arch, 'Makefile'), `KBUILD_OUTPUT=/usr/src/linux-headers-${k72.release}\ninclude /usr/src/linux-headers-7.2.13+deb14-common/Makefile\n`);
  const bin = join(root, 'bin');
  mkdirSync(bin);
  // Stands in for make: records its arguments, prints what gcc-12 prints for a broken source, fails.
  writeFileSync(join(bin, 'make'), `#!/bin/sh\necho "$@" > ${join(root, 'args')}\necho "  CC [M]  vdpa_sim.o"\necho "vdpa_sim.c:220:9: error: too few arguments to function '__vdpa_alloc_device'" >&2\necho "make[3]: *** [Makefile.build:294: vdpa_sim.o] Error 1" >&2\nexit 2\n`);
  chmodSync(join(bin, 'make'), 0o755);
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path}`;
  try {
    await assert.rejects(buildModules(k72, src, headers, join(root, 'build')), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.exitCode, 2);
      assert.equal(e.message, "module vdpa_sim: cannot be built for 7.2.13+deb14-amd64: vdpa_sim.c:220:9: error: too few arguments to function '__vdpa_alloc_device'");
      assert.ok(!e.message.includes('\n'));
      return true;
    });
  } finally {
    process.env.PATH = path;
  }
  // The Makefile points at the extracted tree, KBUILD_OUTPUT included; gcc-12 without -fmin-function-alignment.
  assert.equal(readFileSync(join(arch, 'Makefile'), 'utf8'), `KBUILD_OUTPUT=${headers}/usr/src/linux-headers-${k72.release}\ninclude ${headers}/usr/src/linux-headers-7.2.13+deb14-common/Makefile\n`);
  const args = readFileSync(join(root, 'args'), 'utf8');
  assert.match(args, / CC=gcc-12 CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT= /);
});

test("unstable's packages come through the lab's own apt configuration; 6.1's and 6.12's package lists (their cache keys) are unchanged", () => {
  assert.deepEqual(REAL_KERNELS.map((k) => `${k.alias} ${k.suite}`), ['6.1 bookworm', '6.12 bookworm', '7.2 sid']);
  const o = aptSuiteOptions('sid', '/c');
  assert.deepEqual(o, ['-o', 'Dir::Etc::sourcelist=/c/apt/sid/sources.list', '-o', 'Dir::Etc::sourceparts=-', '-o', 'Dir::State::Lists=/c/apt/sid/lists', '-o', 'Dir::Cache=/c/apt/sid/cache']);
  assert.deepEqual(packagesKey(resolveKernel('6.12')), [
    'linux-image-6.12.117+deb12-amd64-unsigned=6.12.117-1~deb12u1',
    'linux-headers-6.12.117+deb12-amd64=6.12.117-1~deb12u1',
    'linux-headers-6.12.117+deb12-common=6.12.117-1~deb12u1',
    'linux-kbuild-6.12.117+deb12=6.12.117-1~deb12u1',
    'linux-source-6.12=6.12.117-1~deb12u1',
    'busybox-static=1:1.35.0-4+deb12u1+b1',
    'iproute2=6.1.0-3',
  ]);
  assert.ok(packagesKey(k72).includes('linux-modules-7.2.13+deb14-amd64=7.2.13-1'));
  assert.ok(packagesKey(k72).includes('libc6=2.43-7'));
});

test("the Debian mirror is the one the system's sources already use (deb822 or one-line), else deb.debian.org", () => {
  const etc = tempDir('apt');
  assert.equal(systemDebianMirror(etc), DEFAULT_DEBIAN_MIRROR);
  mkdirSync(join(etc, 'sources.list.d'));
  writeFileSync(join(etc, 'sources.list.d', 'debian.sources'), 'Types: deb\n# URIs: http://old/debian\nURIs: http://mirror.example/debian/\nSuites: bookworm\n');
  assert.equal(systemDebianMirror(etc), 'http://mirror.example/debian');
  writeFileSync(join(etc, 'sources.list'), 'deb [arch=amd64] http://one.example/debian bookworm main\n');
  assert.equal(systemDebianMirror(etc), 'http://one.example/debian');
});

test("a kbuild tool stands behind a script that runs it through the suite's loader with the suite's libraries", () => {
  const dir = tempDir('loader');
  const script = join(dir, 'echo-args');
  // The host's own loader stands in for the suite's: the wrapper must pass every argument through unchanged.
  const hostLoader = '/lib64/ld-linux-x86-64.so.2';
  const text = loaderScript(dir, '/bin/echo');
  assert.equal(text, `#!/bin/sh\nexec '${dir}/ld-linux-x86-64.so.2' --library-path '${dir}' '/bin/echo' "$@"\n`);
  writeFileSync(script, text.replace(`'${dir}/ld-linux-x86-64.so.2'`, hostLoader).replace(`--library-path '${dir}'`, ''));
  chmodSync(script, 0o755);
  const r = spawnSync(script, ['a b', "c'd"], { encoding: 'utf8' });
  assert.equal(r.stdout, "a b c'd\n");
});
