// The report's own stylesheet (uPlot's is inlined beside it).
export const REPORT_CSS = `
:root { color-scheme: light; --fg: #1d232b; --muted: #5b6573; --line: #d9dee5; --bg-alt: #f4f6f8; --bad: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #fff; }
main { max-width: 1320px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 24px 0 6px; }
.subtitle { color: var(--muted); margin: 0 0 12px; }
.subtitle strong { color: var(--fg); }
nav a { margin-right: 14px; }
a { color: #0b5cad; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; margin: 6px 0 10px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid var(--line); padding: 4px 9px; }
th { background: var(--bg-alt); font-weight: 600; text-align: left; vertical-align: bottom; }
table.ranking { font-size: 13px; }
table.ranking th { max-width: 110px; }
td.name { white-space: nowrap; }
th[title] { cursor: help; text-decoration: underline dotted var(--muted); }
td.num { text-align: right; white-space: nowrap; }
td.bad { color: var(--bad); font-weight: 600; }
td.na { color: var(--muted); font-style: italic; }
td.rank { text-align: center; font-weight: 600; }
tr.best td { background: #eef7ee; }
.overview td { text-align: center; min-width: 64px; }
.overview th:first-child, .overview td:first-child { text-align: left; }
.na-list { margin: 4px 0 0 18px; padding: 0; color: var(--muted); }
.na-list strong { color: var(--fg); font-weight: 600; }
.chart { margin: 8px 0 26px; }
.chart h3 { margin-bottom: 2px; }
.chart p { margin: 0 0 6px; color: var(--muted); }
.chart .plot { width: 100%; }
.uplot .u-legend { text-align: left; margin-top: 2px; }
.uplot .u-legend .u-series { padding: 2px 6px; }
.uplot .u-legend .u-marker { border-radius: 2px; }
dl.metrics dt { font-weight: 600; margin-top: 8px; }
dl.metrics dd { margin: 2px 0 0 18px; color: var(--muted); }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
`;
