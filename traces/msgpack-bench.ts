// Host-speed benchmark of the msgpack trace decoder against JSON.parse of the same trace (a native
// parser: the practical upper bound for a JS-level decoder). Used by bench/, never asserted in tests.
import { performance } from 'node:perf_hooks';
import { MsgpackTraceDecoder, decodeMsgpackTrace, encodeMsgpackTrace } from './msgpack.ts';
import type { MsgpackChunkResult } from './msgpack.ts';
import type { TraceHeader, TraceOp } from './schema.ts';

/** A realistic op mix (streaming transfers with syncs and device accesses), deterministic. */
export function* generateBenchOps(count: number): Generator<TraceOp> {
  const dev = '13860000.i2c-dma';
  yield { op: 'device', name: dev, coherent: false, dmaMask: 32, iommu: false, driver: 'bench' };
  for (let i = 0; i < count; i++) {
    const buf = `b${i & 63}`;
    const handle = `h${i & 63}`;
    const t = i * 1000;
    switch (i % 8) {
      case 0: yield { op: 'alloc_pages', buf, size: 8192, t }; break;
      case 1: yield { op: 'cpu_write', buf, offset: 0, len: 4096, seed: i, t }; break;
      case 2: yield { op: 'map_single', dev, buf, offset: 0, size: 4096, dir: 'TO_DEVICE', attrs: [], handle, t }; break;
      case 3: yield { op: 'mapping_error', dev, handle, t }; break;
      case 4: yield { op: 'dev_read', dev, handle, offset: 0, len: 4096, t }; break;
      case 5: yield { op: 'sync_single_for_cpu', dev, handle, offset: 0, size: 4096, dir: 'TO_DEVICE', t }; break;
      case 6: yield { op: 'unmap_single', dev, handle, size: 4096, dir: 'TO_DEVICE', attrs: ['SKIP_CPU_SYNC'], t }; break;
      default: yield { op: 'free_pages', buf, t }; break;
    }
  }
}

const HEADER: TraceHeader = { dmasim: 'trace', version: 1, soc: 'exynos4412', seed: 1 };

/**
 * Builds an in-memory msgpack trace of about `bytes` bytes and decodes it the way a replay reads a file:
 * in 256 KiB chunks, each chunk's ops consumed then dropped (`mbPerSec`, best of several runs). Also
 * reports decoding into one array of every op (`inMemoryMBps`, dominated by GC for large traces) and
 * JSON.parse of the same ops as one JSON array (`jsonParseMBps`, a native parser: the practical ceiling).
 */
export async function benchMsgpackDecode(bytes: number): Promise<{ mbPerSec: number; inMemoryMBps: number; jsonParseMBps: number; ops: number; msgpackBytes: number; jsonBytes: number }> {
  const probe = encodeMsgpackTrace(HEADER, generateBenchOps(1000));
  const count = Math.max(1000, Math.round((bytes / probe.length) * 1000));
  const ops = [...generateBenchOps(count)];
  const packed = encodeMsgpackTrace(HEADER, ops);
  const json = JSON.stringify([HEADER, ...ops]);
  const best = (fn: () => void): number => {
    let min = Infinity;
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      fn();
      min = Math.min(min, performance.now() - t0);
    }
    return min / 1000;
  };
  let decoded = 0;
  const chunk = 256 * 1024;
  const tStream = best(() => {
    const dec = new MsgpackTraceDecoder('bench.msgpack');
    const out: MsgpackChunkResult = { ops: [], offsets: [] };
    decoded = 0;
    for (let p = 0; p < packed.length; p += chunk) {
      dec.feed(packed.subarray(p, Math.min(packed.length, p + chunk)), out);
      decoded += out.ops.length;
      out.ops.length = 0;
      out.offsets.length = 0;
    }
    dec.finish();
  });
  if (decoded !== ops.length) throw new Error(`bench: decoded ${decoded} ops, expected ${ops.length}`);
  const tMsgpack = best(() => { decoded = decodeMsgpackTrace(packed).ops.length; });
  if (decoded !== ops.length) throw new Error(`bench: decoded ${decoded} ops, expected ${ops.length}`);
  const tJson = best(() => { JSON.parse(json); });
  return {
    mbPerSec: packed.length / 1e6 / tStream,
    inMemoryMBps: packed.length / 1e6 / tMsgpack,
    jsonParseMBps: json.length / 1e6 / tJson,
    ops: ops.length,
    msgpackBytes: packed.length,
    jsonBytes: json.length,
  };
}
