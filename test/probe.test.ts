/**
 * The real-kernel probe (native/vdpa-probe, issue #11) on what needs no
 * vhost-vdpa device: its parsing and messages against the model's, guest
 * memory, the syscall answers of /dev/null, and per-line flushing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { hugePagePools, hugetlbMmapAnswers } from './support/host-hugepages.js';
import { MALFORMED_LINES, PROBE, REPO, probeSkip, runModel, runModelInProcess, runProbe, type Answer } from './support/probe.js';

const skip = probeSkip();
const OPEN = '{"op":"open","parent":"mlx5","kernel":"legacy","path":"/dev/null"}';
/** Ops the probe adds for timing scripts; the model's list of ops ends before them. */
const PROBE_ONLY_OPS = ['get_status', 'sleep_ms', 'note'];

/** Whether JSON.parse refuses the (trimmed) line: the probe refuses it too, in jansson's words (native/json.c). */
function notJson(line: string): boolean {
  try {
    JSON.parse(line.trim());
    return false;
  } catch {
    return true;
  }
}

/** The model's message, or the model's list of ops with the probe's own ops added at its end. */
function expectedProbeMessage(model: string): string {
  if (!/unknown op .* \(one of /.test(model) || PROBE_ONLY_OPS.every((op) => model.includes(op))) return model;
  return model.replace(/\)\n?$/, `, ${PROBE_ONLY_OPS.join(', ')})\n`);
}

test('the probe is built (npm run build; under CI an absent binary is a failure, not a skip)', { skip }, () => {
  assert.ok(existsSync(PROBE), `${PROBE} is missing: npm run build runs native/build.sh, which needs gcc and a static libc`);
});

test('a malformed line exits 2 with the model\'s own one-line message, after answering the lines before it', { skip }, () => {
  for (const bad of MALFORMED_LINES) {
    const lines = [OPEN, '{"op":"set_owner"}', bad];
    const probe = runProbe(lines);
    const model = runModelInProcess(lines);
    assert.equal(probe.status, 2, `${bad}: ${probe.stderr}`);
    assert.equal(model.status, 2, `${bad}: the model takes it: ${model.stdout}`);
    assert.equal(probe.stderr.split('\n').filter((l) => l).length, 1, `${bad}: one line, no stack trace`);
    assert.match(probe.stderr, /^error: line 3: /);
    if (notJson(bad)) assert.match(probe.stderr, /^error: line 3: not valid JSON \(.+ at position \d+\)\n$/, bad);
    else assert.equal(probe.stderr, expectedProbeMessage(model.stderr), bad);
    assert.deepEqual(probe.answers.map((a) => [a.line, a.op]), [[1, 'open'], [2, 'set_owner']], `${bad}: the two good lines were answered`);
  }
  // The in-process model says what `vdpa-lab exec` prints, for the first bad line and a JSON one.
  for (const bad of [MALFORMED_LINES[0], '{"op":"update", oops']) {
    const lines = [OPEN, '{"op":"set_owner"}', bad];
    const cli = runModel(lines);
    assert.deepEqual([cli.status, cli.stderr, cli.stdout], [2, runModelInProcess(lines).stderr, runModelInProcess(lines).stdout]);
    if (!notJson(bad)) assert.equal(runProbe(lines).stderr, cli.stderr);
  }
});

test('an op naming a device that is not open, or any device op before an open, is a malformed line', { skip }, () => {
  const none = runProbe(['{"op":"set_owner"}']);
  assert.equal(none.status, 2);
  assert.equal(none.stderr, 'error: line 1: device: no device is open (add an open line first)\n');
  const after = runProbe([OPEN, '{"op":"close"}', '{"op":"get_status"}']);
  assert.equal(after.status, 2);
  assert.equal(after.stderr, 'error: line 3: device: device vdpa0 is not open\n');
  assert.deepEqual(after.answers.map((a) => a.op), ['open', 'close']);
  const noPath = runProbe(['{"op":"open","device":"nic"}']);
  assert.equal(noPath.status, 2);
  assert.match(noPath.stderr, /^error: line 1: device: no path for device nic \(.*--device nic=PATH\)\n$/);
  const badArg = runProbe([], ['--device', 'vdpa0']);
  assert.equal(badArg.status, 2);
  assert.match(badArg.stderr, /^error: --device: expected NAME=PATH/);
});

test('mmap of each backing lands at uaddr and a second mmap over it answers EEXIST; hugetlb answers as this host\'s pools say (size not offered: EINVAL, or ENODEV from memfd; none free: ENOMEM)', { skip }, () => {
  const pools = hugePagePools();
  const cases = [
    { backing: '4k', size: 0x200000, shared: false },
    { backing: '4k', size: 0x200000, shared: true },
    { backing: 'thp', size: 0x400000, shared: false },
    { backing: 'thp', size: 0x400000, shared: true },
    { backing: 'hugetlb-2m', size: 0x400000, shared: false, hugeKiB: 2048 },
    { backing: 'hugetlb-2m', size: 0x400000, shared: true, hugeKiB: 2048 },
    { backing: 'hugetlb-1g', size: 0x40000000, shared: false, hugeKiB: 1048576 },
    { backing: 'hugetlb-1g', size: 0x40000000, shared: true, hugeKiB: 1048576 },
  ];
  for (const c of cases) {
    const uaddr = '0x7f0000000000';
    const line = JSON.stringify({ op: 'mmap', uaddr, size: '0x' + c.size.toString(16), backing: c.backing, shared: c.shared });
    const r = runProbe([line, line]);
    assert.equal(r.status, 0, r.stderr);
    const what = `${c.backing}${c.shared ? ' shared' : ''}`;
    const expected = c.hugeKiB === undefined ? { errnos: [null], why: 'not hugetlb' } : hugetlbMmapAnswers(pools, c.hugeKiB, c.size, c.shared);
    const [first, second] = r.answers.map((a) => a.errno);
    assert.ok(expected.errnos.includes(first), `${what}: ${first} where this host (${expected.why}) answers ${expected.errnos.join(' or ')}`);
    // A region that landed is occupied; one that did not leaves the range free, so the same mmap answers the same.
    assert.equal(second, first === null ? 'EEXIST' : first, `${what}: the second mmap`);
    if (first !== null && c.hugeKiB !== undefined) {
      // Over an occupied range: an offered size is refused as occupied (do_mmap, before any reservation);
      // a size the kernel does not offer is refused for that first (ksys_mmap_pgoff, memfd_create).
      const over = runProbe([JSON.stringify({ op: 'mmap', uaddr, size: '0x40000000' }), line]);
      assert.deepEqual(over.answers.map((a) => a.errno), [null, pools.has(c.hugeKiB) ? 'EEXIST' : first], `${what} over a 4k region`);
    }
    assert.ok(r.answers.every((a) => a.pinnedVm === 0), 'mmap pins nothing');
  }
});

test('setrlimit lowers RLIMIT_MEMLOCK and a later mmap still works; open of a missing path answers ENOENT; /dev/null answers ENOTTY', { skip }, () => {
  const r = runProbe([
    '{"op":"setrlimit","memlock":"0x10000"}',
    '{"op":"mmap","uaddr":"0x7f0000000000","size":"0x100000"}',
    '{"op":"open","device":"vdpa7","path":"/nonexistent/vhost-vdpa-7"}',
    '{"op":"open","device":"vdpa0","path":"/dev/null"}',
    '{"op":"set_owner"}',
    '{"op":"get_backend_features"}',
    '{"op":"get_iova_range"}',
    '{"op":"set_status","status":["ACKNOWLEDGE"]}',
    '{"op":"get_status"}',
    '{"op":"update","iova":"0x0","size":"0x1000","uaddr":"0x7f0000000000","perm":"rw"}',
    '{"op":"update","iova":"0x0","size":"0x1000","uaddr":"0x7f0000000000","perm":"rw","msgType":1}',
    '{"op":"open","device":"vdpa0"}',
    '{"op":"close","device":"vdpa0"}',
    '{"op":"open","device":"vdpa0","path":"/dev/null"}',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const errnos = r.answers.map((a) => [a.op, a.errno]);
  assert.deepEqual(errnos, [
    ['setrlimit', null],
    ['mmap', null],
    ['open', 'ENOENT'],
    ['open', null],
    ['set_owner', 'ENOTTY'],
    ['get_backend_features', 'ENOTTY'],
    ['get_iova_range', 'ENOTTY'],
    ['set_status', 'ENOTTY'],
    ['get_status', 'ENOTTY'],
    ['update', null], // /dev/null takes any write: one whole message
    ['update', null],
    ['open', 'EBUSY'], // a name is open once, as in the model
    ['close', null],
    ['open', null], // a closed name opens again
  ]);
  assert.deepEqual(r.answers[2].path, '/nonexistent/vhost-vdpa-7');
  assert.equal(r.answers[11].ns, 0, 'EBUSY is answered without a syscall');
  const byFlag = runProbe(['{"op":"open"}', '{"op":"open","device":"vdpa3"}'], ['--device', 'vdpa0=/dev/null', '--device=vdpa3=/dev/zero']);
  assert.deepEqual(byFlag.answers.map((a) => [a.errno, a.device, a.path]), [[null, 'vdpa0', '/dev/null'], [null, 'vdpa3', '/dev/zero']]);
  const byName = runProbe(['{"op":"open","device":"vdpa42"}']);
  assert.deepEqual([byName.answers[0].errno, byName.answers[0].path], ['ENOENT', '/dev/vhost-vdpa-42']);
});

test('check and dump say what a real kernel cannot show; every answer has ns and pinnedVm', { skip }, () => {
  const r = runProbe([OPEN, '{"op":"check"}', '{"op":"dump"}', '{"op":"note","text":"phase 2"}', '{"op":"sleep_ms","ms":20}']);
  assert.equal(r.status, 0, r.stderr);
  const [, check, dump, note, sleep] = r.answers;
  assert.deepEqual([check.ret, check.errno, check.cause], [0, null, null]);
  assert.match(String(check.unsupported), /^check: unsupported on a real kernel/);
  assert.match(String(dump.unsupported), /^dump: .* not visible from userspace on a real kernel$/);
  assert.deepEqual([dump.errno, dump.status, dump.offered], ['ENOTTY', null, null]);
  assert.equal(note.ns, 0);
  assert.ok(sleep.ns >= 20e6 && sleep.ns < 2e9, `sleep_ms 20 took ${sleep.ns} ns`);
  for (const a of r.answers) {
    assert.deepEqual(Object.keys(a).slice(0, 7), ['line', 'op', 'ret', 'errno', 'cause', 'ns', 'pinnedVm']);
    assert.ok(Number.isInteger(a.ns) && a.ns >= 0, JSON.stringify(a));
    assert.equal(a.pinnedVm, 0);
    assert.equal(a.cause, null);
  }
});

test('answers are flushed per line: each arrives before the next line is written', { skip }, async () => {
  const child = spawn(PROBE, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const script = [OPEN, '{"op":"set_owner"}', '# a comment answers nothing', '{"op":"check"}'];
  const seen: Array<[number, string]> = [];
  for (const text of script) {
    child.stdin!.write(text + '\n');
    if (text.startsWith('#')) continue;
    const next = await Promise.race([
      lines.next(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer to ${text} within 5 s: not flushed`)), 5000)),
    ]);
    const a = JSON.parse(next.value as string) as Answer;
    seen.push([a.line, a.op]);
  }
  child.stdin!.end();
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(status, 0);
  assert.deepEqual(seen, [[1, 'open'], [2, 'set_owner'], [4, 'check']]);
});

const SESSIONS = join(REPO, 'workloads', 'sessions');
const sessionScripts = readdirSync(SESSIONS).filter((f) => f.endsWith('.jsonl'));

test('every workloads/sessions script parses: one answer per op line, in the model\'s line and op order', { skip }, () => {
  assert.ok(sessionScripts.length >= 3);
  for (const file of sessionScripts) {
    const lines = readFileSync(join(SESSIONS, file), 'utf8').split('\n');
    const probe = runProbe(lines, ['--device', 'vdpa0=/dev/null']);
    const model = runModelInProcess(lines);
    assert.equal(probe.status, 0, `${file}: ${probe.stderr}`);
    assert.equal(model.status, 0, `${file}: ${model.stderr}`);
    const opLines = lines.filter((l) => l.trim() !== '' && !l.trim().startsWith('#')).length;
    assert.equal(probe.answers.length, opLines, file);
    assert.deepEqual(probe.answers.map((a) => [a.line, a.op]), model.answers.map((a) => [a.line, a.op]), file);
  }
});

test('a line JSON.parse refuses, jansson refuses too (exit 2, one line, its reason and position); one JSON.parse takes is never refused as JSON (400 seeded mutations)', { skip }, () => {
  let seed = 12345;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const base = sessionScripts.flatMap((f) => readFileSync(join(SESSIONS, f), 'utf8').split('\n')).filter((l) => l.startsWith('{'));
  base.push('{"a":[1,-2.5e+3,true,false,null,{"b":"x\\u00e9\\n\\"y"}],"c":"\u20ac\u{1f600}"}');
  const pieces = [...'{}[]:,"\\ 0123456789.-+eEtrufalsnxu\t\u20ac\u{1f600}'];
  let refused = 0;
  for (let i = 0; i < 400; i++) {
    const chars = [...base[next(base.length)]];
    for (let edits = 1 + next(3); edits > 0; edits--) {
      const at = next(chars.length + 1);
      const kind = next(3);
      if (kind === 0) chars.splice(at, 1);
      else chars.splice(at, kind === 1 ? 0 : 1, pieces[next(pieces.length)]);
    }
    const line = chars.join('');
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const r = runProbe([line], ['--device', 'vdpa0=/dev/null']);
    if (!notJson(line)) {
      assert.doesNotMatch(r.stderr, /not valid JSON/, line);
    } else {
      refused++;
      assert.equal(r.status, 2, line);
      assert.match(r.stderr, /^error: line 1: not valid JSON \(.+ at position \d+\)\n$/, line);
    }
  }
  assert.ok(refused > 200, `only ${refused} of the mutations were bad JSON`);
});

test('a populated mmap reports its physically contiguous runs from pagemap (one IOTLB entry each in a PA map) where PFNs are visible', { skip }, () => {
  const lines = [
    JSON.stringify({ op: 'mmap', uaddr: '0x7f0000000000', size: '0x200000', backing: '4k' }),
    JSON.stringify({ op: 'mmap', uaddr: '0x7f1000000000', size: '0x200000', backing: '4k', populate: false }),
  ];
  const r = runProbe(lines);
  assert.equal(r.status, 0, r.stderr);
  const [populated, lazy] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Answer);
  // PFNs are visible to root only (CAP_SYS_ADMIN): elsewhere the field is absent, never a guess.
  if (process.getuid?.() === 0) {
    assert.equal(typeof populated.runs, 'number');
    assert.ok((populated.runs as number) >= 1 && (populated.runs as number) <= 512, `runs ${populated.runs}`);
  } else assert.equal(populated.runs, undefined);
  assert.equal(lazy.runs, undefined, 'nothing faulted in: no layout to report');
});

test('layout reads the runs behind the pages present in a range, later than the mmap: an absent page ends a run and is not counted', { skip }, () => {
  const lines = [
    JSON.stringify({ op: 'mmap', uaddr: '0x7f0000000000', size: '0x200000', backing: '4k' }),
    JSON.stringify({ op: 'mmap', uaddr: '0x7f0000400000', size: '0x200000', backing: '4k' }),
    // 2 MiB present, 2 MiB never mapped, 2 MiB present, 2 MiB never mapped.
    JSON.stringify({ op: 'layout', uaddr: '0x7f0000000000', size: '0x800000' }),
    JSON.stringify({ op: 'mmap', uaddr: '0x7f1000000000', size: '0x200000', backing: '4k', populate: false }),
    JSON.stringify({ op: 'layout', uaddr: '0x7f1000000000', size: '0x200000' }),
  ];
  const r = runProbe(lines);
  assert.equal(r.status, 0, r.stderr);
  const [a, b, both, , lazy] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Answer);
  assert.equal(both.ret, 0);
  assert.equal(both.ns, 0, 'untimed: reading pagemap is not the kernel work a phase times');
  if (process.getuid?.() === 0) {
    assert.equal(both.pages, 1024, 'the present pages of both regions, none of the gaps');
    // The gap between the regions ends a run, so the two regions' runs add up.
    assert.equal(both.runs, (a.runs as number) + (b.runs as number));
  } else assert.equal(both.runs, undefined);
  assert.equal(lazy.runs, undefined, 'no page present: no layout');
  assert.equal(lazy.pages, undefined);
});
