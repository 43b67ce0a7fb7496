/** Raised when a StrategyMatrix handed to the report is malformed; the message names the field. */
export class ReportInputError extends Error {
  override readonly name = 'ReportInputError';
}
