// Lays the matrix out as grouped bar charts for uPlot: one chart per metric, strategies along x, one bar per
// workload inside each strategy's group. uPlot wants one shared x array, so every (strategy, workload) pair
// gets its own slot and each workload's series is null outside its own slots.
import { CHART_METRICS } from './metric-columns.ts';
import type { StrategyMatrix } from './types.ts';
import type { CellIndex } from './validate-matrix.ts';

export interface ChartSeries {
  label: string;
  color: string;
  values: Array<number | null>;
}

export interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  help: string;
  /** Number of x slots (0..slots-1). */
  slots: number;
  /** Where each strategy's group is centred, for the x-axis tick labels. */
  groups: Array<{ center: number; label: string }>;
  series: ChartSeries[];
  /** Slots whose cell is not applicable: labelled "n/a" so they are not mistaken for a zero. */
  notApplicable: number[];
  /** Counts: the y axis gets whole-number ticks only. */
  integer: boolean;
}

// Okabe–Ito colours (distinguishable with common colour-vision deficiencies), then evenly spaced hues.
const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#d55e00', '#cc79a7', '#56b4e9', '#8c6d31', '#444444'];

export function seriesColor(index: number): string {
  const fixed = PALETTE[index];
  if (fixed !== undefined) return fixed;
  const hue = Math.round((index * 137.508) % 360);
  return `hsl(${hue}, 65%, 42%)`;
}

export function buildChartSpecs(matrix: StrategyMatrix, index: CellIndex): ChartSpec[] {
  const perGroup = matrix.workloads.length + 1; // one empty slot separates the groups
  const slots = matrix.strategies.length * perGroup - 1;
  const slotOf = (strategy: number, workload: number): number => strategy * perGroup + workload;
  const groups = matrix.strategies.map((label, s) => ({
    center: slotOf(s, 0) + (matrix.workloads.length - 1) / 2,
    label,
  }));
  const notApplicable: number[] = [];
  matrix.strategies.forEach((strategy, s) => {
    matrix.workloads.forEach((workload, w) => {
      if (index.get(workload)?.get(strategy)?.applicable === false) notApplicable.push(slotOf(s, w));
    });
  });
  notApplicable.sort((a, b) => a - b);
  return CHART_METRICS.map((metric) => ({
    id: metric.id,
    title: metric.title,
    unit: metric.unit,
    help: metric.help,
    slots,
    groups,
    series: matrix.workloads.map((workload, w) => {
      const values = new Array<number | null>(slots).fill(null);
      const row = index.get(workload);
      matrix.strategies.forEach((strategy, s) => {
        const cell = row?.get(strategy);
        if (cell?.applicable === true && cell.metrics !== undefined) values[slotOf(s, w)] = metric.value(cell.metrics);
      });
      return { label: workload, color: seriesColor(w), values };
    }),
    notApplicable,
    integer: metric.integer === true,
  }));
}
