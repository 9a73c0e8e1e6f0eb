/**
 * index.html in a real browser: Debian's chromium driven by playwright-core,
 * offline (every network request is refused), no console errors, every chart
 * drawn from its inline SVG without any script, each spec kept beside it.
 * The screenshot is kept under reports/browser-test/ (not in reports/latest,
 * the run directory: a run writes only into a directory it made).
 * CI (.ci/run sets CI=1) installs chromium; elsewhere a missing browser skips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { writeReport } from '../src/report/index.js';
import { PACKAGE_ROOT } from '../src/workload/index.js';
import { smallRun } from './support/results.js';
import { tempDir } from './support/temp-dir.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = existsSync(CHROMIUM);

test('index.html renders every chart offline in headless Chromium, without console errors', { skip: !haveBrowser && !process.env.CI ? `no browser at ${CHROMIUM}` : false }, async () => {
  const run = await smallRun('browser', 3);
  const out = join(tempDir('browser'), 'report');
  const { charts } = await writeReport([run.path], { out, noPng: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    const network: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      network.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(join(out, 'index.html')).href);
    // The charts are inline SVG: nothing to wait for, and no script runs to show them.
    assert.equal(await page.$$eval('script:not([type="application/json"])', (els) => els.length), 0, 'no executable script');
    assert.equal(await page.$$eval('.chart > svg', (els) => els.length), charts.length);
    const specs = await page.$$eval('script.vega-lite-spec', (els) => els.map((e) => JSON.parse(e.textContent ?? 'null')));
    assert.equal(specs.length, charts.length, 'every chart keeps its Vega-Lite spec');
    assert.ok(specs.every((s) => s && typeof s === 'object' && 'data' in s));
    // Every chart must draw its data, not just axes: the data-mark groups
    // (role-mark) need a visible extent (a log-scale bar of width 0 fails here).
    const drawn = await page.$$eval('.chart', (els) =>
      els.map((e) => {
        // No DOM lib in this project's types: SVG's getBBox, structurally.
        const marks = [...e.querySelectorAll('g.role-mark')] as unknown as { getBBox(): { width: number; height: number }; childElementCount: number }[];
        const area = marks.reduce((s, g) => {
          const b = g.getBBox();
          return s + b.width * b.height;
        }, 0);
        return { marks: marks.reduce((n, g) => n + g.childElementCount, 0), area };
      }),
    );
    assert.equal(drawn.length, charts.length);
    drawn.forEach((d, i) => assert.ok(d.marks > 0 && d.area > 100, `chart ${charts[i]} drew ${d.marks} data marks over ${d.area.toFixed(0)} px²`));
    assert.deepEqual(errors, []);
    assert.deepEqual(network, [], 'the page fetched nothing from the network');
    const shots = join(PACKAGE_ROOT, 'reports/browser-test');
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, 'index.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});
