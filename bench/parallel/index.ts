export { runCells, BUNDLED_WORKER_FILE } from './run-cells.ts';
export type { RunCellsOptions } from './run-cells.ts';
export { ParallelRunError } from './errors.ts';
export type { WorkerTask } from './worker-task.ts';
export { cellModuleUrl } from './module-location.ts';
