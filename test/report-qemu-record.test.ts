/**
 * `vdpa-lab report` on `qemu record` results (model and files only, fast):
 * the shipped recordings' guest-visible downtime per reset, read from their
 * files, beside the trace's vhost-vdpa time and the model's replay, each
 * labelled by kind and never on one axis; recordings side by side by
 * release; a foreign or malformed file is one line naming the field, exit 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReport } from '../src/report/index.js';
import { PACKAGE_ROOT } from '../src/workload/index.js';
import { smallRun } from './support/results.js';
import { tempDir } from './support/temp-dir.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const SHIPPED = ['qemu-11.1.3-vdpa_sim-6.12-plain', 'qemu-7.2.22-vdpa_sim-6.12-plain'].map((d) => resolve(PACKAGE_ROOT, 'workloads/traces', d, 'record.json'));

interface Downtime {
  reset: number;
  linkUpMs: number | null;
  firstTxMs: number | null;
}
const recordOf = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as { facts: { qemu: { version: string }; resets: number }; real: { downtime: Downtime[] } };

type Json = Record<string, unknown>;

test("the shipped recordings' downtime per reset, from their files, side by side by release, beside the trace and the model", async () => {
  const out = join(tempDir('qrec'), 'r');
  // Given newest first: the report sets them oldest release first.
  const r = await writeReport(SHIPPED, { out, noPng: true });
  assert.deepEqual(r.charts, ['qemu-downtime']);
  const recs = r.recordings!;
  assert.deepEqual(recs.map((x) => x.qemu.version), ['7.2.22', '11.1.3']);
  for (const rec of recs) {
    const file = recordOf(SHIPPED.find((p) => p === rec.path)!);
    assert.equal(rec.resets.length, file.facts.resets, 'one row per guest reset');
    for (const [i, row] of rec.resets.entries()) {
      const d = file.real.downtime[i];
      assert.equal(row.real.label, 'real (nested TCG)');
      assert.deepEqual([row.real.linkUpMs, row.real.firstTxMs], [d.linkUpMs, d.firstTxMs], `${rec.label} reset ${d.reset}: the inner guest's clock, as recorded`);
      assert.ok(row.real.linkUpMs !== null && row.real.firstTxMs === null || row.real.firstTxMs! >= row.real.linkUpMs!, 'a TX completes after the link is up');
      assert.ok(row.real.traceStopSpanMs !== null && row.real.traceStopSpanMs < row.real.linkUpMs!, "the trace's stop is a part of the guest's downtime");
      assert.equal(rec.modeledFrom, 'trace.log', 'record.json has no replay: the trace beside it is replayed');
      assert.equal(row.modeled?.label, 'modeled (default profile)');
      assert.ok(row.modeled.workaroundNs! > 0 && row.modeled.persistNs! <= row.modeled.workaroundNs!, 'persist never costs more than the workaround');
    }
  }
  const v72 = recs[0];
  assert.ok(v72.resets.every((x) => x.real.firstTxMs !== null), '7.2.22, recorded with RLIMIT_MEMLOCK lifted: every reset ends in a completed TX');
  assert.ok(v72.pagesPinned!.persist < v72.pagesPinned!.workaround, 'persist pins fewer (modeled)');

  const md = readFileSync(join(out, 'summary.md'), 'utf8');
  assert.match(md, /\| reset \| QEMU 7\.2\.22: to link up \| QEMU 7\.2\.22: to first TX completed \| QEMU 11\.1\.3: to link up \| QEMU 11\.1\.3: to first TX completed \|/);
  assert.match(md, new RegExp(`\\| 1 \\| ${v72.resets[0].real.linkUpMs!.toLocaleString('en-US')} ms \\| ${v72.resets[0].real.firstTxMs!.toLocaleString('en-US')} ms \\|`));
  assert.match(md, /real \(nested TCG\), on the inner guest's clock/);
  assert.match(md, /modeled \(default profile\), replaying the same trace/);
  // Both shipped recordings were made with RLIMIT_MEMLOCK lifted: none is called out (the next test makes one that is).
  assert.ok(recs.every((rec) => rec.resets.every((x) => x.real.firstTxMs !== null)), 'every shipped reset ends in a completed TX');
  assert.doesNotMatch(md, /no TX completed after reset/);
  assert.match(readFileSync(join(out, 'qemu-downtime.svg'), 'utf8'), /^<svg/);

  // The chart: one panel per kind, each with its own x axis; every bar in the panel of its kind.
  const spec = JSON.parse(readFileSync(join(out, 'qemu-downtime.vl.json'), 'utf8')) as Json & { data: { values: { panel: string; measure: string; ms: number | null }[] } };
  assert.deepEqual((spec.resolve as Json).scale, { x: 'independent' });
  assert.equal(((spec.facet as Json).column as Json).field, 'panel');
  const panels = new Set(spec.data.values.map((v) => v.panel));
  assert.deepEqual([...panels], ["REAL (nested TCG): the inner guest's clock", "REAL (nested TCG): QEMU's trace timestamps", 'MODELED (default profile): the replay of the same trace']);
  for (const v of spec.data.values) {
    const modeledMeasure = /IOTLB_PERSIST|as traced/.test(v.measure);
    assert.equal(v.panel.startsWith('MODELED'), modeledMeasure, `${v.measure} sits in the ${modeledMeasure ? 'modeled' : 'real'} panel`);
  }
});

test('a recording whose TX never completed (its maps refused by the kernel) is called out in the summary', async () => {
  const dir = tempDir('qrec');
  const src = dirname(SHIPPED[1]);
  for (const f of ['trace.log', 'guest.log']) copyFileSync(join(src, f), join(dir, f));
  const rec = JSON.parse(readFileSync(SHIPPED[1], 'utf8')) as Json & { real: Json & { downtime: Downtime[] } };
  writeFileSync(join(dir, 'record.json'), JSON.stringify({ ...rec, real: { ...rec.real, downtime: rec.real.downtime.map((d) => ({ ...d, firstTxMs: null })) } }));
  const out = join(dir, 'r');
  await writeReport([join(dir, 'record.json')], { out, noPng: true });
  assert.match(readFileSync(join(out, 'summary.md'), 'utf8'), /QEMU 7\.2\.22: no TX completed after reset 1, 2\. .*RLIMIT_MEMLOCK/);
});

test('report --json on recordings gives each reset its real and modeled figures apart', () => {
  const out = join(tempDir('qrec'), 'j');
  const r = spawnSync(process.execPath, [CLI, 'report', SHIPPED[1], '--out', out, '--json', '--no-png', '-q'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { charts: string[]; recordings: { label: string; resets: { real: Json; modeled: Json }[] }[] };
  assert.deepEqual(j.charts, ['qemu-downtime']);
  assert.equal(j.recordings[0].label, 'QEMU 7.2.22');
  const first = j.recordings[0].resets[0];
  assert.deepEqual(Object.keys(first.real).sort(), ['firstTxMs', 'label', 'linkUpMs', 'steps', 'traceStartSpanMs', 'traceStopSpanMs', 'traceStopToStartMs']);
  assert.deepEqual(Object.keys(first.modeled).sort(), ['label', 'persistNs', 'workaroundNs']);
});

test('a recording of a foreign schema, a malformed one, or one mixed with run results: one line naming the field, exit 2, nothing written', async () => {
  const dir = tempDir('qrec');
  const good = JSON.parse(readFileSync(SHIPPED[1], 'utf8')) as Json & { facts: Json & { qemu: Json } };
  const foreign = join(dir, 'foreign.json');
  writeFileSync(foreign, JSON.stringify({ ...good, schema: 'vdpa-lab/qemu-record@9' }));
  const noVersion = join(dir, 'no-version.json');
  writeFileSync(noVersion, JSON.stringify({ ...good, facts: { ...good.facts, qemu: { ...good.facts.qemu, version: 7.2 } } }));
  const badDowntime = join(dir, 'bad-downtime.json');
  writeFileSync(badDowntime, JSON.stringify({ ...good, real: { ...(good.real as Json), downtime: [{ reset: 1, linkUpMs: -5, firstTxMs: null }] } }));
  const run = await smallRun('qrec-mix', 0);
  const cases: [string[], RegExp][] = [
    [[foreign], /foreign\.json: schema: expected "vdpa-lab\/results@3" \(vdpa-lab run or replay\) or "vdpa-lab\/qemu-record@1" \(vdpa-lab qemu record\), found "vdpa-lab\/qemu-record@9"/],
    [[noVersion], /no-version\.json: facts\.qemu\.version: /],
    [[badDowntime], /bad-downtime\.json: real\.downtime\[0\]\.linkUpMs: /],
    [[SHIPPED[1], run.path], /a run's results cannot share a report with qemu record results/],
    [[SHIPPED[1], '--export', 'csv=x.csv'], /^error: --export: /],
  ];
  for (const [args, want] of cases) {
    const out = join(dir, 'out');
    const r = spawnSync(process.execPath, [CLI, 'report', ...args, '--out', out, '--no-png', '-q'], { encoding: 'utf8', cwd: dir });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, want);
    assert.ok(!existsSync(out), 'no report directory');
  }
});
