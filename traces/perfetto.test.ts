import { describe, it, expect } from 'vitest';
import { PerfettoWriter, validateChromeTrace } from './perfetto.ts';

async function render(fn: (w: PerfettoWriter) => void, flushChars?: number): Promise<{ text: string; writes: number }> {
  const parts: string[] = [];
  const w = new PerfettoWriter({ write(c) { parts.push(String(c)); return true; } }, flushChars === undefined ? {} : { flushChars });
  fn(w);
  await w.close();
  return { text: parts.join(''), writes: parts.length };
}

describe('PerfettoWriter', () => {
  it('writes a Chrome trace that validates, with metadata, slices, counters, instants, async and flows', async () => {
    const { text } = await render((w) => {
      const cpu = w.track('exynos4412', 'cpu0');
      const dma = w.track('exynos4412', 'pl330 ch0');
      w.slice(cpu, 'dma_map_single', 1000, 250, { size: 4096 });
      w.flowStart(cpu, 'buffer', 1, 1100);
      w.begin(dma, 'transfer', 2000, { bytes: 4096 });
      w.flowStep(dma, 'buffer', 1, 2100);
      w.end(dma, 3000);
      w.asyncBegin(dma, 'in flight', 7, 2000);
      w.asyncEnd(dma, 'in flight', 7, 3500);
      w.counter('exynos4412', 'dirty lines', 2500, { l1: 3, l2: 10 });
      w.instant(cpu, 'violation: stale-cpu-read', 4000, { addr: '0x40001000' }, 'g');
      w.slice(cpu, 'cpu_read', 4000, 10);
      w.flowEnd(cpu, 'buffer', 1, 4005);
    });
    const json = JSON.parse(text) as { traceEvents: Array<Record<string, unknown>> };
    expect(validateChromeTrace(json)).toEqual({ ok: true, errors: [], events: json.traceEvents.length });
    const meta = json.traceEvents.filter((e) => e['ph'] === 'M');
    expect(meta.map((e) => [e['name'], (e['args'] as { name: string }).name])).toEqual([['process_name', 'exynos4412'], ['thread_name', 'cpu0'], ['thread_name', 'pl330 ch0']]);
    const x = json.traceEvents.find((e) => e['ph'] === 'X');
    expect(x).toMatchObject({ name: 'dma_map_single', ts: 1, dur: 0.25, args: { size: 4096 } }); // µs
    expect(json.traceEvents.find((e) => e['ph'] === 'f')).toMatchObject({ bp: 'e', id: 1 });
  });

  it('streams: flushes during writing, not only at the end', async () => {
    const { writes } = await render((w) => {
      const t = w.track('p', 't');
      for (let i = 0; i < 200; i++) w.slice(t, 's', i * 10, 5);
    }, 1000);
    expect(writes).toBeGreaterThan(5);
  });

  it('keeps ns precision in µs timestamps without float noise', async () => {
    const { text } = await render((w) => { w.instant(w.track('p', 't'), 'i', 1234567); });
    expect(text).toContain('"ts":1234.567');
  });
});

describe('validateChromeTrace', () => {
  const M = { ph: 'M', name: 'thread_name', pid: 1, tid: 1, args: { name: 't' } };
  it('reports a B without E, out-of-order timestamps, unresolved flows and unmatched async ends', () => {
    const r = validateChromeTrace({ traceEvents: [
      M,
      { ph: 'B', name: 'a', pid: 1, tid: 1, ts: 10 },
      { ph: 'X', name: 'b', pid: 1, tid: 1, ts: 5, dur: 1 },
      { ph: 't', cat: 'flow', id: 9, pid: 1, tid: 1, ts: 20 },
      { ph: 's', cat: 'flow', id: 3, pid: 1, tid: 1, ts: 20 },
      { ph: 'e', cat: 'c', name: 'n', id: '1', pid: 1, tid: 1, ts: 30 },
      { ph: 'C', name: 'c', pid: 1, tid: 0, ts: 1, args: { v: 'x' } },
    ] });
    expect(r.ok).toBe(false);
    expect(r.errors.join('\n')).toMatch(/ts 5 before 10/);
    expect(r.errors.join('\n')).toMatch(/flow flow\/9 step without start/);
    expect(r.errors.join('\n')).toMatch(/async end without begin/);
    expect(r.errors.join('\n')).toMatch(/counter args must be numbers/);
    expect(r.errors.join('\n')).toMatch(/1 B without E \(a\)/);
    expect(r.errors.join('\n')).toMatch(/flow flow\/3 never ends/);
  });
  it('rejects a document without traceEvents', () => {
    expect(validateChromeTrace({}).ok).toBe(false);
  });
});
