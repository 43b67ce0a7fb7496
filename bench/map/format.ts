// The tool's output, verbatim formats (tools/dma/dma_map_benchmark.c), and the `--json` document.
import type { MapBenchResult } from './run.ts';

/** printf's %.1f for the figures the tool prints (100 ns units / 10.0, exact in one decimal). */
function f1(x: number): string {
  return x.toFixed(1);
}

/** The three lines the kernel tool prints, nothing else (no trailing newline). */
export function formatMapBench(r: MapBenchResult): string {
  const o = r.options;
  return [
    `dma mapping benchmark: threads:${o.threads} seconds:${o.seconds} node:${o.node} dir:${r.dirName} granule: ${o.granule}`,
    `average map latency(us):${f1(r.map.meanUs)} standard deviation:${f1(r.map.stddevUs)}`,
    `average unmap latency(us):${f1(r.unmap.meanUs)} standard deviation:${f1(r.unmap.stddevUs)}`,
  ].join('\n');
}

/**
 * One line about how the simulated run differs from the kernel's: which machine, and whether the
 * iteration cap ended it before `-s` simulated seconds. Printed before the tool's lines.
 */
export function formatMapBenchNote(r: MapBenchResult): string {
  const o = r.options;
  const how = r.capped
    ? `capped at ${o.iterations} loops/thread (--iterations): ${r.simulatedSeconds.toPrecision(3)} of ${o.seconds} simulated s`
    : r.simulatedSeconds < o.seconds
      ? `every thread stopped after ${r.simulatedSeconds.toPrecision(3)} of ${o.seconds} simulated s`
      : `ran ${o.seconds} simulated s`;
  const fails = r.mapFailures + r.allocFailures > 0 ? `; ${r.mapFailures} thread(s) stopped on a failed map, ${r.allocFailures} without a buffer` : '';
  return `# dmasim ${o.soc} strategy:${o.strategy} seed:${o.seed} bits:${o.bits} delay:${o.delayNs}ns: ${r.loops} loops, ${how}${fails}`;
}

/** The note (one line) followed by the tool's three lines: what `dmasim bench map` prints. */
export function formatMapBenchReport(r: MapBenchResult): string {
  return `${formatMapBenchNote(r)}\n${formatMapBench(r)}`;
}

export interface MapBenchJson {
  soc: string;
  strategy: string;
  seed: number;
  threads: number;
  seconds: number;
  node: number;
  dir: string;
  granule: number;
  bits: number;
  delayNs: number;
  /** Loops done by all threads. */
  iterations: number;
  /** The per-thread cap in force, and whether it (not the seconds) ended the run. */
  iterationCap: number;
  capped: boolean;
  simulatedSeconds: number;
  mapFailures: number;
  map: { meanUs: number; stddevUs: number };
  unmap: { meanUs: number; stddevUs: number };
}

export function mapBenchJson(r: MapBenchResult): MapBenchJson {
  const o = r.options;
  return {
    soc: o.soc,
    strategy: o.strategy,
    seed: o.seed,
    threads: o.threads,
    seconds: o.seconds,
    node: o.node,
    dir: r.dirName,
    granule: o.granule,
    bits: o.bits,
    delayNs: o.delayNs,
    iterations: r.loops,
    iterationCap: o.iterations,
    capped: r.capped,
    simulatedSeconds: r.simulatedSeconds,
    mapFailures: r.mapFailures,
    map: { meanUs: r.map.meanUs, stddevUs: r.map.stddevUs },
    unmap: { meanUs: r.unmap.meanUs, stddevUs: r.unmap.stddevUs },
  };
}
