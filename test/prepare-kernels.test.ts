/**
 * `kernels prepare` with several kernels prepares them side by side
 * (src/real/prepare/prepare-kernels.ts): each kernel still reports its own
 * steps and result, results come out in the order asked for, and a kernel
 * that fails is named, after the others were prepared. A stand-in for
 * prepareKernel does the work here: no downloads, no builds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError, isInputError } from '../src/errors.js';
import { CommandFailedError, KernelPrepareError, MissingToolError, prepareKernels, REAL_KERNELS, type PrepareOptions, type PrepareResult } from '../src/real/index.js';

/** A prepareKernel stand-in whose kernels finish (or fail) when the test says so. */
function standIn() {
  const started: string[] = [];
  const finish = new Map<string, { ok: () => void; fail: (e: unknown) => void }>();
  const prepare = (alias: string, opts: PrepareOptions): Promise<PrepareResult> => {
    started.push(alias);
    opts.onProgress?.(`[${alias}] download: apt-get download`);
    return new Promise((resolve, reject) => {
      finish.set(alias, {
        ok: () => {
          opts.onProgress?.(`[${alias}] initramfs: done in 0.1 s`);
          resolve({ dir: `/cache/kernels/${alias}`, reused: false, manifest: { alias } as PrepareResult['manifest'] });
        },
        fail: reject,
      });
    });
  };
  return { prepare, started, finish };
}

/** Lets every pending promise callback run. */
const settle = () => new Promise((r) => setImmediate(r));

test('several kernels are prepared side by side: all start before any finishes, each reports its own steps, results come in the order asked for', async () => {
  const s = standIn();
  const lines: string[] = [];
  const results: string[] = [];
  const done = prepareKernels(REAL_KERNELS, { prepare: s.prepare, onProgress: (l) => lines.push(l), onResult: (k, r) => results.push(`${k.alias} ${r.dir}`) });
  await settle();
  assert.deepEqual(s.started, ['6.1', '6.12', '7.2'], 'every kernel started before any finished');
  // The last one finishes first: its result waits for the kernels before it.
  s.finish.get('7.2')!.ok();
  await settle();
  assert.deepEqual(results, []);
  s.finish.get('6.1')!.ok();
  await settle();
  assert.deepEqual(results, ['6.1 /cache/kernels/6.1']);
  s.finish.get('6.12')!.ok();
  const all = await done;
  assert.deepEqual(all.map((r) => r.dir), ['/cache/kernels/6.1', '/cache/kernels/6.12', '/cache/kernels/7.2']);
  assert.deepEqual(results, ['6.1 /cache/kernels/6.1', '6.12 /cache/kernels/6.12', '7.2 /cache/kernels/7.2']);
  for (const k of ['6.1', '6.12', '7.2']) {
    assert.ok(lines.includes(`[${k}] download: apt-get download`), `${k}'s steps are reported`);
    assert.ok(lines.includes(`[${k}] initramfs: done in 0.1 s`));
  }
});

test('a kernel that fails is named, once the others are prepared; a second failure gets its own progress line', async () => {
  const s = standIn();
  const lines: string[] = [];
  const results: string[] = [];
  const done = prepareKernels(REAL_KERNELS, { prepare: s.prepare, onProgress: (l) => lines.push(l), onResult: (k) => results.push(k.alias) });
  let over = false;
  done.catch(() => {}).finally(() => (over = true));
  await settle();
  s.finish.get('6.12')!.fail(new CommandFailedError('apt-get download -q linux-source-6.12=6.12.117-1~deb12u1', 'exit 100: E: Unable to locate package'));
  s.finish.get('7.2')!.fail(new Error('make finished but\n/x/vringh.ko is missing'));
  await settle();
  assert.equal(over, false, 'nothing is thrown while 6.1 is still being prepared');
  assert.deepEqual(results, []);
  s.finish.get('6.1')!.ok();
  await assert.rejects(done, (e: unknown) => {
    assert.ok(e instanceof KernelPrepareError);
    assert.equal(e.exitCode, 1);
    assert.equal(e.alias, '6.12');
    assert.equal(e.message, 'kernel 6.12 (6.12.117+deb12-amd64): apt-get download -q linux-source-6.12=6.12.117-1~deb12u1 failed: exit 100: E: Unable to locate package (7.2 failed too)');
    return true;
  });
  assert.deepEqual(results, ['6.1'], '6.1 was prepared and reported');
  assert.ok(lines.includes('[7.2] failed: make finished but /x/vringh.ko is missing'), lines.join('\n'));
  assert.ok(!lines.some((l) => l.startsWith('[6.12] failed')), 'the first failure is the error itself, not also a progress line');
});

test("a kernel's bad input stays bad input (exit 2) with the kernel named; a missing host tool is passed on as it is", async () => {
  const k72 = REAL_KERNELS.filter((k) => k.alias === '7.2');
  const bad = prepareKernels(k72, { prepare: () => Promise.reject(new InputError('module vdpa_sim', 'cannot be built for 7.2.13+deb14-amd64: vdpa_sim.c:1:1: error: x')) });
  await assert.rejects(bad, (e: unknown) => isInputError(e) && (e as InputError).exitCode === 2 && (e as Error).message === 'kernel 7.2: module vdpa_sim: cannot be built for 7.2.13+deb14-amd64: vdpa_sim.c:1:1: error: x');
  const tool = new MissingToolError('make');
  await assert.rejects(prepareKernels(REAL_KERNELS, { prepare: () => Promise.reject(tool) }), (e: unknown) => e === tool);
});
