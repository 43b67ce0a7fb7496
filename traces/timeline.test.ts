import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCameraAudio } from '../devices/scenarios/camera-audio.ts';
import type { CameraAudioOptions } from '../devices/scenarios/camera-audio.ts';
import { PerfettoTracer, createReplayTimeline, createScenarioTrace, replayTimelineOn } from './perfetto-export.ts';
import { validateChromeTrace } from './perfetto.ts';
import { formatBytes, shortDeviceName, apiSliceName } from './timeline.ts';
import { Replayer } from './replay.ts';
import type { TraceHeader, TraceOp } from './schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'dmasim-tl-'));
const small: CameraAudioOptions = { seconds: 0.1, strategy: 'direct', camera: { width: 320, height: 240 } };

interface Ev { ph: string; name?: string; pid?: number; tid?: number; ts?: number; dur?: number; id?: number | string; args?: Record<string, unknown> }

const header: TraceHeader = { dmasim: 'trace', version: 1, soc: 'exynos4412', seed: 1 };
/** One buffer through a whole ownership cycle, then a wrong-size unmap (dma-debug reports it). */
const cycle: TraceOp[] = [
  { op: 'device', name: '11800000.fimc', coherent: false, dmaMask: 32, iommu: false, driver: 'exynos4-fimc' },
  { op: 'alloc_pages', buf: 'frame', size: 8192 },
  { op: 'map_single', dev: '11800000.fimc', buf: 'frame', offset: 0, size: 8192, dir: 'FROM_DEVICE', handle: 'h1' },
  { op: 'mapping_error', dev: '11800000.fimc', handle: 'h1' },
  { op: 'dev_write', dev: '11800000.fimc', handle: 'h1', offset: 0, len: 8192, byte: 7 },
  { op: 'sync_single_for_cpu', dev: '11800000.fimc', handle: 'h1', offset: 0, size: 8192, dir: 'FROM_DEVICE' },
  { op: 'cpu_read', buf: 'frame', offset: 0, len: 8192 },
  { op: 'unmap_single', dev: '11800000.fimc', handle: 'h1', size: 4096, dir: 'FROM_DEVICE' },
];

/** Replays ops with a timeline written to memory; returns the parsed Chrome trace. */
async function replayToJson(ops: TraceOp[]): Promise<{ traceEvents: Ev[] }> {
  const chunks: string[] = [];
  const tracer = new PerfettoTracer({ write: (c) => (chunks.push(typeof c === 'string' ? c : Buffer.from(c).toString()), true) });
  const tl = replayTimelineOn(tracer, {}, () => tracer.close());
  const r = new Replayer(header, { onOp: tl.onOp });
  tl.attach(r.machine);
  ops.forEach((op, i) => r.apply(op, i));
  r.finish();
  await tl.close();
  return JSON.parse(chunks.join('')) as { traceEvents: Ev[] };
}

function threadNames(evs: Ev[]): Map<string, string> {
  const procs = new Map<number, string>();
  for (const e of evs) if (e.ph === 'M' && e.name === 'process_name') procs.set(e.pid!, String(e.args!['name']));
  const out = new Map<string, string>();
  for (const e of evs) if (e.ph === 'M' && e.name === 'thread_name') out.set(`${e.pid}/${e.tid}`, `${procs.get(e.pid!)}/${String(e.args!['name'])}`);
  return out;
}

describe('Perfetto timeline of a replay', () => {
  it('validates and shows each API call on the CPU with its cost', async () => {
    const j = await replayToJson(cycle);
    const check = validateChromeTrace(j);
    expect(check.errors).toEqual([]);
    const names = threadNames(j.traceEvents);
    const map = j.traceEvents.find((e) => e.ph === 'X' && e.name === 'dma_map_single fimc 8 KiB FROM_DEVICE');
    expect(map).toBeDefined();
    expect(names.get(`${map!.pid}/${map!.tid}`)).toBe('CPU/cpu0');
    expect(map!.args).toMatchObject({ handle: 'h1', bytesBounced: 0 });
    expect(map!.args!['cycles']).toBeGreaterThan(0);
    expect(map!.args!['bytesInvalidated']).toBe(8192);
    const dw = j.traceEvents.find((e) => e.ph === 'X' && e.name?.startsWith('dev_write h1'));
    expect(names.get(`${dw!.pid}/${dw!.tid}`)).toBe('DMA/11800000.fimc');
    expect(dw!.dur).toBeGreaterThan(0);
  });

  it('links map → device write → sync → CPU read of the buffer with one flow', async () => {
    const j = await replayToJson(cycle);
    const flows = j.traceEvents.filter((e) => e.ph === 's' || e.ph === 't' || e.ph === 'f');
    expect(flows.map((e) => e.ph)).toEqual(['s', 't', 't', 'f']);
    expect(new Set(flows.map((e) => e.id)).size).toBe(1);
    const names = threadNames(j.traceEvents);
    expect(flows.map((e) => names.get(`${e.pid}/${e.tid}`))).toEqual(['CPU/cpu0', 'DMA/11800000.fimc', 'CPU/cpu0', 'CPU/cpu0']);
    const ts = flows.map((e) => e.ts!);
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);
  });

  it('shows a violation as an instant with its message', async () => {
    const j = await replayToJson(cycle);
    const v = j.traceEvents.find((e) => e.ph === 'i' && e.name === 'unmap-size-mismatch');
    expect(v).toBeDefined();
    expect(String(v!.args!['message'])).toContain('DMA-API');
    expect(v!.args!['hint']).toBeTypeOf('string');
  });

  it('samples counters once over a long idle gap of a replay', async () => {
    const j = await replayToJson([...cycle.slice(0, 7), { op: 'delay', ns: 10_000_000_000 }, { op: 'cpu_read', buf: 'frame', offset: 0, len: 64 }]);
    expect(validateChromeTrace(j).errors).toEqual([]);
    const bw = j.traceEvents.filter((e) => e.ph === 'C' && e.name === 'bandwidth MB/s');
    expect(bw.length).toBeGreaterThanOrEqual(1);
    expect(bw.length).toBeLessThanOrEqual(3);
  });

  it('writes a file that validates (createReplayTimeline)', async () => {
    const path = join(dir, 'replay.json');
    const tl = createReplayTimeline(path);
    const r = new Replayer(header, { onOp: tl.onOp });
    tl.attach(r.machine);
    cycle.forEach((op, i) => r.apply(op, i));
    r.finish();
    await tl.close();
    const check = validateChromeTrace(JSON.parse(readFileSync(path, 'utf8')));
    expect(check.errors).toEqual([]);
    expect(check.events).toBeGreaterThan(10);
  });
});

describe('Perfetto timeline of a scenario run', () => {
  it('validates, with a process per block, transfers, counters and flows', async () => {
    const path = join(dir, 'run.json');
    const st = createScenarioTrace({ perfetto: path });
    runCameraAudio({ ...small, observer: st.observer });
    await st.close();
    const j = JSON.parse(readFileSync(path, 'utf8')) as { traceEvents: Ev[] };
    const check = validateChromeTrace(j);
    expect(check.errors).toEqual([]);
    const evs = j.traceEvents;
    const procs = new Set(evs.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => String(e.args!['name'])));
    for (const p of ['CPU', 'DMA', 'Bus/DRAM', 'DMA pools', 'Caches']) expect(procs).toContain(p);
    const threads = [...threadNames(evs).values()];
    expect(threads).toContain('DMA/fimc0 #0');
    expect(threads).toContain('DMA/pdma0 #0');
    expect(threads.filter((t) => t.startsWith('CPU/cpu')).length).toBeGreaterThanOrEqual(3);
    expect(evs.some((e) => e.ph === 'X' && e.name === 'dma_map_sg fimc 1 ents 112.5 KiB FROM_DEVICE')).toBe(true);
    expect(evs.some((e) => e.ph === 'X' && e.name?.startsWith('irq '))).toBe(true);
    expect(evs.some((e) => e.ph === 'X' && e.name?.startsWith('write ') && (e.dur ?? 0) > 0)).toBe(true);
    // 100 µs windows over 0.1 s (plus set-up): about a thousand bandwidth samples, some non-zero.
    const bw = evs.filter((e) => e.ph === 'C' && e.name === 'bandwidth MB/s');
    expect(bw.length).toBeGreaterThan(900);
    expect(bw.some((e) => (e.args!['total'] as number) > 0)).toBe(true);
    expect(evs.filter((e) => e.ph === 'f').length).toBeGreaterThan(4);
    expect(evs.filter((e) => e.ph === 't').length).toBeGreaterThan(4);
  });

  it('shows the violations of a buggy run as instants', async () => {
    const path = join(dir, 'bug.json');
    const st = createScenarioTrace({ perfetto: path });
    const run = runCameraAudio({ ...small, seconds: 0.3, speculation: true, camera: { width: 320, height: 240, skipFinish: true }, audio: { enabled: false }, observer: st.observer });
    await st.close();
    const j = JSON.parse(readFileSync(path, 'utf8')) as { traceEvents: Ev[] };
    expect(validateChromeTrace(j).errors).toEqual([]);
    const stale = j.traceEvents.filter((e) => e.ph === 'i' && e.name === 'stale-cpu-read');
    expect(stale.length).toBe(run.violations.filter((v) => v.kind === 'stale-cpu-read').length);
    expect(stale.length).toBeGreaterThan(0);
    expect(String(stale[0]!.args!['hint'])).toContain('dma_sync');
  });

  it('does not change the run', async () => {
    const plain = runCameraAudio(small);
    const st = createScenarioTrace({ perfetto: join(dir, 'same.json'), record: join(dir, 'same.jsonl') });
    const traced = runCameraAudio({ ...small, observer: st.observer });
    await st.close();
    const strip = (s: Record<string, unknown>) => ({ ...s, realtimeFactor: 0 });
    expect({ ...traced, hostMs: 0, stats: strip(traced.stats) }).toEqual({ ...plain, hostMs: 0, stats: strip(plain.stats) });
  });

  it('shows IOMMU activity under an IOMMU strategy', async () => {
    const path = join(dir, 'iommu.json');
    const st = createScenarioTrace({ perfetto: path });
    runCameraAudio({ ...small, seconds: 0.05, strategy: 'iommu-strict', observer: st.observer });
    await st.close();
    const j = JSON.parse(readFileSync(path, 'utf8')) as { traceEvents: Ev[] };
    expect(validateChromeTrace(j).errors).toEqual([]);
    const io = j.traceEvents.filter((e) => e.ph === 'C' && e.name === 'fimc per window');
    expect(io.length).toBeGreaterThan(100);
    expect(io.some((e) => (e.args!['walks'] as number) > 0 || (e.args!['tlbMisses'] as number) > 0)).toBe(true);
  });
});

describe('timeline names', () => {
  it('reads sizes and device names as a person would', () => {
    expect(formatBytes(3 * 1024 * 1024)).toBe('3 MiB');
    expect(formatBytes(4096)).toBe('4 KiB');
    expect(formatBytes(100)).toBe('100 B');
    expect(shortDeviceName('11800000.fimc')).toBe('fimc');
    expect(shortDeviceName('camera')).toBe('camera');
    expect(apiSliceName({ op: 'map_single', dev: '11800000.fimc', buf: 'b', offset: 0, size: 3 << 20, dir: 'FROM_DEVICE', handle: 'h' })).toBe('dma_map_single fimc 3 MiB FROM_DEVICE');
    expect(apiSliceName({ op: 'cpu_read', buf: 'b', offset: 0, len: 1 })).toBeNull();
  });
});
