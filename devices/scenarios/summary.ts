import type { HistogramSummary } from '../../emulator/kernel/index.ts';
import type { ScenarioResult } from './camera-audio.ts';

const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : String(n));
const pct = (x: unknown) => (typeof x === 'number' ? `${(x * 100).toFixed(1)}%` : 'n/a');
const num = (x: unknown) => (typeof x === 'number' ? x : 0);

function lat(h: unknown): string {
  const s = h as HistogramSummary | null;
  if (!s || !s.count) return 'n/a';
  return `p50 ${fmt(s.p50 / 1e6, 2)} us, p99 ${fmt(s.p99 / 1e6, 2)} us (${s.count} transfers)`;
}

/** A human summary of a scenario run (what `dmasim run` prints without --json). */
export function formatSummary(r: ScenarioResult): string {
  const s = r.stats;
  const simS = r.simulatedNs / 1e9;
  const kinds = new Map<string, number>();
  for (const v of r.violations) kinds.set(v.kind, (kinds.get(v.kind) ?? 0) + 1);
  const cpu = (s['cpuBusyMs'] as number[] | undefined) ?? [];
  const lines = [
    `scenario ${r.scenario} on ${r.soc}, strategy ${r.strategy}, seed ${r.seed}`,
    `  camera : ${r.frames} frames checked, ${r.framesDropped} dropped (no buffer queued), ${r.framesCorrupt} corrupt (${num(s['cameraBadLines'])} bad lines)`,
    `  audio  : ${r.periods} periods, ${r.xruns} xruns, ${num(s['audioUnderrunWords'])} underrun words, ${num(s['audioWrongWords'])} wrong words played`,
    `  violations: ${r.violations.length}${kinds.size ? ' (' + [...kinds].map(([k, n]) => `${k} ×${n}`).join(', ') + ')' : ''}`,
    `  CPU in DMA API: ${fmt(num(s['dmaApiCpuMs']), 2)} ms over ${num(s['dmaApiCalls'])} calls (cleaned ${fmt(num(s['bytesCleaned']) / 1048576, 1)} MiB, invalidated ${fmt(num(s['bytesInvalidated']) / 1048576, 1)} MiB, flushed ${fmt(num(s['bytesFlushed']) / 1048576, 1)} MiB, bounced ${fmt(num(s['bytesBounced']) / 1048576, 1)} MiB)`,
    `  CPU busy per core: ${cpu.map((c) => `${fmt(c, 1)} ms`).join(', ')}`,
    `  bus: ${fmt(num(s['busBytesPerSec']) / 1e6, 1)} MB/s (${pct(s['busUtilisation'])} of DRAM peak), DRAM utilisation ${pct(s['dramUtilisation'])}`,
    `  camera bus latency ${lat(s['cameraBusLatencyPs'])}; audio ${lat(s['audioBusLatencyPs'])}`,
    `  time: ${fmt(simS, 3)} s simulated in ${fmt(r.hostMs / 1000, 3)} s host (${fmt(simS / Math.max(r.hostMs / 1000, 1e-9), 2)}× real time${s['jit'] === 'deep' ? ', deep JIT inlining' : ''})`,
  ];
  return lines.join('\n');
}
