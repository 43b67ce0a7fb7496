/** Raised for bad options or a failing cell in a parallel sweep; the message names the cell and what went wrong. */
export class ParallelRunError extends Error {
  override readonly name = 'ParallelRunError';
}
