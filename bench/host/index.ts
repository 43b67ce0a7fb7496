// `dmasim bench host`: every host-speed figure the issues name, each beside the physical limit it is
// compared to, measured in the same run (the machine is shared and noisy: ratios, not absolute times).
import { benchKernel } from './kernel-bench.ts';
import { benchCache } from './cache-bench.ts';
import { benchDma } from './dma-bench.ts';
import { benchReplay } from './replay-bench.ts';
import { benchScenario } from './scenario-bench.ts';
import type { JitChoice } from '../../emulator/host/index.ts';
import { benchIommu } from './iommu-bench.ts';
import { benchMemory } from './memory-bench.ts';
import { benchChecker } from './checker-bench.ts';
import { benchMsgpackDecode } from '../../traces/msgpack-bench.ts';

export interface Goal {
  figure: string;
  value: number;
  goal: string;
  met: boolean;
}

export interface HostBenchReport {
  seed: number;
  node: string;
  quick: boolean;
  figures: Record<string, Record<string, number>>;
  goals: Goal[];
}

export interface HostBenchOptions {
  quick?: boolean;
  /** How the scenario's steady-state processes are compiled (default deep: see emulator/host/jit.ts). */
  jit?: JitChoice;
  /** Called before each group (progress on stderr). */
  onGroup?: (name: string) => void;
}

type Group = [name: string, run: (quick: boolean, jit: JitChoice) => Promise<object> | object];

/** The figures of a bench result (labels such as a page-table format are dropped from the numbers). */
function numbersOnly(o: object): Record<string, number> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
}

const GROUPS: Group[] = [
  ['kernel', (q) => ({ ...benchKernel({ events: q ? 300_000 : 2_000_000 }) })],
  ['cache', () => ({ ...benchCache() })],
  ['memory', () => ({ ...benchMemory() })],
  ['dma', () => ({ ...benchDma() })],
  ['iommu', (q) => ({ ...benchIommu(q ? { translations: 50_000 } : {}) })],
  [
    'traces',
    async (q) => {
      const replay = benchReplay({ pairs: q ? 20_000 : 200_000 });
      const decode = await benchMsgpackDecode(q ? 4 << 20 : 32 << 20);
      return {
        replayOpsPerSec: replay.replayOpsPerSec,
        replayDirectCallsPerSec: replay.directCallsPerSec,
        replayVsDirectCalls: replay.vsDirectCalls,
        msgpackDecodeMBps: decode.mbPerSec,
        jsonParseMBps: decode.jsonParseMBps,
        msgpackVsJsonParse: decode.mbPerSec / decode.jsonParseMBps,
      };
    },
  ],
  ['checker', (q) => ({ ...benchChecker(q ? { pairs: 5_000 } : {}) })],
  ['scenario', (q, jit) => ({ ...benchScenario({ seconds: q ? 0.25 : 2, runs: q ? 1 : 5, warmups: q ? 1 : 2, processes: q ? 1 : 5, jit }) })],
];

/** [group, figure, goal text, predicate] for every figure an issue sets a goal on. */
const GOALS: [string, string, string, (v: number) => boolean][] = [
  ['kernel', 'vsBareHeap', '≥ 0.7', (v) => v >= 0.7],
  ['cache', 'maintLinesPerSec', '≥ 50e6', (v) => v >= 50e6],
  ['cache', 'clean64MiBvs1MiB', '≤ 4', (v) => v <= 4],
  ['cache', 'cpuReadBytesPerSec', '≥ 1e9', (v) => v >= 1e9],
  ['dma', 'bounceVsSet', '≥ 0.9', (v) => v >= 0.9],
  ['dma', 'mapUnmapPairsPerSec', '≥ 1e6', (v) => v >= 1e6],
  ['traces', 'replayOpsPerSec', '≥ 1e6', (v) => v >= 1e6],
  ['traces', 'msgpackDecodeMBps', '≥ 100', (v) => v >= 100],
  ['checker', 'slowdown', '≤ 2', (v) => v <= 2],
  ['scenario', 'realtimeFactor', '≥ 10', (v) => v >= 10],
];

export async function runHostBench(opts: HostBenchOptions = {}): Promise<HostBenchReport> {
  const quick = opts.quick ?? false;
  const figures: Record<string, Record<string, number>> = {};
  for (const [name, run] of GROUPS) {
    opts.onGroup?.(name);
    figures[name] = numbersOnly(await run(quick, opts.jit ?? 'deep'));
  }
  const goals: Goal[] = [];
  for (const [group, figure, goal, ok] of GOALS) {
    const value = figures[group]?.[figure];
    if (value !== undefined) goals.push({ figure: `${group}.${figure}`, value, goal, met: ok(value) });
  }
  return { seed: 1, node: process.version, quick, figures, goals };
}

export function formatHostBench(r: HostBenchReport): string {
  const lines = [`host-speed suite (node ${r.node}${r.quick ? ', quick' : ''})`];
  for (const [group, figs] of Object.entries(r.figures)) {
    lines.push(`  ${group}`);
    for (const [k, v] of Object.entries(figs)) lines.push(`    ${k.padEnd(28)} ${formatFigure(v)}`);
  }
  lines.push('  goals');
  for (const g of r.goals) lines.push(`    ${g.met ? 'met ' : 'MISS'} ${g.figure.padEnd(28)} ${formatFigure(g.value)} (goal ${g.goal})`);
  return lines.join('\n');
}

function formatFigure(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(2)} G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)} k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}
