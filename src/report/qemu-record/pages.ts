/** summary.md and index.html of a report on `qemu record` recordings: the tables (tables.ts), the notes, the chart. */
import escapeHtml from 'escape-html';
import { markdownTable } from '../../text-format.js';
import { PAGE_STYLE, scopeSvgIds, type RenderedChart } from '../html.js';
import type { RecordingRow } from './rows.js';
import { allTables, KINDS_NOTE, notes, type Table } from './tables.js';

const TITLE = 'vdpa-lab report: guest-visible downtime of real QEMU resets (qemu record)';

export function recordSummaryMd(rows: RecordingRow[], chartNames: string[]): string {
  const out: string[] = [`# ${TITLE}`, '', KINDS_NOTE, ''];
  for (const t of allTables(rows)) out.push(`## ${t.title}`, '', markdownTable(t.header, t.rows), '');
  const n = notes(rows);
  if (n.length) out.push('## Notes', '', ...n.map((x) => `- ${x}`), '');
  out.push(`Charts: ${chartNames.map((c) => `\`${c}.svg\``).join(', ')} (one panel per kind, each with its own axis).`, '');
  return out.join('\n');
}

const esc = (s: string): string => escapeHtml(s);

function htmlTable(t: Table): string {
  return `<h2>${esc(t.title)}</h2><table><thead><tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

export function recordIndexHtml(rows: RecordingRow[], charts: RenderedChart[]): string {
  const n = notes(rows);
  const divs = charts
    .map((c, i) => `<section><h2>${esc(c.title)}</h2><div class="chart">${scopeSvgIds(c.svg, `c${i}`)}</div><p class="files"><a href="${esc(c.name)}.svg">${esc(c.name)}.svg</a> · <a href="${esc(c.name)}.vl.json">${esc(c.name)}.vl.json</a> (Vega-Lite spec)</p></section>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(TITLE)}: ${esc(rows.map((r) => r.label).join(' vs '))}</title>
${PAGE_STYLE}
</head>
<body>
<h1>${esc(TITLE)}</h1>
<p class="note">${esc(KINDS_NOTE)}</p>
${divs}
${allTables(rows).map(htmlTable).join('\n')}
${n.length ? `<h2>Notes</h2><ul>${n.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : ''}
</body>
</html>
`;
}
