// Runs the workload × strategy matrix, serially or on worker threads (bench/parallel), in a fixed cell order
// so the JSON is byte-identical for a seed whatever `jobs` is.
import { cellModuleUrl, runCells } from '../parallel/index.ts';
import type { StrategyCell, StrategyMatrix } from '../report/types.ts';
import { getPreset } from '../../soc/presets/index.ts';
import { runCell } from './cell.ts';
import type { StrategyCellTask } from './cell.ts';
import { rankWorkload } from './ranking.ts';
import { MATRIX_STRATEGIES, WORKLOADS, workloadById } from './workloads.ts';

export interface StrategyMatrixOptions {
  /** SoC preset name; default exynos4412. */
  soc?: string;
  /** Default 1. */
  seed?: number;
  /** Worker threads; 1 (default) runs in this thread. */
  jobs?: number;
  /** Much shorter runs (tests, smoke checks). */
  quick?: boolean;
  /** Restrict to these workload ids / strategy names (default: all, in matrix order). */
  workloads?: readonly string[];
  strategies?: readonly string[];
  /** Called after each finished cell. */
  onProgress?: (done: number, total: number) => void;
}

/** The worker module: the TypeScript source from sources, dist/bench-cells.mjs from the bundle. */
export const STRATEGY_CELL_MODULE_FILE = 'bench-cells.mjs';

export function strategyCellTasks(opts: StrategyMatrixOptions = {}): StrategyCellTask[] {
  const soc = opts.soc ?? 'exynos4412';
  getPreset(soc); // fail early, naming the known presets
  const seed = opts.seed ?? 1;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`bench strategies: seed must be an integer, got ${String(seed)}`);
  const workloads = (opts.workloads ?? WORKLOADS.map((w) => w.id)).map((id) => workloadById(id).id);
  const strategies = opts.strategies ?? MATRIX_STRATEGIES;
  for (const s of strategies) {
    if (!MATRIX_STRATEGIES.includes(s)) throw new RangeError(`bench strategies: unknown strategy ${JSON.stringify(s)} (known: ${MATRIX_STRATEGIES.join(', ')})`);
  }
  const quick = opts.quick ?? false;
  return workloads.flatMap((workload) => strategies.map((strategy) => ({ workload, strategy, soc, seed, quick })));
}

export async function runStrategyMatrix(opts: StrategyMatrixOptions = {}): Promise<StrategyMatrix> {
  const tasks = strategyCellTasks(opts);
  const cells: StrategyCell[] = await runCells(tasks, {
    jobs: opts.jobs ?? 1,
    workerModule: cellModuleUrl(import.meta.url, './cell.ts', STRATEGY_CELL_MODULE_FILE),
    fn: runCell,
    ...(opts.onProgress !== undefined ? { onCellDone: opts.onProgress } : {}),
  });
  const workloads = [...new Set(cells.map((c) => c.workload))];
  const strategies = [...new Set(tasks.map((t) => t.strategy))];
  const ranking: Record<string, string[]> = {};
  for (const w of workloads) ranking[w] = rankWorkload(cells.filter((c) => c.workload === w));
  return { soc: tasks[0]?.soc ?? opts.soc ?? 'exynos4412', seed: opts.seed ?? 1, workloads, strategies, cells, ranking };
}
