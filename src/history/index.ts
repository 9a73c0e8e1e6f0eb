/** History layer: a run's figures appended to a history (a directory or a git branch), and trends across commits. */
export { recordOf, parseHistory, historyFileName, HISTORY_SCHEMA, FIGURE_KINDS } from './record.js';
export type { HistoryRecord, FigureKind, Figures } from './record.js';
export { DirStore, GIT_PREFIX } from './store.js';
export type { HistoryStore, HistoryFile } from './store.js';
export { GitStore } from './git-store.js';
export { buildSeries, thresholdOf, REFERENCE_WINDOW } from './trend.js';
export type { Series, TrendPoint } from './trend.js';
export { cellTrendChart } from './trend-chart.js';
export { trendMarkdown, writeTrends, checkTrendsDir, chartFileName } from './show.js';
