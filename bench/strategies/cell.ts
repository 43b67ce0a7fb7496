// One cell of the strategy matrix: a deterministic function of (workload, strategy, soc, seed, quick). This
// module is what the bench/parallel workers import (export `runCell`); the shipped CLI loads its bundle,
// dist/bench-cells.mjs.
import type { StrategyCell } from '../report/types.ts';
import { notApplicableReason } from './applicability.ts';
import { runBlockWorkload } from './block-workload.ts';
import { toMetrics } from './metrics.ts';
import type { RawCounts } from './metrics.ts';
import { runNicWorkload } from './nic-workload.ts';
import { runScenarioWorkload } from './scenario-workloads.ts';
import { workloadById } from './workloads.ts';

/** What a worker is sent: plain JSON. */
export interface StrategyCellTask {
  workload: string;
  strategy: string;
  soc: string;
  seed: number;
  quick: boolean;
}

export function runCell(task: StrategyCellTask): StrategyCell {
  const w = workloadById(task.workload);
  const reason = notApplicableReason(w, task.strategy, task.soc);
  if (reason !== null) return { workload: w.label, strategy: task.strategy, applicable: false, reason };
  const size = task.quick ? w.quickSize : w.size;
  let raw: RawCounts;
  switch (w.id) {
    case 'nic':
      raw = runNicWorkload(task.strategy, task.soc, task.seed, size);
      break;
    case 'block':
      raw = runBlockWorkload(task.strategy, task.soc, task.seed, size);
      break;
    default:
      raw = runScenarioWorkload(w.id, task.strategy, task.soc, task.seed, size);
  }
  return { workload: w.label, strategy: task.strategy, applicable: true, metrics: toMetrics(raw) };
}
