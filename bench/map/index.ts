export {
  parseMapBenchArgs,
  defaultMapBenchIterations,
  MapBenchUsageError,
  MAP_BENCH_DIRECTIONS,
  MAP_BENCH_STRATEGIES,
  DMA_MAP_MAX_THREADS,
  DMA_MAP_MAX_SECONDS,
  DMA_MAP_MAX_TRANS_DELAY_NS,
  DMA_MAP_MAX_GRANULE,
} from './options.ts';
export type { MapBenchOptions, MapBenchDirection } from './options.ts';
export { runMapBench } from './run.ts';
export type { MapBenchResult, MapBenchLatency } from './run.ts';
export { formatMapBench, formatMapBenchNote, formatMapBenchReport, mapBenchJson } from './format.ts';
export type { MapBenchJson } from './format.ts';
export { Latency100ns, intSqrt } from './kernel-stats.ts';
