/** Report layer: Vega-Lite charts from results files, SVG/PNG, offline HTML, summary.md. */
export { writeReport, labelRuns } from './write-report.js';
export type { ReportOptions } from './write-report.js';
export { buildCharts, ratioRows, REPORT_FONT } from './charts.js';
export type { Chart } from './charts.js';
export { cellRows } from './rows.js';
export type { CellRow, LabelledResults } from './rows.js';
export { deltaRows, fmtChange } from './deltas.js';
export { toSvg, toPng } from './render.js';
