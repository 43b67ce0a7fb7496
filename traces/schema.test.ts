import { describe, it, expect } from 'vitest';
import { parseOp, parseHeader, OP_NAMES, OP_FIELDS, resolveLimits } from './schema.ts';
import { TraceFormatError } from './errors.ts';
import { DMA_DIRECTION, DMA_ATTR_BIT, attrsToMask, maskToAttrs } from './kernel-names.ts';
import { SAMPLE_OPS } from './fixtures/sample-ops.ts';

function errorOf(fn: () => unknown): TraceFormatError {
  try { fn(); } catch (e) { if (e instanceof TraceFormatError) return e; throw e; }
  throw new Error('expected a TraceFormatError');
}

describe('kernel names', () => {
  it('uses the kernel numeric values for directions and attribute bits', () => {
    expect(DMA_DIRECTION).toEqual({ BIDIRECTIONAL: 0, TO_DEVICE: 1, FROM_DEVICE: 2, NONE: 3 });
    expect(DMA_ATTR_BIT.WRITE_COMBINE).toBe(2);
    expect(DMA_ATTR_BIT.NO_KERNEL_MAPPING).toBe(4);
    expect(DMA_ATTR_BIT.SKIP_CPU_SYNC).toBe(5);
    expect(DMA_ATTR_BIT.DEBUGGING_IGNORE_CACHELINES).toBe(11);
    expect(DMA_ATTR_BIT.CC_SHARED).toBe(13);
    expect(maskToAttrs(attrsToMask(['SKIP_CPU_SYNC', 'WRITE_COMBINE']))).toEqual(['WRITE_COMBINE', 'SKIP_CPU_SYNC']);
  });
});

describe('parseOp', () => {
  it('accepts one op of every kind and returns it unchanged', () => {
    const kinds = new Set(SAMPLE_OPS.map((o) => o.op));
    expect([...kinds].sort()).toEqual([...OP_NAMES].sort());
    for (const op of SAMPLE_OPS) expect(parseOp(op, 'x')).toEqual(op);
  });

  it('names the file, line, op and expected values for a bad direction', () => {
    const e = errorOf(() => parseOp({ op: 'map_single', dev: 'd', buf: 'b', offset: 0, size: 4, dir: 'TO_DEV', handle: 'h' }, 'trace.jsonl:7'));
    expect(e.message).toBe('trace.jsonl:7: map_single: "dir" must be TO_DEVICE, FROM_DEVICE or BIDIRECTIONAL, got "TO_DEV"');
    expect(e.where).toBe('trace.jsonl:7');
  });

  it('rejects a 2^50-byte map with a clear message', () => {
    const e = errorOf(() => parseOp({ op: 'map_single', dev: 'd', buf: 'b', offset: 0, size: 2 ** 50, dir: 'TO_DEVICE', handle: 'h' }, 't:2'));
    expect(e.message).toContain('"size" must be an integer from 0 to 1099511627776 (bytes), got 1125899906842624');
  });

  it('applies configurable limits', () => {
    const lim = resolveLimits({ maxSize: 1 << 20, maxSgEntries: 2 });
    expect(() => parseOp({ op: 'kmalloc', buf: 'b', size: (1 << 20) + 1 }, 'w', lim)).toThrow(/from 0 to 1048576/);
    const sg = [1, 2, 3].map(() => ({ buf: 'b', offset: 0, len: 1 }));
    expect(() => parseOp({ op: 'map_sg', dev: 'd', sg, dir: 'TO_DEVICE', handle: 'h' }, 'w', lim)).toThrow(/must have 1 to 2 entries, got 3/);
  });

  it('rejects negative, fractional and non-numeric sizes and offsets', () => {
    for (const bad of [-1, 1.5, '4096', null, Number.NaN, Infinity]) {
      expect(() => parseOp({ op: 'cpu_read', buf: 'b', offset: bad, len: 1 }, 'w')).toThrow(TraceFormatError);
    }
  });

  it('rejects unknown ops and unknown fields (typos are not ignored)', () => {
    expect(errorOf(() => parseOp({ op: 'map_singel' }, 'f:3')).message).toMatch(/^f:3: "op" must be one of device, kmalloc/);
    expect(errorOf(() => parseOp({ op: 'kmalloc', buf: 'b', size: 1, lenght: 3 }, 'f:4')).message).toContain('kmalloc: unknown field "lenght"');
  });

  it('names a missing field', () => {
    expect(errorOf(() => parseOp({ op: 'dev_read', dev: 'd', handle: 'h', offset: 0 }, 'f:5')).message).toContain('dev_read: missing "len"');
  });

  it('requires exactly one of seed or byte on writes', () => {
    expect(() => parseOp({ op: 'cpu_write', buf: 'b', offset: 0, len: 1 }, 'w')).toThrow(/exactly one of "seed"/);
    expect(() => parseOp({ op: 'dev_write', dev: 'd', handle: 'h', offset: 0, len: 1, seed: 1, byte: 2 }, 'w')).toThrow(/exactly one/);
    expect(() => parseOp({ op: 'cpu_write', buf: 'b', offset: 0, len: 1, byte: 256 }, 'w')).toThrow(/0 to 255/);
  });

  it('requires page-aligned alloc_pages', () => {
    expect(() => parseOp({ op: 'alloc_pages', buf: 'b', size: 1000 }, 'w')).toThrow(/multiple of the page size 4096/);
  });

  it('canonicalises attrs (bit order, kernel alias, no duplicates) and key order', () => {
    const op = parseOp({ handle: 'h', attrs: ['SKIP_CPU_SYNC', 'CACHELINES_OVERLAP', 'WEAK_ORDERING', 'SKIP_CPU_SYNC'], dir: 'TO_DEVICE', size: 4, offset: 0, buf: 'b', dev: 'd', op: 'map_single', t: 3 }, 'w');
    expect(JSON.stringify(op)).toBe('{"op":"map_single","t":3,"dev":"d","buf":"b","offset":0,"size":4,"dir":"TO_DEVICE","attrs":["WEAK_ORDERING","SKIP_CPU_SYNC","DEBUGGING_IGNORE_CACHELINES"],"handle":"h"}');
  });

  it('rejects attribute names it does not know, listing the valid ones', () => {
    expect(() => parseOp({ op: 'unmap_single', dev: 'd', handle: 'h', size: 1, dir: 'TO_DEVICE', attrs: ['DMA_ATTR_SKIP_CPU_SYNC'] }, 'w')).toThrow(/without the DMA_ATTR_ prefix/);
  });

  it('rejects t beyond the 2^53 ps time limit', () => {
    expect(() => parseOp({ op: 'wmb', t: 2 ** 53 }, 'w')).toThrow(/"t" must be an integer number of ns/);
  });

  it('lists fields in a table covering every op kind', () => {
    for (const name of OP_NAMES) expect(Array.isArray(OP_FIELDS[name])).toBe(true);
  });
});

describe('parseHeader', () => {
  it('accepts the DESIGN header and returns canonical key order', () => {
    expect(JSON.stringify(parseHeader({ seed: 1, soc: 'exynos4412', version: 1, dmasim: 'trace' }, 'h'))).toBe('{"dmasim":"trace","version":1,"soc":"exynos4412","seed":1}');
  });
  it('refuses a future version clearly', () => {
    expect(() => parseHeader({ dmasim: 'trace', version: 2 }, 'f:1')).toThrow('f:1: header: trace format version 2 is newer than this dmasim understands (1); upgrade dmasim');
  });
  it('refuses a missing header', () => {
    expect(() => parseHeader({ op: 'wmb' }, 'f:1')).toThrow(/expected the trace header/);
  });
});
