/**
 * The probe's memory discipline (native/, issue #11): a non-static build runs
 * the tests' scripts under valgrind (no error, no leak of any kind, also on
 * the exit-2 path) and under AddressSanitizer + UndefinedBehaviorSanitizer.
 * Answers may differ there (ASan keeps low addresses for its shadow, so an
 * mmap at 4 GiB answers EEXIST): these tests check memory, not answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MALFORMED_LINES, REPO, runProbe } from './support/probe.js';
import { tempDir } from './support/temp-dir.js';

function has(tool: string): boolean {
  return spawnSync(tool, ['--version'], { encoding: 'utf8' }).status === 0;
}

const noGcc = has('gcc') ? false : 'gcc is not installed: no non-static probe to check';
const noValgrind = noGcc || (has('valgrind') ? false : 'valgrind is not installed');

function build(flags: string[]): string {
  const out = join(tempDir('probe-memcheck'), 'vdpa-probe');
  const sources = readdirSync(join(REPO, 'native')).filter((f) => f.endsWith('.c')).map((f) => join(REPO, 'native', f));
  const r = spawnSync('gcc', ['-O1', '-g', '-Wall', '-Wextra', '-Werror', ...flags, '-o', out, ...sources, '-ljansson'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return out;
}

const OPEN = '{"op":"open","path":"/dev/null"}';
const SESSIONS = join(REPO, 'workloads', 'sessions');

/**
 * One malformed line per way out of the probe (valgrind's startup costs
 * about half a second a run): JSON, not an object, op, u64 type and value,
 * int, perm, a name list, device, a path.
 */
const EXIT_PATHS = [
  '{"op":"update", oops', '[1,2]', '{"nop":5}', '{"op":"update","iova":4096}', '{"op":"update","iova":"0x1g"}',
  '{"op":"set_group_asid","group":0}', '{"op":"update","iova":"0x0","size":"0x1000","uaddr":"0x0","perm":[1,{"b":2,"1":3}]}',
  '{"op":"set_backend_features","features":["IOTLB_BATCH","NOPE"]}', '{"op":"set_owner","device":[1,null,"a"]}', '{"op":"open","device":"nic"}',
];

/** Each script with the exit status it must end with. */
function scripts(malformed: readonly string[]): Array<{ name: string; lines: string[]; status: number }> {
  const all = readdirSync(SESSIONS)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => ({ name: f, lines: readFileSync(join(SESSIONS, f), 'utf8').split('\n'), status: 0 }));
  all.push({
    name: 'every probe op',
    lines: [
      OPEN, '{"op":"set_owner"}', '{"op":"get_backend_features"}', '{"op":"set_backend_features","features":["IOTLB_MSG_V2"]}',
      '{"op":"mmap","uaddr":"0x7f2000000000","size":"0x400000","backing":"thp","shared":true}',
      '{"op":"mmap","uaddr":"0x7f3000000000","size":"0x400000","backing":"hugetlb-2m"}',
      '{"op":"update","iova":"0x0","size":"0x1000","uaddr":"0x7f2000000000","perm":"rw","msgType":1}',
      '{"op":"invalidate"}', '{"op":"batch_begin"}', '{"op":"batch_end"}', '{"op":"iotlb","type":42}',
      '{"op":"setrlimit","memlock":"0x10000"}', '{"op":"set_status","status":0}', '{"op":"get_status"}', '{"op":"dump"}',
      '{"op":"get_iova_range"}', '{"op":"set_group_asid","group":1,"asid":1}', '{"op":"sleep_ms","ms":1}', '{"op":"note","text":"x"}',
      '{"op":"open","device":"vdpa9","path":"/nonexistent"}', '{"op":"open","device":"z","path":"/dev/zero"}', '{"op":"close","device":"z"}',
      '{"op":"check"}',
    ],
    status: 0,
  });
  for (const bad of malformed) all.push({ name: bad, lines: [OPEN, '{"op":"set_owner"}', bad], status: 2 });
  return all;
}

test('under valgrind the probe has no memory error and frees everything, on every test script and each way out of a malformed line', { skip: noValgrind }, () => {
  const binary = build([]);
  const valgrind = ['valgrind', '-q', '--leak-check=full', '--show-leak-kinds=all', '--errors-for-leak-kinds=all', '--error-exitcode=99'];
  for (const s of scripts(EXIT_PATHS)) {
    const r = runProbe(s.lines, ['--device', 'vdpa0=/dev/null'], binary, valgrind);
    assert.equal(r.status, s.status, `${s.name}: ${r.stderr}`);
    assert.doesNotMatch(withoutArglessIoctlNotes(r.stderr), /==\d+==/, s.name);
  }
});

/**
 * Valgrind notes (once per number) an _IO ioctl it has no wrapper for:
 * VHOST_VDPA_SUSPEND (0xaf7d) and VHOST_VDPA_RESUME (0xaf7e) take no argument,
 * so there is no buffer to check. The note is its three lines; anything else stays.
 */
function withoutArglessIoctlNotes(stderr: string): string {
  return stderr.replace(/==\d+== Warning: noted but unhandled ioctl 0xaf7[de] with no size\/direction hints\.\n(==\d+==  +.*\n){2}/g, '');
}

test('built with -fsanitize=address,undefined the probe runs every test script and malformed line clean', { skip: noGcc }, () => {
  const binary = build(['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer']);
  for (const s of scripts([...MALFORMED_LINES, ...EXIT_PATHS])) {
    const r = runProbe(s.lines, ['--device', 'vdpa0=/dev/null'], binary);
    assert.equal(r.status, s.status, `${s.name}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /Sanitizer|runtime error/, s.name);
  }
});
