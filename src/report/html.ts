/**
 * index.html: one self-contained, offline page. Each chart is the very SVG
 * the PNG was drawn from, inlined, so the page shows every chart without a
 * script (and with the same ticks as the PNGs); each Vega-Lite spec is kept
 * beside it as inert JSON (<script type="application/json">) and as its
 * .vl.json file, for those who want to re-render or edit it.
 */

import escapeHtml from 'escape-html';
import { summaryRows } from '../runner/index.js';
import { summaryCells, summaryHeader } from '../runner/summary.js';
import type { Chart } from './charts.js';
import { pairingLine, type Deltas } from './deltas.js';
import { EVENT_HEADER, eventTable, type EventRow } from './events.js';
import { DELTA_HEADER, deltaCells } from './markdown.js';
import type { LabelledResults } from './rows.js';

/** Text and attribute values (escape-html: & < > " and '). */
const esc = (s: string): string => escapeHtml(s);
/** JSON safe inside <script>: no "</script>" can close the element early. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

function table(header: string[], rows: string[][]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

/**
 * Several SVGs in one document share one id space: vega names its clip paths
 * clip1, clip2, ... in every chart, so the second chart would clip with the
 * first one's rectangles. Prefix each chart's ids and their references.
 */
export function scopeSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
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

/** The one stylesheet of every report page (a run's report and a recording's). */
export const PAGE_STYLE = `<style>
body { font-family: 'DejaVu Sans', sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { background: #f4f4f4; padding: 0.6em 1em; border-left: 4px solid #888; }
.files { color: #777; font-size: 0.8em; }
.chart svg { max-width: 100%; height: auto; }
</style>`;

export interface RenderedChart extends Chart {
  svg: string;
}

export function indexHtml(runs: LabelledResults[], charts: RenderedChart[], d: Deltas | null, events: EventRow[]): string {
  const sections = runs
    .map((r) => {
      const rows = summaryRows(r.file.cells);
      const ev = eventTable(events, r.run);
      return `<h2>${esc(r.run)}</h2>${provenance(r)}<h3>Modeled cost of one device reset, and what persist saves</h3>${table(summaryHeader(rows), rows.map(summaryCells))}${ev.length ? `<h3>Modeled cost per event (one occurrence)</h3>${table(EVENT_HEADER, ev)}` : ''}`;
    })
    .join('\n');
  let deltas = '';
  if (d) {
    const ref = runs[0].run;
    deltas = `<h2>Changes against ${esc(ref)} (modeled cost per reset)</h2>${d.pairings.map((p) => `<p>${esc(pairingLine(p, ref))}.</p>`).join('')}${d.rows.length ? table(DELTA_HEADER(ref), d.rows.map(deltaCells)) : ''}`;
    if (d.unmatched.length) deltas += `<p>Cells without a counterpart:</p><ul>${d.unmatched.map((u) => `<li>${esc(u)}</li>`).join('')}</ul>`;
  }
  const divs = charts
    .map(
      (c, i) =>
        `<section><h3>${esc(c.title)}</h3><div id="chart-${i}" class="chart">${scopeSvgIds(c.svg, `c${i}`)}</div><p class="files"><a href="${esc(c.name)}.svg">${esc(c.name)}.svg</a> · <a href="${esc(c.name)}.png">${esc(c.name)}.png</a> · <a href="${esc(c.name)}.vl.json">${esc(c.name)}.vl.json</a> (Vega-Lite spec)</p><script type="application/json" class="vega-lite-spec" data-chart="${esc(c.name)}">${scriptJson(c.spec)}</script></section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>vdpa-lab report: ${esc(runs.map((r) => r.run).join(' vs '))}</title>
${PAGE_STYLE}
</head>
<body>
<h1>vdpa-lab: what a vDPA device reset costs</h1>
<p class="note"><b>Modeled</b> figures are counters from the kernel model times the prices of a sourced cost profile: deterministic, identical on any machine. <b>Simulator</b> figures are the wall clock of this simulator itself, and <b>real</b> figures time a real kernel's syscalls. No chart mixes them.</p>
${sections}
${deltas}
<h2>Charts</h2>
${divs}
</body>
</html>
`;
}

