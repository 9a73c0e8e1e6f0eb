/** Gate layer: compare a results file against a baseline; exact for modeled figures, statistical for simulator and real ones. */
export { compareResults, checkComparable, checkCellIds, incomparable } from './compare.js';
export type { GateOutcome, GateRow, Verdict } from './compare.js';
export { gateConfigSchema, defaultGateConfig, loadGateConfig, toleranceFor } from './config.js';
export type { GateConfig } from './config.js';
export { mannWhitney } from './mann-whitney.js';
export type { MannWhitney } from './mann-whitney.js';
export { verdictMarkdown } from './verdict.js';
export { isJunitVerdict, junitXml } from './junit.js';
export { gateFailed } from './verdict.js';
export { commentMarkdown, commentHeadline, isGateComment, COMMENT_MARKER } from './comment.js';
