import { describe, expect, it } from 'vitest';
import {
  dma_alloc_coherent,
  dma_free_coherent,
  dma_map_sg,
  dma_map_single,
  dma_map_single_attrs,
  dma_mapping_error,
  dma_sync_sg_for_cpu,
  dma_sync_sg_for_device,
  dma_sync_single_for_cpu,
  dma_sync_single_for_device,
  dma_sync_single_range_for_cpu,
  dma_unmap_page,
  dma_unmap_sg,
  dma_unmap_single,
  dma_map_resource,
  dma_unmap_resource,
} from './mapping.ts';
import { sgInitTable } from './scatterlist.ts';
import { DMA_MAPPING_ERROR, DmaAttr, DmaDirection } from './types.ts';
import { makeMachine } from './test-support.ts';

const { TO_DEVICE, FROM_DEVICE, BIDIRECTIONAL } = DmaDirection;

function setup(params = {}) {
  const m = makeMachine({ params });
  const dev = m.sys.addDevice({ name: '11800000.fimc', driver: 'fimc' });
  const P = 'DMA-API: fimc 11800000.fimc: ';
  const buf = m.sys.memory.allocPages(16384);
  const kinds = () => m.sys.violations.map((v) => v.kind);
  const messages = () => m.sys.violations.map((v) => v.message);
  /** Map and check, as a correct driver does. */
  const map = (pa: number, size: number, dir: DmaDirection, attrs = 0) => {
    const h = dma_map_single_attrs(dev, pa, size, dir, attrs);
    expect(dma_mapping_error(dev, h)).toBe(false);
    return h;
  };
  return { m, dev, P, buf, kinds, messages, map };
}

describe('dma-debug stays silent on correct use', () => {
  it('map, check, sync both ways, unmap; sg; coherent alloc/free; resource', () => {
    const { m, dev, buf, map } = setup();
    const h = map(buf, 4096, BIDIRECTIONAL);
    dma_sync_single_for_cpu(dev, h, 4096, BIDIRECTIONAL);
    dma_sync_single_for_device(dev, h, 4096, BIDIRECTIONAL);
    dma_unmap_single(dev, h, 4096, BIDIRECTIONAL);
    const h2 = map(buf + 4096, 2048, FROM_DEVICE);
    dma_sync_single_range_for_cpu(dev, h2, 1024, 1024, FROM_DEVICE);
    dma_unmap_single(dev, h2, 2048, FROM_DEVICE);
    const sg = sgInitTable([
      { phys: buf, length: 4096 },
      { phys: buf + 8192, length: 4096 },
    ]);
    expect(dma_map_sg(dev, sg, 2, TO_DEVICE)).toBe(2);
    dma_sync_sg_for_device(dev, sg, 2, TO_DEVICE);
    dma_unmap_sg(dev, sg, 2, TO_DEVICE);
    const c = dma_alloc_coherent(dev, 8192)!;
    dma_free_coherent(dev, 8192, c.cpuAddr, c.dmaHandle);
    const r = dma_map_resource(dev, 0x13860000, 4, TO_DEVICE);
    dma_mapping_error(dev, r);
    dma_unmap_resource(dev, r, 4, TO_DEVICE);
    expect(m.sys.violations).toEqual([]);
    expect(m.sys.debug.liveEntries).toBe(0);
  });
});

describe('dma-debug reports each misuse with the kernel text', () => {
  it('unmap of an address never mapped (text 2) and of the error value (text 1)', () => {
    const { dev, P, messages, kinds } = setup();
    dma_unmap_single(dev, 0x40001000, 4096, TO_DEVICE);
    dma_unmap_single(dev, DMA_MAPPING_ERROR, 4096, TO_DEVICE);
    expect(kinds()).toEqual(['unmap-unknown', 'unmap-unknown']);
    expect(messages()).toEqual([
      `${P}device driver tries to free DMA memory it has not allocated [device address=0x0000000040001000] [size=4096 bytes]`,
      `${P}device driver tries to free an invalid DMA memory address`,
    ]);
  });
  it('unmap with a different size (text 3)', () => {
    const { dev, P, buf, map, messages, kinds } = setup();
    const h = map(buf, 4096, TO_DEVICE);
    dma_unmap_single(dev, h, 2048, TO_DEVICE);
    expect(kinds()).toEqual(['unmap-size-mismatch']);
    expect(messages()[0]).toBe(`${P}device driver frees DMA memory with different size [device address=0x${h.toString(16).padStart(16, '0')}] [map size=4096 bytes] [unmap size=2048 bytes]`);
  });
  it('unmap with a different direction (text 7)', () => {
    const { dev, P, buf, map, messages, kinds } = setup();
    const h = map(buf, 4096, TO_DEVICE);
    dma_unmap_single(dev, h, 4096, FROM_DEVICE);
    expect(kinds()).toEqual(['unmap-dir-mismatch']);
    expect(messages()[0]).toBe(`${P}device driver frees DMA memory with different direction [device address=0x${h.toString(16).padStart(16, '0')}] [size=4096 bytes] [mapped with DMA_TO_DEVICE] [unmapped with DMA_FROM_DEVICE]`);
  });
  it('unmap with the wrong function (text 4)', () => {
    const { dev, P, buf, messages, kinds } = setup();
    const sg = sgInitTable([{ phys: buf, length: 4096 }]);
    dma_map_sg(dev, sg, 1, TO_DEVICE);
    dma_unmap_page(dev, sg[0]!.dmaAddress, 4096, TO_DEVICE);
    expect(kinds()).toEqual(['unmap-wrong-function']);
    expect(messages()[0]).toBe(`${P}device driver frees DMA memory with wrong function [device address=0x${sg[0]!.dmaAddress.toString(16).padStart(16, '0')}] [size=4096 bytes] [mapped as scather-gather] [unmapped as single]`);
  });
  it('sg unmap and sync with a different entry count (texts 6, 17)', () => {
    const { dev, P, buf, messages, kinds } = setup();
    const sg = sgInitTable([
      { phys: buf, length: 4096 },
      { phys: buf + 4096, length: 4096 },
      { phys: buf + 8192, length: 4096 },
    ]);
    dma_map_sg(dev, sg, 3, FROM_DEVICE);
    dma_sync_sg_for_cpu(dev, sg, 2, FROM_DEVICE);
    dma_unmap_sg(dev, sg, 2, FROM_DEVICE);
    expect(kinds()).toEqual(['sg-count-mismatch', 'sg-count-mismatch', 'sg-count-mismatch', 'sg-count-mismatch']);
    expect(messages()[0]).toBe(`${P}device driver syncs DMA sg list with different entry count [map count=3] [sync count=2]`);
    expect(messages()[2]).toBe(`${P}device driver frees DMA sg list with different entry count [map count=3] [unmap count=2]`);
  });
  it('sync of memory not mapped (text 12) and beyond the mapping (text 13)', () => {
    const { dev, P, buf, map, messages, kinds } = setup();
    dma_sync_single_for_cpu(dev, 0x40002000, 64, FROM_DEVICE);
    const h = map(buf, 4096, FROM_DEVICE);
    dma_sync_single_range_for_cpu(dev, h, 4000, 200, FROM_DEVICE);
    expect(kinds()).toEqual(['sync-unmapped', 'sync-out-of-range']);
    expect(messages()).toEqual([
      `${P}device driver tries to sync DMA memory it has not allocated [device address=0x0000000040002000] [size=64 bytes]`,
      `${P}device driver syncs DMA memory outside allocated range [device address=0x${h.toString(16).padStart(16, '0')}] [allocation size=4096 bytes] [sync offset+size=4200]`,
    ]);
  });
  it('sync with a different direction (texts 14, 15, 16), never for BIDIRECTIONAL mappings', () => {
    const { dev, P, buf, map, messages, kinds } = setup();
    const hb = map(buf + 8192, 4096, BIDIRECTIONAL);
    dma_sync_single_for_cpu(dev, hb, 4096, FROM_DEVICE);
    expect(kinds()).toEqual([]);
    const h = map(buf, 4096, FROM_DEVICE);
    const a = `[device address=0x${h.toString(16).padStart(16, '0')}] [size=4096 bytes]`;
    // videobuf2's prepare: a FROM_DEVICE mapping synced for the device with FROM_DEVICE is correct use.
    dma_sync_single_for_device(dev, h, 4096, FROM_DEVICE);
    expect(kinds()).toEqual([]);
    dma_sync_single_for_cpu(dev, h, 4096, TO_DEVICE);
    expect(messages()).toEqual([`${P}device driver syncs DMA memory with different direction ${a} [mapped with DMA_FROM_DEVICE] [synced with DMA_TO_DEVICE]`]);
    // check_sync: for the device, a mapping the device writes synced with anything but FROM_DEVICE.
    dma_sync_single_for_device(dev, h, 4096, TO_DEVICE);
    expect(messages().slice(1)).toEqual([
      `${P}device driver syncs DMA memory with different direction ${a} [mapped with DMA_FROM_DEVICE] [synced with DMA_TO_DEVICE]`,
      `${P}device driver syncs device write-only DMA memory to device ${a} [mapped with DMA_FROM_DEVICE] [synced with DMA_TO_DEVICE]`,
    ]);
    // ... and for the CPU, a mapping the device only reads synced with anything but TO_DEVICE.
    const t = map(buf + 4096, 4096, TO_DEVICE);
    dma_sync_single_for_cpu(dev, t, 4096, TO_DEVICE);
    expect(messages()).toHaveLength(3);
    dma_sync_single_for_cpu(dev, t, 4096, FROM_DEVICE);
    expect(messages()[4]).toBe(`${P}device driver syncs device read-only DMA memory for cpu [device address=0x${t.toString(16).padStart(16, '0')}] [size=4096 bytes] [mapped with DMA_TO_DEVICE] [synced with DMA_FROM_DEVICE]`);
  });
  it('a handle never checked with dma_mapping_error is reported at unmap (text 8)', () => {
    const { dev, P, buf, messages, kinds } = setup();
    const h = dma_map_single(dev, buf, 20480, TO_DEVICE);
    dma_unmap_single(dev, h, 20480, TO_DEVICE);
    expect(kinds()).toEqual(['map-error-unchecked']);
    expect(messages()[0]).toBe(`${P}device driver failed to check map error[device address=0x${h.toString(16).padStart(16, '0')}] [size=20480 bytes] [mapped as single]`);
  });
  it('two FROM_DEVICE mappings starting in one cache line: EEXIST (text 18), unless suppressed', () => {
    const { m, dev, P, map, messages, kinds } = setup();
    const k = m.sys.memory.kmalloc;
    // 64-byte minimum alignment: separate objects never share a line; two halves of one object do.
    const obj = k.kmalloc(64);
    map(obj, 4, FROM_DEVICE);
    map(obj + 8, 4, FROM_DEVICE);
    expect(kinds()).toEqual(['overlapping-cacheline']);
    expect(messages()[0]).toBe(`${P}cacheline tracking EEXIST, overlapping mappings aren't supported`);
    map(obj + 16, 4, FROM_DEVICE, DmaAttr.SKIP_CPU_SYNC);
    map(obj + 24, 4, TO_DEVICE);
    expect(kinds()).toHaveLength(1);
    const obj2 = k.kmalloc(64);
    map(obj2, 4, FROM_DEVICE, DmaAttr.DEBUGGING_IGNORE_CACHELINES);
    map(obj2 + 4, 4, FROM_DEVICE, DmaAttr.DEBUGGING_IGNORE_CACHELINES);
    expect(kinds()).toHaveLength(1);
  });
  it('separate kmalloc objects with ARM\'s 64-byte alignment do not overlap', () => {
    const { m, map, kinds } = setup();
    const a = m.sys.memory.kmalloc.kmalloc(4);
    const b = m.sys.memory.kmalloc.kmalloc(4);
    map(a, 4, FROM_DEVICE);
    map(b, 4, FROM_DEVICE);
    expect(kinds()).toEqual([]);
  });
  it('with arm64\'s 8-byte kmalloc alignment two small objects overlap', () => {
    const { m, map, kinds } = setup({ kmallocMinAlign: 8 });
    const a = m.sys.memory.kmalloc.kmalloc(4);
    const b = m.sys.memory.kmalloc.kmalloc(4);
    map(a, 4, FROM_DEVICE);
    map(b, 4, FROM_DEVICE);
    expect(kinds()).toEqual(['overlapping-cacheline']);
  });
  it('coherent free with a different size or CPU address (texts 3, 5)', () => {
    const { dev, P, messages, kinds } = setup();
    const c = dma_alloc_coherent(dev, 8192)!;
    dma_free_coherent(dev, 8192, c.cpuAddr! + 4096, c.dmaHandle);
    const c2 = dma_alloc_coherent(dev, 8192)!;
    dma_free_coherent(dev, 4096, c2.cpuAddr, c2.dmaHandle);
    expect(kinds()).toEqual(['free-mismatch', 'unmap-size-mismatch']);
    expect(messages()[0]).toBe(
      `${P}device driver frees DMA memory with different CPU address [device address=0x${c.dmaHandle.toString(16).padStart(16, '0')}] [size=8192 bytes] [cpu alloc address=0x${c.cpuAddr!.toString(16).padStart(16, '0')}] [cpu free address=0x${(c.cpuAddr! + 4096).toString(16).padStart(16, '0')}]`,
    );
  });
  it('live mappings at device removal are leaks (text 20), naming the oldest', () => {
    const { m, dev, P, buf, map, messages, kinds } = setup();
    const h = map(buf, 4096, TO_DEVICE);
    map(buf + 4096, 512, FROM_DEVICE);
    expect(m.sys.removeDevice(dev)).toBe(2);
    expect(kinds()).toEqual(['leaked-mapping']);
    expect(messages()[0]).toBe(
      `${P}device driver has pending DMA allocations while released from device [count=2]\nOne of leaked entries details: [device address=0x${h.toString(16).padStart(16, '0')}] [size=4096 bytes] [mapped with DMA_TO_DEVICE] [mapped as single]`,
    );
    expect(m.sys.debug.liveEntries).toBe(0);
  });
  it('every violation carries a hint and the replay op index', () => {
    const { m, dev } = setup();
    m.sys.opIndex = 17;
    dma_unmap_single(dev, 0x40001000, 4096, TO_DEVICE);
    const v = m.sys.violations[0]!;
    expect(v.op).toBe(17);
    expect(v.dev).toBe('11800000.fimc');
    expect(v.hint.length).toBeGreaterThan(20);
  });
  it('is silent (and tracks nothing) when disabled', () => {
    const m = makeMachine({ debug: false });
    const dev = m.sys.addDevice({ name: 'd', driver: 'x' });
    dma_unmap_single(dev, 0x40001000, 4096, TO_DEVICE);
    expect(m.sys.violations).toEqual([]);
  });
});
