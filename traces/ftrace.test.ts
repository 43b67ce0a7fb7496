import { describe, it, expect } from 'vitest';
import { importFtraceText, parseDeviceMap } from './ftrace.ts';
import { parseFtraceLine } from './ftrace-parse.ts';
import { toJsonl, readJsonl } from './jsonl.ts';
import { parseOp } from './schema.ts';
import { TraceFormatError } from './errors.ts';
import type { TraceOp } from './schema.ts';

// The real swiotlb lines quoted in REFERENCE.md §6.
const SWIOTLB_REAL = `disp_eng_share_-1439    [000] .....   197.644246: swiotlb_bounced: dev_name: d4280800.sdh dma_mask=ffffffff dev_addr=ffffffffffffffff size=4 NORMAL
jbd2/mmcblk2p6--289     [006] .....   197.926040: swiotlb_bounced: dev_name: d4281000.sdh dma_mask=ffffffff dev_addr=ffffffffffffffff size=4096 NORMAL
   keybroker-app-143     [000] b..2.  1772.607321: swiotlb_bounced: dev_name: 0000:00:00.0 dma_mask=ffffffffffffffff dev_addr=80b6717e size=66 FORCE`;
// The synthetic dma_map_phys line of REFERENCE.md §6.
const MAP_PHYS = 'kworker/0:1-42 [000] ..... 12.345678: dma_map_phys: 10000000.mmc dir=FROM_DEVICE dma_addr=8c201000 size=512 phys_addr=8c201000 attrs=';

const P = (ts: string, ev: string, body: string): string => `kworker/0:1-42 [000] ..... ${ts}: ${ev}: ${body}`;
const opsOf = (ops: TraceOp[], name: string): TraceOp[] => ops.filter((o) => o.op === name);

describe('ftrace line parsing', () => {
  it('parses the prefix with and without the flags column, trace-cmd padding and a TGID column', () => {
    const lines = [
      MAP_PHYS,
      '  kworker/0:1-42    [000]  12.345678: dma_map_phys:         10000000.mmc dir=FROM_DEVICE dma_addr=8c201000 size=512 phys_addr=8c201000 attrs=',
      'kworker/0:1-42 (   42) [000] d..1. 12.345678: dma_map_phys: 10000000.mmc dir=FROM_DEVICE dma_addr=8c201000 size=512 phys_addr=8c201000 attrs=',
      'kworker/0:1-42 [000] ..... 12.345678: dma:dma_map_phys: 10000000.mmc dir=FROM_DEVICE dma_addr=8c201000 size=512 phys_addr=8c201000 attrs=',
    ];
    for (const l of lines) {
      const r = parseFtraceLine(l, 1, 'f');
      expect(r.kind).toBe('event');
      if (r.kind !== 'event') continue;
      expect(r.ev).toMatchObject({ event: 'dma_map_phys', dev: '10000000.mmc', sec: 12, nsec: 345678000 });
      expect(Object.fromEntries(r.ev.fields)).toEqual({ dir: 'FROM_DEVICE', dma_addr: '8c201000', size: '512', phys_addr: '8c201000', attrs: '' });
    }
  });

  it('parses task names with dashes and the swiotlb body', () => {
    const r = parseFtraceLine(SWIOTLB_REAL.split('\n')[1] as string, 2, 'f');
    expect(r.kind === 'event' && r.ev).toMatchObject({ event: 'swiotlb_bounced', dev: 'd4281000.sdh', words: ['NORMAL'] });
  });

  it('classifies comments, blank lines and other events', () => {
    expect(parseFtraceLine('# tracer: nop', 1, 'f').kind).toBe('comment');
    expect(parseFtraceLine('#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION', 1, 'f').kind).toBe('comment');
    expect(parseFtraceLine('   ', 1, 'f').kind).toBe('blank');
    expect(parseFtraceLine('cpus=4', 1, 'f').kind).toBe('other');
    expect(parseFtraceLine(P('1.000001', 'sched_switch', 'prev_comm=a prev_pid=1'), 1, 'f')).toEqual({ kind: 'other', event: 'sched_switch' });
  });
});

describe('ftrace import', () => {
  it('imports the synthetic dma_map_phys line as device, pages, map, check and device write', async () => {
    const r = await importFtraceText(`# tracer: nop\n#\n${MAP_PHYS}\n`, 'mmc.txt');
    expect(r.ops).toEqual([
      { op: 'device', name: '10000000.mmc', coherent: false, dmaMask: 32, iommu: false },
      { op: 'alloc_pages', buf: 'pa_8c201000', size: 4096 },
      { op: 'map_page', t: 0, dev: '10000000.mmc', buf: 'pa_8c201000', offset: 0, size: 512, dir: 'FROM_DEVICE', attrs: [], handle: 'd_8c201000' },
      { op: 'mapping_error', dev: '10000000.mmc', handle: 'd_8c201000' },
      { op: 'dev_write', dev: '10000000.mmc', handle: 'd_8c201000', offset: 0, len: 512, seed: 1 },
      { op: 'free_pages', buf: 'pa_8c201000' },
    ]);
    expect(r.stats.skipped).toBe(2);
    expect(r.stats.events).toBe(1);
  });

  it('counts the real swiotlb lines as skipped and learns the DMA mask from them', async () => {
    const text = `${SWIOTLB_REAL}\n${P('1772.700000', 'dma_map_page', '0000:00:00.0 dir=TO_DEVICE dma_addr=80b67000 size=66 phys_addr=880b67000 attrs=')}\n`;
    const r = await importFtraceText(text);
    expect(r.stats.skipped).toBe(3);
    expect(r.ops[0]).toEqual({ op: 'device', name: '0000:00:00.0', coherent: false, dmaMask: 64, iommu: false });
  });

  it('synthesises a device read before the unmap of a TO_DEVICE mapping and times ops from the first event', async () => {
    const text = [
      P('100.000000', 'dma_map_page', 'dev0 dir=TO_DEVICE dma_addr=40001000 size=8192 phys_addr=40001000 attrs=SKIP_CPU_SYNC|WEAK_ORDERING'),
      P('100.000250', 'dma_unmap_page', 'dev0 dir=TO_DEVICE dma_addr=40001000 size=8192 attrs=SKIP_CPU_SYNC|WEAK_ORDERING'),
    ].join('\n');
    const r = await importFtraceText(text);
    expect(r.ops.slice(2, 6)).toEqual([
      { op: 'map_page', t: 0, dev: 'dev0', buf: 'pa_40001000', offset: 0, size: 8192, dir: 'TO_DEVICE', attrs: ['WEAK_ORDERING', 'SKIP_CPU_SYNC'], handle: 'd_40001000' },
      { op: 'mapping_error', dev: 'dev0', handle: 'd_40001000' },
      { op: 'dev_read', dev: 'dev0', handle: 'd_40001000', offset: 0, len: 8192 },
      { op: 'unmap_page', t: 250000, dev: 'dev0', handle: 'd_40001000', size: 8192, dir: 'TO_DEVICE', attrs: ['WEAK_ORDERING', 'SKIP_CPU_SYNC'] },
    ]);
    expect(r.ops[1]).toEqual({ op: 'alloc_pages', buf: 'pa_40001000', size: 8192 });
  });

  it('BIDIRECTIONAL mappings get a device write after map and a device read before unmap; syncs move ownership', async () => {
    const text = [
      P('1.000000', 'dma_map_page', 'd dir=BIDIRECTIONAL dma_addr=1000 size=256 phys_addr=2000 attrs='),
      P('1.000001', 'dma_sync_single_for_cpu', 'd dir=BIDIRECTIONAL dma_addr=1040 size=64'),
      P('1.000002', 'dma_sync_single_for_device', 'd dir=BIDIRECTIONAL dma_addr=1040 size=64'),
      P('1.000003', 'dma_unmap_page', 'd dir=BIDIRECTIONAL dma_addr=1000 size=256 attrs='),
    ].join('\n');
    const r = await importFtraceText(text, 'x', { assumeMappingErrorChecked: false });
    expect(r.ops.slice(2, -1).map((o) => [o.op, 'offset' in o ? o.offset : undefined, 'len' in o ? o.len : 'size' in o ? o.size : undefined])).toEqual([
      ['map_page', 0, 256], ['dev_write', 0, 256], ['dev_read', 64, 64], ['sync_single_for_cpu', 64, 64],
      ['sync_single_for_device', 64, 64], ['dev_write', 64, 64], ['dev_read', 0, 256], ['unmap_page', undefined, 256],
    ]);
  });

  it('merges overlapping physical ranges into page-aligned buffers', async () => {
    const text = [
      P('1.0', 'dma_map_page', 'd dir=FROM_DEVICE dma_addr=10000 size=200 phys_addr=50000f80 attrs='),
      P('1.1', 'dma_map_page', 'd dir=FROM_DEVICE dma_addr=20000 size=64 phys_addr=50001000 attrs='),
      P('1.2', 'dma_map_page', 'd dir=FROM_DEVICE dma_addr=30000 size=64 phys_addr=50003000 attrs='),
    ].join('\n');
    const r = await importFtraceText(text);
    expect(opsOf(r.ops, 'alloc_pages')).toEqual([
      { op: 'alloc_pages', buf: 'pa_50000000', size: 8192 },
      { op: 'alloc_pages', buf: 'pa_50003000', size: 4096 },
    ]);
    expect(opsOf(r.ops, 'map_page').map((o) => o.op === 'map_page' && [o.buf, o.offset])).toEqual([['pa_50000000', 0xf80], ['pa_50000000', 0x1000], ['pa_50003000', 0]]);
  });

  it('keeps an unmatched unmap as it is (the replayer reports unmap-unknown)', async () => {
    const r = await importFtraceText(P('5.0', 'dma_unmap_phys', 'd dir=TO_DEVICE dma_addr=deadb000 size=64 attrs='));
    expect(r.ops).toEqual([
      { op: 'device', name: 'd', coherent: false, dmaMask: 32, iommu: false },
      { op: 'unmap_page', t: 0, dev: 'd', handle: 'd_deadb000', size: 64, dir: 'TO_DEVICE', attrs: [] },
    ]);
  });

  it('imports 6.12 map_sg with arrays and several attrs, and its unmap by physical address', async () => {
    const text = [
      P('2.0', 'dma_map_sg', 'mmc dir=TO_DEVICE dma_addrs={0x9000000,0x9002000} sizes={0x2000,0x800} phys_addrs={0x8c300000,0x8c302000} attrs=SKIP_CPU_SYNC|CACHELINES_OVERLAP'),
      P('2.1', 'dma_sync_sg_for_cpu', 'mmc dir=TO_DEVICE dma_addrs={0x9000000,0x9002000} sizes={0x2000,0x800}'),
      P('2.2', 'dma_unmap_sg', 'mmc dir=TO_DEVICE phys_addrs={0x8c300000,0x8c302000} attrs='),
    ].join('\n');
    const r = await importFtraceText(text);
    // Adjacent but not overlapping pages stay separate buffers.
    expect(opsOf(r.ops, 'alloc_pages').map((o) => o.op === 'alloc_pages' && o.buf)).toEqual(['pa_8c300000', 'pa_8c302000']);
    const ops = r.ops.filter((o) => !['device', 'alloc_pages', 'free_pages'].includes(o.op));
    expect(ops[0]).toEqual({ op: 'map_sg', t: 0, dev: 'mmc', sg: [{ buf: 'pa_8c300000', offset: 0, len: 0x2000 }, { buf: 'pa_8c302000', offset: 0, len: 0x800 }], dir: 'TO_DEVICE', attrs: ['SKIP_CPU_SYNC', 'DEBUGGING_IGNORE_CACHELINES'], handle: 'sg_9000000' });
    expect(ops.slice(1).map((o) => o.op)).toEqual(['dev_read', 'sync_sg_for_cpu', 'unmap_sg']);
    expect(ops[3]).toEqual({ op: 'unmap_sg', t: 200000000, dev: 'mmc', handle: 'sg_9000000', nents: 2, dir: 'TO_DEVICE', attrs: [] });
  });

  it('imports the 2026 map_sg with nents/ents counts and [TRUNCATED]', async () => {
    const text = [
      P('3.0', 'dma_map_sg', 'gpu dir=FROM_DEVICE nents=2/300 ents=2/300 [TRUNCATED] dma_addrs={0x1000,0x2000} sizes={0x1000,0x1000} phys_addrs={0x70000000,0x70005000} attrs='),
      P('3.5', 'dma_unmap_sg', 'gpu dir=FROM_DEVICE phys_addrs={0x70000000,0x70005000} attrs='),
    ].join('\n');
    const r = await importFtraceText(text);
    const map = r.ops.find((o) => o.op === 'map_sg');
    expect(map).toMatchObject({ handle: 'sg_1000', comment: 'ftrace printed 2 of 300 entries' });
    expect(r.stats.truncatedSg).toBe(1);
    expect(r.ops.find((o) => o.op === 'unmap_sg')).toMatchObject({ handle: 'sg_1000', nents: 2 });
  });

  it('imports 6.12 and 6.13 dma_alloc/dma_free as coherent allocations', async () => {
    const text = [
      P('1.0', 'dma_alloc', 'snd dma_addr=7f000000 size=65536 phys_addr=7f000000 flags=GFP_KERNEL attrs='),
      P('1.1', 'dma_alloc', 'snd dir=BIDIRECTIONAL dma_addr=7f100000 size=4096 virt_addr=00000000a1b2c3d4 flags=GFP_KERNEL|__GFP_ZERO attrs=NO_KERNEL_MAPPING|WRITE_COMBINE'),
      P('1.2', 'dma_free', 'snd dma_addr=7f000000 size=65536 phys_addr=7f000000 attrs='),
      P('1.3', 'dma_free', 'snd dir=BIDIRECTIONAL dma_addr=7f100000 size=4096 virt_addr=00000000a1b2c3d4 attrs=NO_KERNEL_MAPPING|WRITE_COMBINE'),
    ].join('\n');
    const r = await importFtraceText(text);
    expect(r.ops.slice(1)).toEqual([
      { op: 'alloc_coherent', t: 0, dev: 'snd', size: 65536, attrs: [], handle: 'c_7f000000', buf: 'coh_7f000000' },
      { op: 'alloc_coherent', t: 100000000, dev: 'snd', size: 4096, attrs: ['WRITE_COMBINE', 'NO_KERNEL_MAPPING'], handle: 'c_7f100000' },
      { op: 'free_coherent', t: 200000000, dev: 'snd', handle: 'c_7f000000', size: 65536, attrs: [] },
      { op: 'free_coherent', t: 300000000, dev: 'snd', handle: 'c_7f100000', size: 4096, attrs: ['WRITE_COMBINE', 'NO_KERNEL_MAPPING'] },
    ]);
  });

  it('imports map_resource/unmap_resource, dma_alloc_pages and dma_alloc_sgt', async () => {
    const text = [
      P('1.0', 'dma_map_resource', 'pl330 dir=BIDIRECTIONAL dma_addr=13860000 size=256 phys_addr=13860000 attrs='),
      P('1.1', 'dma_unmap_resource', 'pl330 dir=BIDIRECTIONAL dma_addr=13860000 size=256 attrs='),
      P('1.2', 'dma_alloc_pages', 'pl330 dir=FROM_DEVICE dma_addr=60000000 size=6000 virt_addr=000000001234abcd flags=GFP_KERNEL attrs='),
      P('1.3', 'dma_free_pages', 'pl330 dir=FROM_DEVICE dma_addr=60000000 size=6000 virt_addr=000000001234abcd attrs='),
      P('1.4', 'dma_alloc_sgt', 'pl330 dir=TO_DEVICE dma_addr=ff000000 size=8192 phys_addrs={0x41000000,0x42000000} flags=GFP_KERNEL attrs='),
      P('1.5', 'dma_free_sgt', 'pl330 dir=TO_DEVICE dma_addr=ff000000 size=8192 phys_addrs={0x41000000,0x42000000}'),
    ].join('\n');
    const r = await importFtraceText(text, 'x', { assumeMappingErrorChecked: false });
    const names = r.ops.map((o) => o.op);
    expect(names).toEqual(['device', 'alloc_pages', 'alloc_pages', 'map_resource', 'unmap_resource', 'alloc_pages', 'map_page', 'dev_write', 'unmap_page', 'free_pages', 'map_sg', 'dev_read', 'unmap_sg', 'free_pages', 'free_pages']);
    expect(r.ops[3]).toEqual({ op: 'map_resource', t: 0, dev: 'pl330', addr: 0x13860000, size: 256, dir: 'BIDIRECTIONAL', attrs: [], handle: 'r_13860000' });
    expect(r.ops[5]).toEqual({ op: 'alloc_pages', t: 200000000, buf: 'np_60000000', size: 8192 });
    expect(r.ops[10]).toMatchObject({ op: 'map_sg', handle: 'sg_ff000000', sg: [{ buf: 'pa_41000000', offset: 0, len: 4096 }, { buf: 'pa_42000000', offset: 0, len: 4096 }] });
    expect(r.ops[12]).toMatchObject({ op: 'unmap_sg', handle: 'sg_ff000000', nents: 2 });
  });

  it('skips failed maps (DMA_MAPPING_ERROR) and informational error events', async () => {
    const text = [
      P('1.0', 'dma_map_page', 'd dir=TO_DEVICE dma_addr=ffffffffffffffff size=64 phys_addr=1000 attrs='),
      P('1.1', 'dma_map_sg_err', 'd dir=TO_DEVICE dma_addrs={0x1000} err=-12 attrs='),
    ].join('\n');
    const r = await importFtraceText(text);
    expect(r.stats.failedMaps).toBe(1);
    expect(r.stats.skipped).toBe(1);
    expect(r.ops.map((o) => o.op)).toEqual(['device']);
  });

  it('applies a device map', async () => {
    const devices = parseDeviceMap({ '10000000.mmc': { coherent: true, dmaMask: 40, iommu: true, driver: 'dw_mmc' } });
    const r = await importFtraceText(MAP_PHYS, 'x', { devices });
    expect(r.ops[0]).toEqual({ op: 'device', name: '10000000.mmc', coherent: true, dmaMask: 40, iommu: true, driver: 'dw_mmc' });
    expect(() => parseDeviceMap({ d: { coherent: 'yes' } })).toThrow(/"d.coherent" must be true or false/);
  });

  it('names the line of a malformed known event', async () => {
    const text = `# tracer: nop\n${P('1.0', 'dma_map_page', 'd dir=TO_DEVICE dma_addr=1000 size=64 attrs=')}\n`;
    await expect(importFtraceText(text, 'bad.txt')).rejects.toThrow('bad.txt:2: dma_map_page: missing "phys_addr=" (expected "%s dir=%s dma_addr=%llx size=%zu phys_addr=%llx attrs=%s")');
    await expect(importFtraceText(P('1.0', 'dma_sync_single_for_cpu', 'd dir=SIDEWAYS dma_addr=1000 size=4'), 'b.txt')).rejects.toThrow(/^b\.txt:1: dma_sync_single_for_cpu: "dir" must be TO_DEVICE/);
    await expect(importFtraceText(P('1.0', 'dma_map_page', 'd dir=TO_DEVICE dma_addr=1000 size=1125899906842624 phys_addr=0 attrs='), 'h.txt')).rejects.toThrow(/h\.txt:1: dma_map_page: "size" 1125899906842624 exceeds/);
  });

  it('produces valid ops, and ftrace → JSONL is stable across runs and re-parsing', async () => {
    const text = [MAP_PHYS, SWIOTLB_REAL, P('12.400000', 'dma_unmap_phys', '10000000.mmc dir=FROM_DEVICE dma_addr=8c201000 size=512 attrs=')].join('\n');
    const a = await importFtraceText(text);
    const b = await importFtraceText(text);
    const ja = toJsonl(a.header, a.ops);
    expect(toJsonl(b.header, b.ops)).toBe(ja);
    for (const op of a.ops) expect(parseOp(op, 'x')).toEqual(op);
    const reparsed: TraceOp[] = [];
    for await (const r of readJsonl([ja], 'j')) if (r.kind === 'op') reparsed.push(r.op);
    expect(reparsed).toEqual(a.ops);
  });

  it('errors only with TraceFormatError for lines naming a known event in the wrong shape', async () => {
    await expect(importFtraceText('garbage dma_map_page: foo')).rejects.toBeInstanceOf(TraceFormatError);
  });
});
