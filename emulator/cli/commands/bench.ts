// `dmasim bench strategies|map|latency|host`.
import { runHostBench, formatHostBench } from '../../../bench/host/index.ts';
import { runLatencyBench } from '../../../bench/latency.ts';
import { runStrategyMatrix, formatStrategyMatrix } from '../../../bench/strategies/index.ts';
import { renderStrategyReport } from '../../../bench/report/index.ts';
import { writeFileSync } from 'node:fs';
import { intOption, pathOption } from '../options.ts';
import { parseMapBenchArgs, runMapBench, formatMapBenchReport, mapBenchJson } from '../../../bench/map/index.ts';
import { printError, printJson, printText } from '../output.ts';
import { UsageError } from '../errors.ts';
import { jitOption, seedOption, socOption } from '../common.ts';
import { resolveJit } from '../../host/index.ts';

const WHAT = ['strategies', 'map', 'latency', 'host'] as const;

export async function benchCommand(args: string[], opts: Record<string, unknown>): Promise<number> {
  const what = args[0]!;
  switch (what) {
    case 'host':
      return benchHost(opts);
    case 'latency':
      return benchLatency(opts);
    case 'map':
      return benchMap(opts);
    case 'strategies':
      return benchStrategies(opts);
    default:
      throw new UsageError(`bench: expected one of ${WHAT.join(', ')}, got "${what}"`);
  }
}

async function benchHost(opts: Record<string, unknown>): Promise<number> {
  // The steady state is a long-lived process: auto means deep there.
  const jit = resolveJit(jitOption(opts['jit']) ?? 'auto', Infinity);
  const report = await runHostBench({ quick: opts['quick'] === true, jit, onGroup: (g) => printError(`dmasim: bench host: ${g}…`) });
  if (opts['json']) printJson(report);
  else printText(formatHostBench(report));
  return 0;
}

async function benchLatency(opts: Record<string, unknown>): Promise<number> {
  const soc = socOption(opts['soc']) ?? 'exynos4412';
  const seed = seedOption(opts['seed']);
  const r = runLatencyBench(soc, seed !== undefined ? { seed } : {});
  if (opts['json']) printJson(r);
  else {
    printText([`lat_mem_rd-style ${r.pattern} chase on ${r.soc} (seed ${r.seed}): load-to-use latency`, '  working set     cycles        ns',
      ...r.points.map((p) => `  ${formatBytes(p.bytes).padStart(11)} ${p.cycles.toFixed(1).padStart(10)} ${p.ns.toFixed(1).padStart(9)}`)].join('\n'));
  }
  return 0;
}

async function benchStrategies(opts: Record<string, unknown>): Promise<number> {
  const soc = socOption(opts['soc']) ?? 'exynos4412';
  const seed = seedOption(opts['seed']) ?? 1;
  const jobs = intOption('--jobs', opts['jobs'], 1, 64) ?? 1;
  const html = pathOption('--html', opts['html']);
  const matrix = await runStrategyMatrix({
    soc,
    seed,
    jobs,
    quick: opts['quick'] === true,
    onProgress: (done, total) => printError(`dmasim: bench strategies: ${done}/${total} cells`),
  });
  if (html !== undefined) writeFileSync(html, renderStrategyReport(matrix));
  if (opts['json']) printJson(matrix);
  else printText(formatStrategyMatrix(matrix));
  return 0;
}

async function benchMap(opts: Record<string, unknown>): Promise<number> {
  const r = runMapBench(parseMapBenchArgs(opts));
  if (opts['json']) printJson(mapBenchJson(r));
  else printText(formatMapBenchReport(r));
  return 0;
}

function formatBytes(b: number): string {
  return b >= 1 << 20 ? `${b / (1 << 20)} MiB` : `${b / 1024} KiB`;
}
