/**
 * Every trace `qemu record` made and the lab ships (workloads/traces/qemu-*\/trace.log,
 * with the record.json naming how) replays on the model (model only, fast):
 * one UPDATE per dma_map line, pinning exactly the pages its maps cover, no
 * refusal, close unpinning them all; and --what-if persist pins fewer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadProfile } from '../src/cost/index.js';
import type { Backing } from '../src/host/index.js';
import { replayTrace } from '../src/runner/replay/index.js';
import { checkStream, formatStreamCheck } from '../src/vmm/trace/index.js';
import { PACKAGE_ROOT } from '../src/workload/index.js';

const DIR = resolve(PACKAGE_ROOT, 'workloads/traces');
const { profile, hash } = loadProfile(resolve(PACKAGE_ROOT, 'workloads/profiles/default.json'));
const recorded = readdirSync(DIR).filter((d) => d.startsWith('qemu-') && existsSync(join(DIR, d, 'trace.log'))).sort();

/** Pages each dma_map line covers, counted from the text with a regex of its own. */
function pagesMapped(text: string): { maps: number; pages: number } {
  let maps = 0;
  let pages = 0;
  for (const m of text.matchAll(/(?::|Z )vhost_vdpa_dma_map .* iova: 0x([0-9a-f]+) size: 0x([0-9a-f]+) /g)) {
    maps++;
    const iova = BigInt(`0x${m[1]}`);
    pages += Number((BigInt(`0x${m[2]}`) + (iova & 0xfffn) + 0xfffn) / 0x1000n);
  }
  return { maps, pages };
}

test('every shipped recording names the command and versions that made it', () => {
  assert.ok(recorded.length > 0, 'at least one recording is shipped');
  for (const d of recorded) {
    const r = JSON.parse(readFileSync(join(DIR, d, 'record.json'), 'utf8')) as { facts: { command: string; qemu: { versionLine: string; packageVersion: string }; kernel: { release: string } } };
    assert.match(r.facts.command, /^vdpa-lab qemu record --qemu /, d);
    assert.match(r.facts.qemu.versionLine, /^QEMU emulator version /, d);
    assert.ok(r.facts.qemu.packageVersion && r.facts.kernel.release, d);
    assert.ok(existsSync(join(DIR, d, 'guest.log')) && existsSync(join(DIR, d, 'README.md')), d);
  }
});

for (const d of recorded) {
  const rec = JSON.parse(readFileSync(join(DIR, d, 'record.json'), 'utf8')) as { facts: { backing: Backing; kernel: { generation: 'legacy' | 'reset-map' }; qemu: { release: string } } };
  const text = readFileSync(join(DIR, d, 'trace.log'), 'utf8');
  const replay = () => replayTrace(text, d, { kernel: rec.facts.kernel.generation, parent: 'vdpa_sim', backing: rec.facts.backing, backingGiven: true, whatIfPersist: true, profileName: 'default', profile, profileHash: hash });
  const sum = (o: ReturnType<typeof replay>, flow: 0 | 1, k: 'pagesPinned' | 'pagesUnpinned' | 'updates') => o.devices.reduce((s, dev) => s + (dev.flows[flow].replay.segments ?? []).reduce((t, seg) => t + seg[k], 0), 0);

  test(`${d}: the replay pins exactly the pages its maps cover, with no refusal, and unpins them all`, () => {
    const want = pagesMapped(text);
    assert.ok(want.maps > 0, 'the trace maps guest memory');
    const o = replay();
    for (const dev of o.devices) for (const seg of dev.flows[0].replay.segments ?? []) assert.deepEqual(seg.refusals, [], `${seg.name}: no refusal`);
    assert.equal(sum(o, 0, 'updates'), want.maps, 'one UPDATE per dma_map line');
    assert.equal(sum(o, 0, 'pagesPinned'), want.pages, 'pages pinned = pages the maps cover');
    assert.equal(sum(o, 0, 'pagesUnpinned'), want.pages, 'everything pinned is unpinned by the end');
  });

  test(`${d}: --what-if persist pins fewer`, () => {
    const o = replay();
    for (const dev of o.devices) assert.equal(dev.flows[1].replay.notApplicable, null, 'PERSIST applies on a reset-map kernel');
    assert.ok(sum(o, 1, 'pagesPinned') < sum(o, 0, 'pagesPinned'), `persist pins fewer: ${sum(o, 1, 'pagesPinned')} < ${sum(o, 0, 'pagesPinned')}`);
  });
}

for (const d of recorded) {
  const rec = JSON.parse(readFileSync(join(DIR, d, 'record.json'), 'utf8')) as { facts: { svq: boolean; kernel: { release: string }; qemu: { release: string; version: string } } };
  const text = readFileSync(join(DIR, d, 'trace.log'), 'utf8');
  test(`${d}: qemu record's stream check finds no unexplained difference between the real trace and the model's stream`, () => {
    const check = checkStream(text, { qemu: rec.facts.qemu.version, svq: rec.facts.svq || undefined, kernel: rec.facts.kernel.release, where: d });
    assert.ok(check.rows.length > 0);
    assert.deepEqual(check.unexplained.slice(0, 5), [], formatStreamCheck(check, { firstDifferences: 10 }));
  });
}
