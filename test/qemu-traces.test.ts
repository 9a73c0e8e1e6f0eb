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
import { PACKAGE_ROOT } from '../src/workload/index.js';

const DIR = resolve(PACKAGE_ROOT, 'workloads/traces');
const { profile, hash } = loadProfile(resolve(PACKAGE_ROOT, 'workloads/profiles/default.json'));
const recorded = readdirSync(DIR).filter((d) => d.startsWith('qemu-') && existsSync(join(DIR, d, 'trace.log'))).sort();

/** Pages each dma_map line covers, counted from the text with a regex of its own. */
function pagesMapped(text: string): { maps: number; pages: number } {
  let maps = 0;
  let pages = 0;
  for (const m of text.matchAll(/:vhost_vdpa_dma_map .* iova: 0x([0-9a-f]+) size: 0x([0-9a-f]+) /g)) {
    maps++;
    const iova = BigInt(`0x${m[1]}`);
    pages += Number((BigInt(`0x${m[2]}`) + (iova & 0xfffn) + 0xfffn) / 0x1000n);
  }
  return { maps, pages };
}

test('the lab ships a recorded trace of each QEMU release, plain, and one with x-svq', () => {
  const facts = recorded.map((d) => JSON.parse(readFileSync(join(DIR, d, 'record.json'), 'utf8')) as { facts: { qemu: { release: string }; svq: boolean } });
  for (const release of ['7.2', '10.0', '11.1']) assert.ok(facts.some((f) => f.facts.qemu.release === release && !f.facts.svq), `a plain ${release} recording`);
  assert.ok(facts.some((f) => f.facts.svq), 'an x-svq recording');
});

for (const d of recorded) {
  test(`${d}: the replay pins exactly the pages its maps cover, and --what-if persist pins fewer`, () => {
    const text = readFileSync(join(DIR, d, 'trace.log'), 'utf8');
    const rec = JSON.parse(readFileSync(join(DIR, d, 'record.json'), 'utf8')) as { facts: { backing: Backing; kernel: { generation: 'legacy' | 'reset-map' } } };
    const want = pagesMapped(text);
    assert.ok(want.maps > 0, 'the trace maps guest memory');
    const o = replayTrace(text, d, { kernel: rec.facts.kernel.generation, parent: 'vdpa_sim', backing: rec.facts.backing, backingGiven: true, whatIfPersist: true, profileName: 'default', profile, profileHash: hash });
    const sum = (flow: 0 | 1, k: 'pagesPinned' | 'pagesUnpinned' | 'updates') => o.devices.reduce((s, dev) => s + (dev.flows[flow].replay.segments ?? []).reduce((t, seg) => t + seg[k], 0), 0);
    for (const dev of o.devices) for (const seg of dev.flows[0].replay.segments ?? []) assert.deepEqual(seg.refusals, [], `${seg.name}: no refusal`);
    assert.equal(sum(0, 'updates'), want.maps, 'one UPDATE per dma_map line');
    assert.equal(sum(0, 'pagesPinned'), want.pages, 'pages pinned = pages the maps cover');
    assert.equal(sum(0, 'pagesUnpinned'), want.pages, 'everything pinned is unpinned by the end');
    for (const dev of o.devices) assert.equal(dev.flows[1].replay.notApplicable, null, 'PERSIST applies on a reset-map kernel');
    assert.ok(sum(1, 'pagesPinned') < want.pages, `persist pins fewer: ${sum(1, 'pagesPinned')} < ${want.pages}`);
  });
}
