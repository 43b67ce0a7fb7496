import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encode, decode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { readJsonl, toJsonl, JsonlWriter } from './jsonl.ts';
import { readMsgpack, encodeMsgpackTrace, decodeMsgpackTrace, MsgpackWriter, opToRecord } from './msgpack.ts';
import { RecordDecoder, NEED_MORE } from './msgpack-decode.ts';
import { detectFormat } from './detect.ts';
import { TraceFormatError } from './errors.ts';
import { SAMPLE_HEADER, SAMPLE_OPS } from './fixtures/sample-ops.ts';
import type { TraceHeader, TraceOp } from './schema.ts';
import { benchMsgpackDecode } from './msgpack-bench.ts';

const fixture = (n: string): string => fileURLToPath(new URL(`./fixtures/${n}`, import.meta.url));

async function collectJsonl(text: string, name = 't.jsonl'): Promise<{ header: TraceHeader; ops: TraceOp[] }> {
  let header: TraceHeader | undefined;
  const ops: TraceOp[] = [];
  for await (const r of readJsonl([text], name)) { if (r.kind === 'header') header = r.header; else ops.push(r.op); }
  return { header: header as TraceHeader, ops };
}

function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let p = 0; p < bytes.length; p += size) out.push(bytes.subarray(p, p + size));
  return out;
}

describe('JSONL', () => {
  it('reads the shared examples', async () => {
    const { header, ops } = await collectJsonl(readFileSync(fixture('tx-rx-correct.jsonl'), 'utf8'));
    expect(header).toEqual({ dmasim: 'trace', version: 1, soc: 'exynos4412', seed: 42 });
    expect(ops.map((o) => o.op)).toEqual(['device', 'alloc_pages', 'cpu_write', 'map_single', 'mapping_error', 'dev_read', 'unmap_single', 'kmalloc', 'map_single', 'mapping_error', 'dev_write', 'unmap_single', 'cpu_read', 'kfree', 'free_pages']);
  });

  it('writes the shared examples back byte for byte', async () => {
    for (const name of ['tx-rx-correct.jsonl', 'tx-missing-clean.jsonl']) {
      const text = readFileSync(fixture(name), 'utf8');
      const { header, ops } = await collectJsonl(text);
      expect(toJsonl(header, ops)).toBe(text);
    }
  });

  it('gives the line number of a bad line, counting blank lines', async () => {
    const text = '{"dmasim":"trace","version":1}\n\n{"op":"wmb"}\n{"op":"map_single","dev":"d","buf":"b","offset":0,"size":1,"dir":"TO_DEV","handle":"h"}\n';
    await expect(collectJsonl(text, 'trace.jsonl')).rejects.toThrow('trace.jsonl:4: map_single: "dir" must be TO_DEVICE, FROM_DEVICE or BIDIRECTIONAL, got "TO_DEV"');
  });

  it('reports invalid JSON with its line', async () => {
    await expect(collectJsonl('{"dmasim":"trace","version":1}\n{"op":\n', 'x.jsonl')).rejects.toThrow(/^x\.jsonl:2: not valid JSON/);
  });

  it('requires the header first and refuses future versions', async () => {
    await expect(collectJsonl('{"op":"wmb"}\n')).rejects.toThrow(/t\.jsonl:1: expected the trace header/);
    await expect(collectJsonl('{"dmasim":"trace","version":9}\n')).rejects.toThrow(/version 9 is newer/);
    await expect(collectJsonl('')).rejects.toThrow(/empty trace/);
  });

  it('splits lines across arbitrary chunk boundaries, including CRLF and multi-byte UTF-8', async () => {
    const text = toJsonl(SAMPLE_HEADER, SAMPLE_OPS).replace(/\n/g, '\r\n');
    const bytes = Buffer.from(text);
    for (const size of [1, 3, 7, 64]) {
      const got: TraceOp[] = [];
      for await (const r of readJsonl(chunked(bytes, size), 'c')) if (r.kind === 'op') got.push(r.op);
      expect(got).toEqual(SAMPLE_OPS);
    }
  });

  it('JsonlWriter streams the same text as toJsonl', async () => {
    const parts: string[] = [];
    const w = new JsonlWriter({ write(c) { parts.push(String(c)); return true; } }, SAMPLE_HEADER, undefined, 100);
    for (const op of SAMPLE_OPS) await w.write(op);
    await w.close();
    expect(parts.join('')).toBe(toJsonl(SAMPLE_HEADER, SAMPLE_OPS));
    expect(parts.length).toBeGreaterThan(3); // incremental flushes
  });
});

describe('msgpack', () => {
  it('round-trips every op kind to identical objects', () => {
    const bytes = encodeMsgpackTrace(SAMPLE_HEADER, SAMPLE_OPS);
    const back = decodeMsgpackTrace(bytes);
    expect(back.header).toEqual(SAMPLE_HEADER);
    expect(back.ops).toEqual(SAMPLE_OPS);
    expect(back.truncatedAt).toBeUndefined();
  });

  it('JSONL → msgpack → JSONL is identical text for the examples', async () => {
    for (const name of ['tx-rx-correct.jsonl', 'tx-missing-clean.jsonl']) {
      const text = readFileSync(fixture(name), 'utf8');
      const { header, ops } = await collectJsonl(text);
      const back = decodeMsgpackTrace(encodeMsgpackTrace(header, ops));
      expect(toJsonl(back.header, back.ops)).toBe(text);
    }
  });

  it('is smaller than JSONL', () => {
    expect(encodeMsgpackTrace(SAMPLE_HEADER, SAMPLE_OPS).length).toBeLessThan(toJsonl(SAMPLE_HEADER, SAMPLE_OPS).length / 2);
  });

  it('starts with the magic bytes and is detected by content', () => {
    const bytes = encodeMsgpackTrace(SAMPLE_HEADER, []);
    expect(Buffer.from(bytes.subarray(0, 8)).toString('hex')).toBe('85a6646d6173696d');
    expect(detectFormat(bytes)).toBe('msgpack');
    expect(detectFormat(Buffer.from('\n {"dmasim":"trace"}'))).toBe('jsonl');
    expect(detectFormat(Buffer.from('# tracer: nop\n'))).toBe('ftrace');
    expect(detectFormat(Buffer.from('  kworker/0:1-42 [000] ...'))).toBe('ftrace');
  });

  it('uses numeric codes for op, direction and attrs', () => {
    expect(opToRecord({ op: 'unmap_single', dev: 'd', handle: 'h', size: 4, dir: 'FROM_DEVICE', attrs: ['SKIP_CPU_SYNC'] })).toEqual([10, null, 'd', 'h', 4, 2, 32]);
    expect(opToRecord({ op: 'wmb' })).toEqual([22]);
  });

  it('decodes the same from any chunking (streaming)', async () => {
    const bytes = encodeMsgpackTrace(SAMPLE_HEADER, SAMPLE_OPS);
    for (const size of [1, 2, 5, 33, 4096]) {
      const got: TraceOp[] = [];
      for await (const r of readMsgpack(chunked(bytes, size), 's')) if (r.kind === 'op') got.push(r.op);
      expect(got).toEqual(SAMPLE_OPS);
    }
  });

  it('replays a truncated file up to its last complete record and reports the byte offset', async () => {
    const full = encodeMsgpackTrace(SAMPLE_HEADER, SAMPLE_OPS);
    const allButLast = encodeMsgpackTrace(SAMPLE_HEADER, SAMPLE_OPS.slice(0, -1));
    const cut = full.subarray(0, full.length - 5);
    const recs = [];
    for await (const r of readMsgpack(chunked(cut, 16), 'cut.msgpack')) recs.push(r);
    const last = recs[recs.length - 1];
    expect(last).toEqual({ kind: 'truncated', at: allButLast.length, bytes: cut.length });
    expect(recs.filter((r) => r.kind === 'op').length).toBe(SAMPLE_OPS.length - 1);
    expect(decodeMsgpackTrace(cut).truncatedAt).toBe(allButLast.length);
  });

  it('names the byte offset of an invalid record', () => {
    const head = encodeMsgpackTrace(SAMPLE_HEADER, []);
    const bad = Buffer.concat([head, encode([9, null, 'd', 'b', 0, 4, 7, 0, 'h'])]);
    expect(() => decodeMsgpackTrace(bad, 'bad.msgpack')).toThrow(`bad.msgpack: byte ${head.length}: map_single: "dir" must be a direction code 0 (BIDIRECTIONAL), 1 (TO_DEVICE) or 2 (FROM_DEVICE), got 7`);
  });

  it('rejects a hostile size in a record', () => {
    const head = encodeMsgpackTrace(SAMPLE_HEADER, []);
    const bad = Buffer.concat([head, encode([1, null, 'k', 2 ** 50])]);
    expect(() => decodeMsgpackTrace(bad)).toThrow(/kmalloc: "size" must be an integer from 0 to 1099511627776/);
  });

  it('rejects an array header claiming billions of entries without allocating', () => {
    const head = encodeMsgpackTrace(SAMPLE_HEADER, []);
    const bad = Buffer.concat([head, Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0x01])]);
    expect(() => decodeMsgpackTrace(bad)).toThrow(TraceFormatError);
  });

  it('refuses an empty file and a file without header', () => {
    expect(() => decodeMsgpackTrace(new Uint8Array(0))).toThrow(/empty msgpack trace/);
    expect(() => decodeMsgpackTrace(encode([23]))).toThrow(/expected the trace header/);
  });

  it('MsgpackWriter flushes incrementally and matches the in-memory encoding', async () => {
    const parts: Uint8Array[] = [];
    const w = new MsgpackWriter({ write(c) { parts.push(c as Uint8Array); return true; } }, SAMPLE_HEADER, { flushBytes: 128 });
    for (const op of SAMPLE_OPS) await w.write(op);
    await w.close();
    expect(parts.length).toBeGreaterThan(3);
    expect(Buffer.concat(parts)).toEqual(Buffer.from(encodeMsgpackTrace(SAMPLE_HEADER, SAMPLE_OPS)));
  });

  it('the record decoder agrees with @msgpack/msgpack on every value a trace can hold', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' },
        fc.constant(null), fc.boolean(), fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }), fc.maxSafeNat(), fc.maxSafeInteger(),
        fc.double({ noNaN: true }), fc.string({ maxLength: 40, unit: 'grapheme' }), fc.string({ maxLength: 300 }),
        fc.array(tie('v'), { maxLength: 20 }), fc.dictionary(fc.string({ maxLength: 8 }), tie('v'), { maxKeys: 5 })),
    })).v;
    const rd = new RecordDecoder({ maxItems: 1000, maxBytes: 10000, maxDepth: 50 });
    fc.assert(fc.property(value, (v) => {
      const bytes = encode(v);
      rd.setBuffer(bytes, 0);
      expect(rd.value()).toEqual(decode(bytes));
      expect(rd.pos).toBe(bytes.length);
      for (const cut of [0, bytes.length >> 1, bytes.length - 1]) {
        if (cut >= bytes.length) continue;
        rd.setBuffer(bytes.subarray(0, cut), 0);
        expect(() => rd.value()).toThrow(expect.objectContaining(NEED_MORE));
      }
    }), { numRuns: 300 });
  });
});

describe('benchMsgpackDecode', () => {
  it('decodes its generated trace completely and reports throughputs (speed itself is not asserted)', async () => {
    const r = await benchMsgpackDecode(50_000);
    expect(r.ops).toBeGreaterThan(1000);
    expect(r.msgpackBytes).toBeLessThan(r.jsonBytes);
    for (const v of [r.mbPerSec, r.inMemoryMBps, r.jsonParseMBps]) expect(Number.isFinite(v) && v > 0).toBe(true);
  });
});

describe('JSONL with a byte-order mark', () => {
  it('accepts a BOM before the header', async () => {
    const { header } = await collectJsonl('\ufeff{"dmasim":"trace","version":1}\n');
    expect(header.version).toBe(1);
  });
});
