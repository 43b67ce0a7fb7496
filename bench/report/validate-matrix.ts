// Checks a StrategyMatrix before rendering, so a runner bug shows up as a clear error rather than a
// report with silently missing rows.
import { ReportInputError } from './errors.ts';
import type { StrategyCell, StrategyMatrix, StrategyMetrics } from './types.ts';

/** Cells looked up by workload, then strategy. */
export type CellIndex = Map<string, Map<string, StrategyCell>>;

const METRIC_KEYS = [
  'cpuCyclesPerByte',
  'bytesCleaned',
  'bytesInvalidated',
  'bytesBounced',
  'dramBytes',
  'deadlineMisses',
  'violations',
  'cpuCyclesInDmaApi',
  'bytesMoved',
] as const satisfies ReadonlyArray<keyof StrategyMetrics>;

function fail(message: string): never {
  throw new ReportInputError(`strategy report: ${message}`);
}

function checkNames(names: unknown, field: string): asserts names is string[] {
  if (!Array.isArray(names)) fail(`${field} must be an array of strings`);
  const seen = new Set<string>();
  for (const name of names) {
    if (typeof name !== 'string' || name === '') fail(`${field} must hold non-empty strings, got ${JSON.stringify(name)}`);
    if (seen.has(name)) fail(`${field} lists ${JSON.stringify(name)} twice`);
    seen.add(name);
  }
}

function checkMetrics(metrics: StrategyMetrics | undefined, where: string): void {
  if (metrics === undefined || metrics === null || typeof metrics !== 'object') fail(`${where} is applicable but has no metrics`);
  for (const key of METRIC_KEYS) {
    const value = metrics[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      fail(`${where}: metrics.${key} must be a finite number >= 0, got ${String(value)}`);
    }
  }
  const rate = metrics.iotlbHitRate;
  if (rate !== null && (typeof rate !== 'number' || !(rate >= 0 && rate <= 1))) {
    fail(`${where}: metrics.iotlbHitRate must be null or a fraction in 0..1, got ${String(rate)}`);
  }
}

export function validateMatrix(matrix: StrategyMatrix): CellIndex {
  if (matrix === null || typeof matrix !== 'object') fail('expected a StrategyMatrix object');
  if (typeof matrix.soc !== 'string' || matrix.soc === '') fail('soc must be a non-empty string');
  if (typeof matrix.seed !== 'number' || !Number.isFinite(matrix.seed)) fail('seed must be a finite number');
  checkNames(matrix.workloads, 'workloads');
  checkNames(matrix.strategies, 'strategies');
  if (!Array.isArray(matrix.cells)) fail('cells must be an array');

  const index: CellIndex = new Map(matrix.workloads.map((w) => [w, new Map<string, StrategyCell>()]));
  const strategies = new Set(matrix.strategies);
  for (const [i, cell] of matrix.cells.entries()) {
    const where = `cells[${i}] (${JSON.stringify(cell?.workload)} × ${JSON.stringify(cell?.strategy)})`;
    const row = index.get(cell?.workload);
    if (row === undefined) fail(`${where}: workload is not in workloads`);
    if (!strategies.has(cell.strategy)) fail(`${where}: strategy is not in strategies`);
    if (row.has(cell.strategy)) fail(`${where}: duplicate cell`);
    if (cell.applicable === true) checkMetrics(cell.metrics, where);
    else if (cell.applicable === false) {
      if (typeof cell.reason !== 'string' || cell.reason === '') fail(`${where} is not applicable but gives no reason`);
    } else fail(`${where}: applicable must be true or false`);
    row.set(cell.strategy, cell);
  }
  for (const [workload, row] of index) {
    for (const strategy of matrix.strategies) {
      if (!row.has(strategy)) fail(`no cell for ${JSON.stringify(workload)} × ${JSON.stringify(strategy)}`);
    }
  }

  if (matrix.ranking === null || typeof matrix.ranking !== 'object') fail('ranking must be an object');
  for (const [workload, order] of Object.entries(matrix.ranking)) {
    const row = index.get(workload);
    if (row === undefined) fail(`ranking names workload ${JSON.stringify(workload)}, which is not in workloads`);
    if (!Array.isArray(order)) fail(`ranking[${JSON.stringify(workload)}] must be an array of strategies`);
    const seen = new Set<string>();
    for (const strategy of order) {
      const cell = row.get(strategy);
      if (cell === undefined) fail(`ranking[${JSON.stringify(workload)}] names unknown strategy ${JSON.stringify(strategy)}`);
      if (!cell.applicable) fail(`ranking[${JSON.stringify(workload)}] ranks ${JSON.stringify(strategy)}, which is not applicable`);
      if (seen.has(strategy)) fail(`ranking[${JSON.stringify(workload)}] lists ${JSON.stringify(strategy)} twice`);
      seen.add(strategy);
    }
  }
  return index;
}
