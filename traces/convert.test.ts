import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertTrace } from './convert.ts';
import { openTrace, readTrace } from './reader.ts';
import { detectFileFormat } from './detect.ts';
import { TraceFormatError } from './errors.ts';

let dir = '';
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'dmasim-traces-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });
const fixture = (n: string): string => fileURLToPath(new URL(`./fixtures/${n}`, import.meta.url));

const FTRACE = `# tracer: nop
#
kworker/0:1-42 [000] ..... 12.345678: dma_map_phys: 10000000.mmc dir=FROM_DEVICE dma_addr=8c201000 size=512 phys_addr=8c201000 attrs=
kworker/0:1-42 [000] ..... 12.345800: sched_switch: prev_comm=a prev_pid=1
kworker/0:1-42 [000] ..... 12.346000: dma_unmap_phys: 10000000.mmc dir=FROM_DEVICE dma_addr=8c201000 size=512 attrs=
`;

describe('convertTrace', () => {
  it('JSONL → msgpack → JSONL reproduces the file byte for byte', async () => {
    const src = join(dir, 'a.jsonl');
    copyFileSync(fixture('tx-rx-correct.jsonl'), src);
    const r1 = await convertTrace(src, join(dir, 'a.msgpack'));
    expect(r1).toEqual({ from: 'jsonl', to: 'msgpack', ops: 15, skipped: 0 });
    expect(await detectFileFormat(join(dir, 'a.msgpack'))).toBe('msgpack');
    const r2 = await convertTrace(join(dir, 'a.msgpack'), join(dir, 'b.jsonl'));
    expect(r2).toMatchObject({ from: 'msgpack', to: 'jsonl', ops: 15 });
    expect(readFileSync(join(dir, 'b.jsonl'), 'utf8')).toBe(readFileSync(src, 'utf8'));
  });

  it('ftrace → JSONL → msgpack → JSONL is stable, counting skipped lines', async () => {
    const src = join(dir, 'trace.txt');
    writeFileSync(src, FTRACE);
    const r = await convertTrace(src, join(dir, 'f.jsonl'));
    expect(r).toEqual({ from: 'ftrace', to: 'jsonl', ops: 7, skipped: 3 });
    await convertTrace(join(dir, 'f.jsonl'), join(dir, 'f.msgpack'));
    await convertTrace(join(dir, 'f.msgpack'), join(dir, 'g.jsonl'));
    expect(readFileSync(join(dir, 'g.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'f.jsonl'), 'utf8'));
    const direct = await convertTrace(src, join(dir, 'f2.msgpack'));
    expect(direct.ops).toBe(7);
    expect(readFileSync(join(dir, 'f2.msgpack'))).toEqual(readFileSync(join(dir, 'f.msgpack')));
  });

  it('converts a truncated msgpack file up to its last complete record and says where it stopped', async () => {
    const full = readFileSync(join(dir, 'a.msgpack'));
    writeFileSync(join(dir, 'cut.msgpack'), full.subarray(0, full.length - 4));
    const r = await convertTrace(join(dir, 'cut.msgpack'), join(dir, 'cut.jsonl'));
    expect(r.ops).toBe(14);
    expect(r.truncatedAt).toBeGreaterThan(0);
    expect(r.truncatedAt).toBeLessThan(full.length - 4);
    const t = await readTrace(join(dir, 'cut.msgpack'));
    expect(t.truncatedAt).toBe(r.truncatedAt);
  });

  it('refuses an output extension it cannot map to a format', async () => {
    await expect(convertTrace(fixture('tx-rx-correct.jsonl'), join(dir, 'x.txt'))).rejects.toBeInstanceOf(TraceFormatError);
  });

  it('openTrace gives the header before the ops', async () => {
    const r = await openTrace(fixture('tx-missing-clean.jsonl'));
    expect(r.format).toBe('jsonl');
    expect(r.header).toEqual({ dmasim: 'trace', version: 1, soc: 'exynos4412', seed: 42 });
    let n = 0;
    for await (const op of r.ops) { expect(typeof op.op).toBe('string'); n++; }
    expect(n).toBe(8);
  });
});
