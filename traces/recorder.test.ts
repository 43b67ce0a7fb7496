import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCameraAudio } from '../devices/scenarios/camera-audio.ts';
import type { CameraAudioOptions } from '../devices/scenarios/camera-audio.ts';
import { createDmaMachine } from '../dma/machine.ts';
import { COHERENCY_VIOLATION_KINDS, DmaDirection, dma_map_single, dma_mapping_error, dma_unmap_single } from '../dma/index.ts';
import { LiveOps } from './live-ops.ts';
import type { LiveOpSink } from './live-ops.ts';
import { TraceRecorder, recordFormatFor } from './recorder.ts';
import { createScenarioTrace } from './perfetto-export.ts';
import { readJsonlFile } from './jsonl.ts';
import { readMsgpackFile } from './msgpack.ts';
import { replayOps } from './replay.ts';
import type { TraceHeader, TraceOp } from './schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'dmasim-rec-'));
const small: CameraAudioOptions = { seconds: 0.1, strategy: 'direct', camera: { width: 320, height: 240 } };
const coherencyKinds = new Set<string>(COHERENCY_VIOLATION_KINDS);

async function readTrace(path: string): Promise<{ header: TraceHeader; ops: TraceOp[] }> {
  let header: TraceHeader | undefined;
  const ops: TraceOp[] = [];
  const src = recordFormatFor(path) === 'msgpack' ? readMsgpackFile(path) : readJsonlFile(path);
  for await (const r of src) {
    if (r.kind === 'header') header = r.header;
    else if (r.kind === 'op') ops.push(r.op);
    else throw new Error(`truncated at ${r.at}`);
  }
  if (header === undefined) throw new Error('no header');
  return { header, ops };
}

/** A machine with one non-coherent device whose every op goes to `ops`. */
function liveMachine() {
  const ops: TraceOp[] = [];
  const sink: LiveOpSink = { op: (op) => ops.push(op) };
  const live = new LiveOps([sink]);
  const m = createDmaMachine('exynos4412', { seed: 3 });
  live.attach(m, { scenario: 'test', soc: 'exynos4412', strategy: 'direct', seed: 3 });
  const dev = m.addDevice({ name: 'dev0', driver: 'drv', coherency: 'none' });
  return { ops, live, m, dev };
}

describe('trace recorder', () => {
  it('records a camera-audio run that replays with the same DMA API calls and no coherency violations', async () => {
    const path = join(dir, 'run.jsonl');
    const st = createScenarioTrace({ record: path });
    const run = runCameraAudio({ ...small, observer: st.observer });
    await st.close();
    const { header, ops } = await readTrace(path);
    expect(header).toEqual({ dmasim: 'trace', version: 1, soc: 'exynos4412', seed: 1, strategy: 'direct' });
    const kinds = new Set(ops.map((o) => o.op));
    for (const k of ['device', 'alloc_pages', 'map_sg', 'sync_sg_for_device', 'sync_sg_for_cpu', 'alloc_coherent', 'sync_single_for_device', 'dev_write', 'dev_read', 'cpu_read', 'cpu_write', 'interrupt']) {
      expect(kinds, k).toContain(k);
    }
    expect(st.stats.unmappedDeviceBytes).toBe(0);
    expect(ops.every((o) => o.t !== undefined)).toBe(true);
    const replay = replayOps(header, ops);
    expect(replay.stats['dma.calls']).toBe(run.stats['dmaApiCalls']);
    expect(replay.ops).toBe(ops.filter((o) => o.op !== 'interrupt' && o.op !== 'violation').length);
    expect(replay.violations.filter((v) => coherencyKinds.has(v.kind))).toEqual([]);
    expect(run.violations).toEqual([]);
  });

  it('writes the same operations in msgpack as in JSONL (format by extension)', async () => {
    const a = join(dir, 'same.jsonl');
    const b = join(dir, 'same.msgpack');
    for (const path of [a, b]) {
      const st = createScenarioTrace({ record: path });
      runCameraAudio({ ...small, seconds: 0.05, observer: st.observer });
      await st.close();
    }
    expect(readFileSync(b)[1]).toBe(0xa6); // the msgpack magic: a map whose first key is "dmasim"
    const ja = await readTrace(a);
    const jb = await readTrace(b);
    expect(jb.ops.length).toBeGreaterThan(100);
    expect(jb).toEqual(ja);
  });

  it('has each record on disk as soon as it is written', async () => {
    const path = join(dir, 'crash.jsonl');
    const checked: number[] = [];
    const rec = TraceRecorder.toFile(path, {
      onRecord: (n) => {
        if (n !== 1 && n % 500 !== 0) return;
        // What a reader (or a post-mortem) finds right now: the header and n complete lines, nothing pending.
        const text = readFileSync(path, 'utf8');
        expect(text.endsWith('\n')).toBe(true);
        const lines = text.trimEnd().split('\n');
        expect(lines.length).toBe(n + 1);
        expect(JSON.parse(lines[lines.length - 1]!)).toHaveProperty('op');
        checked.push(n);
      },
    });
    const live = new LiveOps([rec]);
    runCameraAudio({ ...small, seconds: 0.05, observer: live });
    expect(checked.length).toBeGreaterThan(3);
    expect(checked[0]).toBe(1);
  });

  it('records a device access after unmap against the last mapping of that address', () => {
    const { ops, live, m, dev } = liveMachine();
    const pa = m.sys.memory.allocPages(8192);
    const h = dma_map_single(dev, pa + 256, 1024, DmaDirection.FROM_DEVICE);
    expect(dma_mapping_error(dev, h)).toBe(false);
    live.deviceAccess(dev, h + 64, 128, true);
    dma_unmap_single(dev, h, 1024, DmaDirection.FROM_DEVICE);
    live.deviceAccess(dev, h, 32, true);
    live.finish(m.sim.now);
    const names = ops.map((o) => o.op);
    expect(names).toEqual(['device', 'alloc_pages', 'map_single', 'mapping_error', 'dev_write', 'unmap_single', 'dev_write']);
    expect(ops[1]).toMatchObject({ buf: `pa_${pa.toString(16)}`, size: 4096 });
    expect(ops[2]).toMatchObject({ dev: 'dev0', buf: `pa_${pa.toString(16)}`, offset: 256, size: 1024, dir: 'FROM_DEVICE', handle: 'h1' });
    expect(ops[3]).toMatchObject({ op: 'mapping_error', handle: 'h1' });
    expect(ops[4]).toMatchObject({ handle: 'h1', offset: 64, len: 128, byte: 0 });
    expect(ops[6]).toMatchObject({ handle: 'h1', offset: 0, len: 32 });
    expect(ops[0]).toMatchObject({ name: 'dev0', coherent: false, dmaMask: 32, iommu: false, driver: 'drv', strategy: 'direct' });
    // The recording replays: the stale write lands where the dead mapping was.
    const r = replayOps({ dmasim: 'trace', version: 1, seed: 3 }, ops);
    expect(r.ops).toBe(ops.length);
  });

  it('records a violation right after the operation that caused it', () => {
    const { ops, live, m, dev } = liveMachine();
    const pa = m.sys.memory.allocPages(4096);
    const h = dma_map_single(dev, pa, 512, DmaDirection.TO_DEVICE);
    dma_unmap_single(dev, h, 256, DmaDirection.TO_DEVICE); // wrong size: dma-debug reports it
    live.finish(m.sim.now);
    const i = ops.findIndex((o) => o.op === 'unmap_single');
    const v = ops[i + 1];
    expect(v?.op).toBe('violation');
    if (v?.op !== 'violation') return;
    expect(v.violation.kind).toBe('unmap-size-mismatch');
    expect(v.violation.op).toBe(i);
    expect(v.violation.dev).toBe('dev0');
  });

  it('names CPU accesses to memory nobody mapped after their pages', () => {
    const { ops, live, m } = liveMachine();
    const pa = m.sys.memory.allocPages(3 * 4096);
    live.cpuAccess(0, pa + 5000, 6000, false, 0, 0);
    live.cpuAccess(0, pa + 5100, 10, true, 0, 0);
    expect(ops).toEqual([
      { op: 'alloc_pages', t: 0, buf: `pa_${(pa + 4096).toString(16)}`, size: 8192 },
      { op: 'cpu_read', t: 0, buf: `pa_${(pa + 4096).toString(16)}`, offset: 904, len: 6000 },
      { op: 'cpu_write', t: 0, buf: `pa_${(pa + 4096).toString(16)}`, offset: 1004, len: 10, byte: 0 },
    ]);
  });
});

describe('trace recorder with a bug', () => {
  it('records every violation of the run as a violation record', async () => {
    const path = join(dir, 'bug.jsonl');
    const st = createScenarioTrace({ record: path });
    const run = runCameraAudio({ ...small, seconds: 0.3, speculation: true, camera: { width: 320, height: 240, skipFinish: true }, audio: { enabled: false }, observer: st.observer });
    await st.close();
    const { ops } = await readTrace(path);
    const recorded = ops.flatMap((o) => (o.op === 'violation' ? [o.violation] : []));
    expect(run.violations.map((v) => v.kind)).toContain('stale-cpu-read');
    expect(recorded.map((v) => [v.kind, v.addr, v.size])).toEqual(run.violations.map((v) => [v.kind, v.addr, v.size]));
    // Each names the recorded operation it followed: a CPU read for a stale read.
    for (const v of recorded.filter((x) => x.kind === 'stale-cpu-read')) expect(ops[v.op]?.op).toBe('cpu_read');
  });
});
