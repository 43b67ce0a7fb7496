// The printed form of a matrix: one table per workload and its ranking line. Plain ASCII, fixed widths, no
// locale-dependent formatting, so the text is as reproducible as the JSON.
import type { StrategyCell, StrategyMatrix } from '../report/types.ts';
import { isDisqualified, RANKING_RULE } from './ranking.ts';

const HEADERS = ['strategy', 'cycles/B', 'cleaned', 'invalidated', 'bounced', 'IOTLB hit', 'DRAM MB', 'misses', 'violations'];

function mib(bytes: number): string {
  return bytes === 0 ? '0' : bytes < 1024 ? `${bytes} B` : bytes < 1 << 20 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

/** Three significant digits below 100 (so 0.000412 does not print as 0.000), one decimal above. */
function cyclesPerByte(v: number): string {
  return v === 0 ? '0' : v >= 100 ? v.toFixed(1) : v.toPrecision(3);
}

function row(cell: StrategyCell): string[] {
  const m = cell.metrics;
  if (!cell.applicable || m === undefined) return [cell.strategy, `n/a: ${cell.reason ?? 'not applicable'}`];
  return [
    cell.strategy + (isDisqualified(cell) ? ' *' : ''),
    cyclesPerByte(m.cpuCyclesPerByte),
    mib(m.bytesCleaned),
    mib(m.bytesInvalidated),
    mib(m.bytesBounced),
    m.iotlbHitRate === null ? '-' : `${(m.iotlbHitRate * 100).toFixed(1)} %`,
    (m.dramBytes / 1e6).toFixed(1),
    String(m.deadlineMisses),
    String(m.violations),
  ];
}

function table(rows: string[][]): string {
  const full = rows.filter((r) => r.length === HEADERS.length);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...full.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.length === HEADERS.length
      ? r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
      : `${r[0]!.padEnd(widths[0]!)}  ${r[1]!}`;
  return [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatStrategyMatrix(m: StrategyMatrix): string {
  const out: string[] = [`strategy matrix on ${m.soc}, seed ${m.seed}`, `ranking: ${RANKING_RULE}; * = disqualified`];
  for (const w of m.workloads) {
    const cells = m.strategies.map((s) => m.cells.find((c) => c.workload === w && c.strategy === s)).filter((c): c is StrategyCell => c !== undefined);
    const moved = cells.find((c) => c.metrics !== undefined)?.metrics?.bytesMoved;
    out.push('', `== ${w}${moved !== undefined ? ` (${mib(moved)} moved by the device)` : ''}`, table(cells.map(row)));
    out.push(`ranking: ${(m.ranking[w] ?? []).join(' > ') || '(no applicable strategy)'}`);
  }
  return out.join('\n') + '\n';
}
