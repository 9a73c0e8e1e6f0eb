/** Report layer: Vega-Lite charts from results files, SVG/PNG, offline HTML, summary.md. */
export { writeReport, labelRuns, inputKind } from './write-report.js';
export type { ReportOptions, WrittenReport } from './write-report.js';
export type { RecordingJson } from './qemu-record/write.js';
export { buildCharts, deltaChart, ratioRows, REPORT_FONT } from './charts.js';
export type { Chart } from './charts.js';
export { cellRows } from './rows.js';
export type { CellRow, LabelledResults } from './rows.js';
export { deltaRows, fmtChange, pairingLine } from './deltas.js';
export type { DeltaRow, Deltas, Pairing } from './deltas.js';
export { parseMatch, matchKeyOf, MATCH_FIELDS } from './match.js';
export type { MatchField } from './match.js';
export { toSvg, toPng } from './render.js';
export { exportRuns, isExportOf, parseExport, EXPORT_FORMATS } from './export/index.js';
export type { ExportCell, Exporter } from './export/index.js';
export { eventRows, eventTable, eventsChart } from './events.js';
export type { EventRow } from './events.js';
