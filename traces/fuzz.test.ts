// Every decoder, fed random or mutated input, either succeeds or throws TraceFormatError: never another
// exception, never a hang. Inputs are bounded so each run is fast.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { decodeMsgpackTrace, encodeMsgpackTrace } from './msgpack.ts';
import { readJsonl, toJsonl } from './jsonl.ts';
import { importFtraceText } from './ftrace.ts';
import { parseOp } from './schema.ts';
import { TraceFormatError } from './errors.ts';
import { SAMPLE_HEADER, SAMPLE_OPS } from './fixtures/sample-ops.ts';

const VALID_MSGPACK = encodeMsgpackTrace(SAMPLE_HEADER, SAMPLE_OPS);
const VALID_JSONL = toJsonl(SAMPLE_HEADER, SAMPLE_OPS.slice(0, 20));
const VALID_FTRACE = [
  '# tracer: nop',
  'kworker/0:1-42 [000] ..... 12.345678: dma_map_phys: 10000000.mmc dir=FROM_DEVICE dma_addr=8c201000 size=512 phys_addr=8c201000 attrs=',
  'kworker/0:1-42 [000] ..... 12.345700: dma_sync_single_for_cpu: 10000000.mmc dir=FROM_DEVICE dma_addr=8c201000 size=512',
  'kworker/0:1-42 [001] d..1. 12.346000: dma_map_sg: mmc dir=TO_DEVICE nents=3/3 ents=2/2 dma_addrs={0x9000000,0x9002000} sizes={0x2000,0x800} phys_addrs={0x8c300000,0x8c301000,0x8c305000} attrs=SKIP_CPU_SYNC|CACHELINES_OVERLAP',
  'kworker/0:1-42 [000] ..... 12.346500: dma_unmap_sg: mmc dir=TO_DEVICE phys_addrs={0x8c300000,0x8c301000,0x8c305000} attrs=',
  'kworker/0:1-42 [000] ..... 12.347000: dma_alloc: snd dir=BIDIRECTIONAL dma_addr=7f100000 size=4096 virt_addr=00000000a1b2c3d4 flags=GFP_KERNEL attrs=NO_KERNEL_MAPPING',
  'kworker/0:1-42 [000] ..... 12.348000: dma_unmap_phys: 10000000.mmc dir=FROM_DEVICE dma_addr=8c201000 size=512 attrs=',
  '   keybroker-app-143     [000] b..2.  1772.607321: swiotlb_bounced: dev_name: 0000:00:00.0 dma_mask=ffffffffffffffff dev_addr=80b6717e size=66 FORCE',
].join('\n');

function onlyTraceFormatError(fn: () => unknown): void {
  try { fn(); } catch (e) { if (!(e instanceof TraceFormatError)) throw e; }
}
async function onlyTraceFormatErrorAsync(fn: () => Promise<unknown>): Promise<void> {
  try { await fn(); } catch (e) { if (!(e instanceof TraceFormatError)) throw e; }
}

/** Applies a few byte edits (overwrite, delete, insert) to a valid input. */
const mutations = (len: number) => fc.array(fc.tuple(fc.nat({ max: Math.max(0, len - 1) }), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'del', 'ins')), { minLength: 1, maxLength: 8 });
function mutate(src: Uint8Array, edits: Array<[number, number, string]>): Uint8Array {
  const a = Array.from(src);
  for (const [pos, byte, kind] of edits) {
    const p = Math.min(pos, a.length);
    if (kind === 'set' && p < a.length) a[p] = byte;
    else if (kind === 'del') a.splice(p, 1);
    else a.splice(p, 0, byte);
  }
  return Uint8Array.from(a);
}

describe('fuzz: decoders only throw TraceFormatError', () => {
  it('msgpack: random bytes, random bytes after a valid header, mutated traces', () => {
    const header = encodeMsgpackTrace(SAMPLE_HEADER, []);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      onlyTraceFormatError(() => decodeMsgpackTrace(bytes));
      onlyTraceFormatError(() => decodeMsgpackTrace(Uint8Array.from([...header, ...bytes])));
    }), { numRuns: 400 });
    fc.assert(fc.property(mutations(VALID_MSGPACK.length), (edits) => {
      onlyTraceFormatError(() => decodeMsgpackTrace(mutate(VALID_MSGPACK, edits)));
    }), { numRuns: 400 });
  });

  it('JSONL: random text and mutated traces', async () => {
    const bytes = Buffer.from(VALID_JSONL);
    await fc.assert(fc.asyncProperty(fc.oneof(fc.string({ maxLength: 200 }), mutations(bytes.length).map((e) => Buffer.from(mutate(bytes, e)).toString('latin1'))), async (text) => {
      await onlyTraceFormatErrorAsync(async () => { for await (const _ of readJsonl([text], 'f')) { /* drain */ } });
      await onlyTraceFormatErrorAsync(async () => { for await (const _ of readJsonl([`{"dmasim":"trace","version":1}\n${text}`], 'f')) { /* drain */ } });
    }), { numRuns: 300 });
  });

  it('parseOp: arbitrary JSON values and valid ops with a field replaced', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), (v) => { onlyTraceFormatError(() => parseOp(v, 'w')); }), { numRuns: 300 });
    fc.assert(fc.property(fc.constantFrom(...SAMPLE_OPS), fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), (op, key, v) => {
      const o = { ...op } as Record<string, unknown>;
      const keys = Object.keys(o);
      o[keys[key.length % keys.length] as string] = v;
      onlyTraceFormatError(() => parseOp(o, 'w'));
    }), { numRuns: 300 });
  });

  it('ftrace: random lines and mutated real lines', async () => {
    const bytes = Buffer.from(VALID_FTRACE);
    await fc.assert(fc.asyncProperty(fc.oneof(fc.string({ maxLength: 200 }), mutations(bytes.length).map((e) => Buffer.from(mutate(bytes, e)).toString('latin1'))), async (text) => {
      await onlyTraceFormatErrorAsync(() => importFtraceText(text));
    }), { numRuns: 400 });
  });

  it('a valid ftrace sample imports without error (the fuzz corpus is meaningful)', async () => {
    const r = await importFtraceText(VALID_FTRACE);
    expect(r.stats.events).toBe(6);
    expect(decodeMsgpackTrace(VALID_MSGPACK).ops).toEqual(SAMPLE_OPS);
  });
});
