// The ranking rule: among a workload's applicable cells, a cell with violations or deadline misses is
// disqualified (it ranks after every clean cell, fewest violations then fewest misses first); clean cells
// rank by CPU cycles per byte inside the DMA API, lower first; ties break by strategy name.
import type { StrategyCell } from '../report/types.ts';

export const RANKING_RULE =
  'clean cells (0 violations, 0 deadline misses) by CPU cycles/byte in the DMA API, lowest first; then disqualified cells by violations, deadline misses, cycles/byte';

export function rankWorkload(cells: readonly StrategyCell[]): string[] {
  const runs = cells.filter((c) => c.applicable && c.metrics !== undefined);
  return runs
    .slice()
    .sort((a, b) => {
      const ma = a.metrics!;
      const mb = b.metrics!;
      const da = ma.violations > 0 || ma.deadlineMisses > 0 ? 1 : 0;
      const db = mb.violations > 0 || mb.deadlineMisses > 0 ? 1 : 0;
      return (
        da - db ||
        ma.violations - mb.violations ||
        ma.deadlineMisses - mb.deadlineMisses ||
        ma.cpuCyclesPerByte - mb.cpuCyclesPerByte ||
        (a.strategy < b.strategy ? -1 : a.strategy > b.strategy ? 1 : 0)
      );
    })
    .map((c) => c.strategy);
}

/** True when the cell is disqualified from the ranking's clean part. */
export function isDisqualified(cell: StrategyCell): boolean {
  return cell.metrics !== undefined && (cell.metrics.violations > 0 || cell.metrics.deadlineMisses > 0);
}
