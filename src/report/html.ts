/**
 * index.html: one self-contained, offline page. vega, vega-lite and
 * vega-embed are inlined; specs are inlined as JSON. When every chart has
 * rendered the page sets data-charts-rendered on <body> (the browser test
 * waits for it); embed failures go to console.error.
 */
import { fmtDuration } from '../text-format.js';
import { summaryRows } from '../runner/index.js';
import { summaryCells, summaryHeader } from '../runner/summary.js';
import { browserBundles } from './bundles.js';
import type { Chart } from './charts.js';
import { pairingLine, type Deltas } from './deltas.js';
import { DELTA_HEADER, deltaCells } from './markdown.js';
import type { LabelledResults } from './rows.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
/** JSON safe inside <script>: no "</script>" can close the element early. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

function table(header: string[], rows: string[][]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function provenance(r: LabelledResults): string {
  const p = r.file.provenance;
  const rows: [string, string][] = [
    ['results file', r.path],
    ['workload', `${p.workload.name} (sha256 ${p.workload.hash})`],
    ['cost profiles', Object.entries(p.profiles).map(([k, v]) => `${k} (sha256 ${v.slice(0, 16)})`).join(', ')],
    ['lab', `${p.labVersion}${p.gitCommit ? ` @ ${p.gitCommit}` : ''}`],
    ['host', `Node ${p.node}, ${p.platform}, ${p.cpus} x ${p.cpu}, ${p.threads} threads`],
    ['run', `${p.startedAt} to ${p.finishedAt}`],
  ];
  return table(['', ''], rows);
}

export function indexHtml(runs: LabelledResults[], charts: Chart[], d: Deltas | null): string {
  const b = browserBundles();
  const sections = runs
    .map((r) => {
      const rows = summaryRows(r.file.cells);
      return `<h2>${esc(r.run)}</h2>${provenance(r)}<h3>Modeled cost of one device reset</h3>${table(summaryHeader(rows), rows.map(summaryCells))}`;
    })
    .join('\n');
  let deltas = '';
  if (d) {
    const ref = runs[0].run;
    deltas = `<h2>Changes against ${esc(ref)} (modeled cost per reset)</h2>${d.pairings.map((p) => `<p>${esc(pairingLine(p, ref))}.</p>`).join('')}${table(DELTA_HEADER(ref), d.rows.map(deltaCells))}`;
    if (d.unmatched.length) deltas += `<p>Cells without a counterpart:</p><ul>${d.unmatched.map((u) => `<li>${esc(u)}</li>`).join('')}</ul>`;
  }
  const divs = charts.map((c, i) => `<section><h3>${esc(c.title)}</h3><div id="chart-${i}" class="chart"></div><p class="files">${esc(c.name)}.vl.json · ${esc(c.name)}.svg · ${esc(c.name)}.png</p></section>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>vdpa-lab report: ${esc(runs.map((r) => r.run).join(' vs '))}</title>
<style>
body { font-family: 'DejaVu Sans', sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { background: #f4f4f4; padding: 0.6em 1em; border-left: 4px solid #888; }
.files { color: #777; font-size: 0.8em; }
</style>
<script>${b.vega}</script>
<script>${b.vegaLite}</script>
<script>${b.vegaEmbed}</script>
</head>
<body>
<h1>vdpa-lab: what a vDPA device reset costs</h1>
<p class="note"><b>Modeled</b> figures are counters from the kernel model times the prices of a sourced cost profile: deterministic, identical on any machine. <b>Measured</b> figures are the wall clock of this simulator itself. No chart mixes the two.</p>
${sections}
${deltas}
<h2>Charts</h2>
${divs}
<script>
const specs = ${scriptJson(charts.map((c) => c.spec))};
Promise.all(specs.map((s, i) => vegaEmbed('#chart-' + i, s, { actions: false, renderer: 'svg' })))
  .then(() => { document.body.dataset.chartsRendered = String(specs.length); })
  .catch((e) => { console.error('chart failed: ' + (e && e.message ? e.message : e)); document.body.dataset.chartsFailed = '1'; });
</script>
</body>
</html>
`;
}
