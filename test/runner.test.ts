/**
 * The runner: cells on a piscina pool, failures isolated to their cell,
 * results streamed so a killed run resumes, and the same modeled figures
 * whatever the thread count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readResults, runWorkload, summaryRows } from '../src/runner/index.js';
import { ResultsStream } from '../src/runner/cell-journal.js';
import { parseWorkload, type LoadedWorkload } from '../src/workload/index.js';
import { tempDir } from './support/temp-dir.js';

function workload(extra: Record<string, unknown> = {}): LoadedWorkload {
  const raw = {
    schema: 1,
    name: 'runner-test',
    measure: { samples: 2 },
    matrix: {
      guest: { ram: ['32MiB', '64MiB'] },
      devices: { parent: ['mlx5', 'vdpa_sim'], queuePairs: 1 },
      kernel: 'reset-map',
      flow: ['workaround', 'persist'],
      events: ['boot', 'guest-reset', 'close'],
      ...extra,
    },
  };
  const { workload, cells } = parseWorkload(raw, 'runner-test.json');
  return { path: 'runner-test.json', hash: JSON.stringify(extra).length.toString(16).padStart(8, '0'), workload, cells };
}

const outDir = () => tempDir('runner');

test('a cell that throws, exits or runs out of memory fails alone; the others complete', async () => {
  const w = workload();
  const [throws, exits, ooms] = w.cells;
  const out = outDir();
  const file = await runWorkload(w, {
    out,
    threads: 2,
    maxOldGenerationSizeMb: 48,
    sabotage: (c) => (c.id === throws.id ? 'throw' : c.id === exits.id ? 'exit' : c.id === ooms.id ? 'oom' : undefined),
  });
  const byId = new Map(file.cells.map((c) => [c.id, c]));
  assert.equal(byId.get(throws.id)!.status, 'failed');
  assert.match(byId.get(throws.id)!.reason!, /sabotaged cell/);
  assert.equal(byId.get(exits.id)!.status, 'failed');
  assert.match(byId.get(exits.id)!.reason!, /worker died/);
  assert.equal(byId.get(ooms.id)!.status, 'failed');
  assert.match(byId.get(ooms.id)!.reason!, /worker died/);
  const rest = file.cells.filter((c) => ![throws.id, exits.id, ooms.id].includes(c.id));
  assert.equal(rest.length, 5);
  for (const c of rest) assert.equal(c.status, 'ok', `${c.label}: ${c.reason}`);
  // What landed on disk is what was returned, and it reads back.
  assert.deepEqual(readResults(join(out, 'results.json')).cells, file.cells);
});

test('--resume reruns only cells that did not finish (a torn last line included)', async () => {
  const w = workload();
  const out = outDir();
  const first = await runWorkload(w, { out, threads: 2 });
  const jsonl = join(out, 'cells.jsonl');
  const lines = readFileSync(jsonl, 'utf8').trimEnd().split('\n');
  // Drop the last two finished cells, then leave half a line as a kill would.
  const dropped = lines.slice(-2).map((l) => JSON.parse(l).id as string);
  writeFileSync(jsonl, `${lines.slice(0, -2).join('\n')}\n${lines[lines.length - 1].slice(0, 40)}`);
  const rerun: string[] = [];
  const second = await runWorkload(w, { out, threads: 2, resume: true, onResult: (r) => rerun.push(r.id) });
  assert.deepEqual(rerun.sort(), dropped.sort());
  assert.deepEqual(second.cells.map((c) => c.modeled), first.cells.map((c) => c.modeled));
});

test('--resume refuses a directory holding another workload', async () => {
  const out = outDir();
  await runWorkload(workload(), { out, threads: 1, samples: 0 });
  await assert.rejects(runWorkload(workload({ flow: 'workaround' }), { out, resume: true, samples: 0 }), /holds cells of a different workload/);
});

test('one thread or two: identical counters and modeled figures', async () => {
  const w = workload({ guest: { ram: '64MiB', backing: '4k', meanRun: 2 } });
  const a = await runWorkload(w, { out: outDir(), threads: 1, samples: 0 });
  const b = await runWorkload(w, { out: outDir(), threads: 2, samples: 0 });
  assert.deepEqual(a.cells.map((c) => [c.id, c.counters, c.modeled]), b.cells.map((c) => [c.id, c.counters, c.modeled]));
});

test('the summary pairs workaround with persist per setup', async () => {
  const file = await runWorkload(workload(), { out: outDir(), threads: 2, samples: 0 });
  const rows = summaryRows(file.cells);
  assert.equal(rows.length, 4);
  for (const r of rows) {
    assert.ok(r.workaroundNs! > r.persistNs!, `${r.setup} ${r.guest}`);
    assert.equal(r.ratio, r.workaroundNs! / r.persistNs!);
  }
});

test('corrupt, truncated or foreign results files are refused with the file named', async () => {
  const out = outDir();
  await runWorkload(workload(), { out, threads: 2, samples: 0 });
  const good = readFileSync(join(out, 'results.json'), 'utf8');
  const bad = join(out, 'bad.json');
  writeFileSync(bad, good.slice(0, good.length / 2));
  assert.throws(() => readResults(bad), new RegExp(`${bad}: not valid JSON, truncated or corrupt`));
  writeFileSync(bad, good.replace('vdpa-lab/results@3', 'vdpa-lab/results@9'));
  assert.throws(() => readResults(bad), /schema: expected "vdpa-lab\/results@3" \(or "vdpa-lab\/results@1" or "vdpa-lab\/results@2", read as it\), found "vdpa-lab\/results@9"/);
  const obj = JSON.parse(good);
  delete obj.cells[1].status;
  writeFileSync(bad, JSON.stringify(obj));
  assert.throws(() => readResults(bad), /bad\.json: cells\[1\]\.status/);
});

/** Real figures as `run --backend` writes them (real-result.ts), for files of every schema. */
const AGREED = { backend: 'vm:6.12', kernel: '6.12.117+deb12-amd64', accel: 'tcg', status: 'agree', reason: null, events: [], resetCycleNs: null, perResetNs: null };

test('a results@1 file is read as @3: its measured figures are the simulator\'s, and its real cells ran on preallocated RAM', async () => {
  const out = outDir();
  await runWorkload(workload(), { out, threads: 2, samples: 2 });
  const now = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  assert.equal(now.schema, 'vdpa-lab/results@3');
  assert.ok(now.cells.every((c: Record<string, unknown>) => 'simulator' in c && !('measured' in c)));
  // The same file as the lab wrote it before the rename, one cell with real figures.
  const old = { ...now, schema: 'vdpa-lab/results@1', cells: now.cells.map(({ simulator, ...c }: Record<string, unknown>, i: number) => ({ ...c, measured: simulator, ...(i === 0 ? { real: AGREED } : {}) })) };
  const path = join(out, 'v1.json');
  writeFileSync(path, JSON.stringify(old));
  const read = readResults(path);
  assert.equal(read.schema, 'vdpa-lab/results@3');
  assert.deepEqual(read.cells[0].real, AGREED);
  read.cells.forEach((c, i) => {
    assert.deepEqual(c.simulator, now.cells[i].simulator);
    assert.equal((c as unknown as Record<string, unknown>).measured, undefined);
    assert.equal(c.params.prealloc, i === 0 ? true : undefined);
  });
});

test('a results@1 journal resumes as its results file is read: real cells ran on preallocated RAM', async () => {
  const out = outDir();
  await runWorkload(workload(), { out, threads: 2, samples: 0 });
  const now = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  const [header] = readFileSync(join(out, 'cells.jsonl'), 'utf8').split('\n');
  // The journal a @1 lab left: cells with `measured`, the first with real figures.
  const lines = now.cells.map(({ simulator, ...c }: Record<string, unknown>, i: number) => JSON.stringify({ ...c, measured: simulator, ...(i === 0 ? { real: AGREED } : {}) }));
  writeFileSync(join(out, 'cells.jsonl'), `${[header, ...lines].join('\n')}\n`);
  const stream = new ResultsStream(out);
  const resumed = stream.open(JSON.parse(header).workloadHash, { resume: true, force: false, flag: '--out', onWarning: (m) => assert.fail(m) });
  stream.close();
  now.cells.forEach((c: { id: string }, i: number) => assert.equal(resumed.get(c.id)?.params.prealloc, i === 0 ? true : undefined));
});

test('a results@2 file is read as @3, its real figures checked: a malformed one is refused with its JSON path', async () => {
  const out = outDir();
  await runWorkload(workload(), { out, threads: 2, samples: 0 });
  const now = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  const v2 = { ...now, schema: 'vdpa-lab/results@2', provenance: { ...now.provenance, real: { backend: 'vm:6.12', kernel: '6.12.117+deb12-amd64', accel: 'tcg', cycles: 3 } }, cells: now.cells.map((c: Record<string, unknown>, i: number) => ({ ...c, real: i === 0 ? AGREED : { status: 'n/a', reason: 'a VM has only vdpa_sim' } })) };
  const path = join(out, 'v2.json');
  writeFileSync(path, JSON.stringify(v2));
  const read = readResults(path);
  assert.equal(read.schema, 'vdpa-lab/results@3');
  assert.deepEqual(read.cells.map((c) => c.real?.status), ['agree', ...now.cells.slice(1).map(() => 'n/a')]);
  assert.equal(read.provenance.real?.accel, 'tcg');
  // What @2 never checked: a real figure that is not a number, an accelerator the lab does not know, a status of neither kind.
  const bad = (real: unknown, provenance: unknown = v2.provenance) => {
    writeFileSync(path, JSON.stringify({ ...v2, provenance, cells: v2.cells.map((c: Record<string, unknown>, i: number) => (i === 0 ? { ...c, real } : c)) }));
    return () => readResults(path);
  };
  assert.throws(bad({ ...AGREED, perResetNs: '12 ms' }), /v2\.json: cells\[0\]\.real\.perResetNs: /);
  assert.throws(bad({ ...AGREED, accel: 'hvf' }), /v2\.json: cells\[0\]\.real\.accel: /);
  assert.throws(bad({ ...AGREED, status: 'maybe' }), /v2\.json: cells\[0\]\.real\.status: /);
  assert.throws(bad({ ...AGREED, events: [{ name: 'boot', ns: { map: 1 }, totalNs: 1, pinnedVm: 0 }] }), /v2\.json: cells\[0\]\.real\.events\[0\]\.ns\.unmap: /);
  assert.throws(bad(AGREED, { ...v2.provenance, real: { backend: 'vm:6.12' } }), /v2\.json: provenance\.real\.kernel: /);
});
