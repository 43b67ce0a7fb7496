export { renderStrategyReport } from './render-report.ts';
export { ReportInputError } from './errors.ts';
export { escapeHtml, jsonForScript } from './escape.ts';
export type { StrategyCell, StrategyMatrix, StrategyMetrics } from './types.ts';
