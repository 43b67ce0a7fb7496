// Renders a StrategyMatrix as one self-contained HTML page: uPlot and all data inlined, no network access,
// no timestamps (the same matrix always renders to the same bytes).
import { buildChartSpecs, type ChartSpec } from './chart-data.ts';
import { CHART_SCRIPT } from './chart-script.ts';
import { escapeHtml, jsonForScript, scriptSafe, styleSafe } from './escape.ts';
import { CHART_METRICS, TABLE_COLUMNS } from './metric-columns.ts';
import { REPORT_CSS } from './styles.ts';
import type { StrategyCell, StrategyMatrix } from './types.ts';
import { loadUplotAssets } from './uplot-assets.ts';
import { validateMatrix, type CellIndex } from './validate-matrix.ts';

const attr = escapeHtml;

/** The applicable strategies of a workload: ranked ones first in ranking order, then any unranked ones. */
interface RankedRow {
  rank: number | null;
  cell: StrategyCell;
}

function orderedRows(matrix: StrategyMatrix, row: Map<string, StrategyCell>, workload: string): RankedRow[] {
  const ranked = matrix.ranking[workload] ?? [];
  const rows: RankedRow[] = ranked.map((strategy, i) => ({ rank: i + 1, cell: row.get(strategy) as StrategyCell }));
  const rankedSet = new Set(ranked);
  for (const strategy of matrix.strategies) {
    const cell = row.get(strategy);
    if (cell?.applicable === true && !rankedSet.has(strategy)) rows.push({ rank: null, cell });
  }
  return rows;
}

function renderOverview(matrix: StrategyMatrix, index: CellIndex): string {
  const head = matrix.strategies.map((s) => `<th>${escapeHtml(s)}</th>`).join('');
  const body = matrix.workloads
    .map((workload, w) => {
      const row = index.get(workload) as Map<string, StrategyCell>;
      const ranked = matrix.ranking[workload] ?? [];
      const cells = matrix.strategies
        .map((strategy) => {
          const cell = row.get(strategy) as StrategyCell;
          if (!cell.applicable) return `<td class="na" title="${attr(cell.reason ?? '')}">n/a</td>`;
          const rank = ranked.indexOf(strategy);
          return rank < 0 ? '<td>unranked</td>' : `<td class="rank">#${rank + 1}</td>`;
        })
        .join('');
      return `<tr><td class="name"><a href="#workload-${w}">${escapeHtml(workload)}</a></td>${cells}</tr>`;
    })
    .join('\n');
  return `<div class="table-wrap"><table class="overview">
<thead><tr><th>workload \\ strategy</th>${head}</tr></thead>
<tbody>
${body}
</tbody></table></div>`;
}

function renderWorkload(matrix: StrategyMatrix, index: CellIndex, workload: string, w: number): string {
  const row = index.get(workload) as Map<string, StrategyCell>;
  const rows = orderedRows(matrix, row, workload);
  const head = TABLE_COLUMNS.map((c) => `<th title="${attr(c.help)}">${escapeHtml(c.header)}</th>`).join('');
  const body = rows
    .map(({ rank, cell }) => {
      const metrics = cell.metrics;
      if (metrics === undefined) return '';
      const values = TABLE_COLUMNS.map((c) => {
        const classes = c.alarming?.(metrics) === true ? 'num bad' : 'num';
        const title = c.exact === undefined ? '' : ` title="${attr(c.exact(metrics))}"`;
        return `<td class="${classes}"${title}>${escapeHtml(c.text(metrics))}</td>`;
      }).join('');
      const rankText = rank === null ? '\u2014' : String(rank);
      return `<tr${rank === 1 ? ' class="best"' : ''}><td class="rank">${rankText}</td><td class="name">${escapeHtml(cell.strategy)}</td>${values}</tr>`;
    })
    .join('\n');
  const table =
    rows.length === 0
      ? '<p>No strategy applies to this workload.</p>'
      : `<div class="table-wrap"><table class="ranking">
<thead><tr><th>rank</th><th>strategy</th>${head}</tr></thead>
<tbody>
${body}
</tbody></table></div>`;
  const notApplicable = matrix.strategies
    .map((s) => row.get(s) as StrategyCell)
    .filter((cell) => !cell.applicable)
    .map((cell) => `<li><strong>${escapeHtml(cell.strategy)}</strong>: ${escapeHtml(cell.reason ?? '')}</li>`);
  const naBlock =
    notApplicable.length === 0
      ? ''
      : `<p>Not applicable:</p>\n<ul class="na-list">\n${notApplicable.join('\n')}\n</ul>`;
  return `<section class="workload" id="workload-${w}">
<h3>${escapeHtml(workload)}</h3>
${table}
${naBlock}
</section>`;
}

function renderChartSlots(specs: ChartSpec[]): string {
  return specs
    .map(
      (spec, i) => `<div class="chart" id="metric-${attr(spec.id)}">
<h3>${escapeHtml(spec.title)}</h3>
<p>${escapeHtml(spec.help)} <em>n/a</em>: the strategy does not apply to that workload.</p>
<div class="plot" id="chart-${i}" data-colors="${attr(spec.series.map((s) => s.color).join(' '))}"></div>
</div>`,
    )
    .join('\n');
}

function renderMetricDefinitions(): string {
  const items = TABLE_COLUMNS.map((c) => `<dt>${escapeHtml(c.header)}</dt><dd>${escapeHtml(c.help)}</dd>`);
  return `<dl class="metrics">\n${items.join('\n')}\n</dl>`;
}

/** Renders the strategy matrix as a self-contained HTML document (throws ReportInputError on a malformed matrix). */
export function renderStrategyReport(matrix: StrategyMatrix): string {
  const index = validateMatrix(matrix);
  const uplot = loadUplotAssets();
  const specs = buildChartSpecs(matrix, index);
  const soc = escapeHtml(matrix.soc);
  const seed = escapeHtml(String(matrix.seed));
  const workloads = matrix.workloads.map((w, i) => renderWorkload(matrix, index, w, i)).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dmasim strategy matrix \u2014 ${soc}, seed ${seed}</title>
<style>${styleSafe(uplot.css)}</style>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
<header>
<h1>dmasim strategy matrix</h1>
<p class="subtitle">SoC preset <strong>${soc}</strong> · seed <strong>${seed}</strong> · ${matrix.workloads.length} workloads × ${matrix.strategies.length} strategies (${CHART_METRICS.length} charted metrics). Simulated figures: the same preset and seed give the same report.</p>
<nav><a href="#overview">Overview</a><a href="#charts">Charts</a><a href="#workloads">Rankings per workload</a><a href="#metrics">Metric definitions</a></nav>
</header>
<section id="overview">
<h2>Overview</h2>
<p>Rank of each strategy per workload (1 = best); <em>n/a</em> cells carry their reason as a tooltip and are listed under each workload.</p>
${renderOverview(matrix, index)}
</section>
<section id="charts">
<h2>Charts</h2>
<p>One bar per workload inside each strategy's group; byte totals are shown per byte moved so workloads of different sizes share an axis (exact totals are in the tables).</p>
${renderChartSlots(specs)}
</section>
<section id="workloads">
<h2>Rankings per workload</h2>
${workloads}
</section>
<section id="metrics">
<h2>Metric definitions</h2>
${renderMetricDefinitions()}
</section>
<footer>Generated by <code>dmasim bench strategies</code>. Charts drawn with uPlot (MIT), inlined.</footer>
</main>
<script type="application/json" id="dmasim-chart-data">${jsonForScript(specs)}</script>
<script>${scriptSafe(uplot.js)}</script>
<script>${scriptSafe(CHART_SCRIPT)}</script>
</body>
</html>
`;
}
