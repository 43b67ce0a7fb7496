import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Simulator } from '../../emulator/kernel/index.ts';
import { DmaDirection, dma_map_single, dma_unmap_single } from '../../dma/index.ts';
import { createDmaMachine } from '../../dma/machine.ts';
import { FlatMemoryPort } from '../common/flat-memory-port.ts';
import { Pl330, Pl330DmaEngine } from '../pl330/index.ts';
import { SocDmaPort } from './soc-port.ts';

function mdmaOnSoc(strategy: string) {
  const m = createDmaMachine('exynos4412', { seed: 2, strategy, checker: false });
  const dev = m.addDevice({ name: '12850000.mdma', driver: 'dma-pl330' });
  const port = new SocDmaPort(m.soc, dev, { name: 'mdma1', widthBytes: 8, maxBurstBeats: 16, maxOutstanding: 8 }, dev.ops.name.startsWith('iommu') ? m.iommuOf(dev) : null);
  const ctl = new Pl330(m.soc.sim, port, { name: 'mdma1', channels: 8, mfifoBytes: 64 * 8, maxOutstanding: 8, peripheralAccessPs: 40_000 });
  const chan = new Pl330DmaEngine(ctl, { memcpyBurstLen: 8 }).requestChannel();
  return { m, dev, chan };
}

describe('PL330 memcpy on the SoC through the DMA API', () => {
  for (const strategy of ['direct', 'swiotlb', 'iommu-strict']) {
    it(`copies what the CPU wrote when the driver maps both buffers (${strategy})`, () => {
      const { m, dev, chan } = mdmaOnSoc(strategy);
      const mem = m.soc.memory;
      const src = m.sys.memory.allocPages(8192);
      const dst = m.sys.memory.allocPages(8192);
      const data = new Uint8Array(5000).map((_, i) => (i * 13 + 5) & 0xff);
      mem.cpuWrite(0, src, data, 0, data.length); // stays dirty in the CPU caches
      const s = dma_map_single(dev, src, 5000, DmaDirection.TO_DEVICE);
      const d = dma_map_single(dev, dst, 5000, DmaDirection.FROM_DEVICE);
      let done = false;
      const desc = chan.prepMemcpy(d, s, 5000);
      desc.callback = () => (done = true);
      chan.submit(desc);
      chan.issuePending();
      m.soc.sim.run();
      expect(done).toBe(true);
      dma_unmap_single(dev, s, 5000, DmaDirection.TO_DEVICE);
      dma_unmap_single(dev, d, 5000, DmaDirection.FROM_DEVICE);
      const out = new Uint8Array(5000);
      mem.cpuRead(0, dst, out, 0, 5000);
      expect(Buffer.compare(out, data)).toBe(0);
    });
  }

  it('copies stale DRAM when the source is never cleaned (no map: a streaming buffer used as if coherent)', () => {
    const { m, dev, chan } = mdmaOnSoc('direct');
    const mem = m.soc.memory;
    const src = m.sys.memory.allocPages(4096);
    const dst = m.sys.memory.allocPages(4096);
    mem.cpuWrite(0, src, new Uint8Array(256).fill(0xab), 0, 256);
    const d = dma_map_single(dev, dst, 256, DmaDirection.FROM_DEVICE);
    chan.submit(chan.prepMemcpy(d, src, 256));
    chan.issuePending();
    m.soc.sim.run();
    dma_unmap_single(dev, d, 256, DmaDirection.FROM_DEVICE);
    const out = new Uint8Array(256);
    mem.cpuRead(0, dst, out, 0, 256);
    expect(out[0]).not.toBe(0xab);
  });
});

describe('PL330 memcpy property', () => {
  it('copies exactly [src, src+len) to dst for any length and alignment', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 63 }), (len, so, doff) => {
        const sim = new Simulator({ seed: 1 });
        const port = new FlatMemoryPort(sim, { size: 1 << 16, widthBytes: 8, latencyPs: 30_000, psPerByte: 100 });
        for (let i = 0; i < 8192; i++) port.mem[i] = (i * 31) & 0xff;
        const ctl = new Pl330(sim, port, { name: 'mdma', channels: 1, mfifoBytes: 512, maxOutstanding: 8, peripheralAccessPs: 1 });
        const ch = new Pl330DmaEngine(ctl, { memcpyBurstLen: 8 }).requestChannel();
        const dst = 0x8000 + doff;
        ch.submit(ch.prepMemcpy(dst, so, len));
        ch.issuePending();
        sim.run();
        return (
          Buffer.compare(port.mem.subarray(dst, dst + len), port.mem.subarray(so, so + len)) === 0 &&
          port.mem[dst - 1] === 0 &&
          port.mem[dst + len] === 0
        );
      }),
      { numRuns: 60 },
    );
  });
});

describe('SocDmaPort.writeFrom', () => {
  /** Byte k of the source is a hash of k. */
  const source = {
    byte: (k: number) => Math.imul(k + 11, 0x9e3779b1) >>> 24,
    bytesAt(off: number, dst: Uint8Array, dstOff: number, n: number): void {
      for (let k = 0; k < n; k++) dst[dstOff + k] = this.byte(off + k);
    },
    wordsAt: () => false,
  };

  for (const strategy of ['direct', 'iommu-strict', 'acp']) {
    it(`puts the source's bytes where write would put them, page by page through an IOMMU (${strategy})`, () => {
      const { m, dev } = mdmaOnSoc(strategy);
      const port = new SocDmaPort(m.soc, dev, { name: 'cam', widthBytes: 8, maxBurstBeats: 16, maxOutstanding: 8 }, dev.ops.name.startsWith('iommu') ? m.iommuOf(dev) : null);
      const len = 3 * 4096 + 700;
      const buf = m.sys.memory.allocPages(4 * 4096 + 4096);
      const a = dma_map_single(dev, buf + 100, len, DmaDirection.FROM_DEVICE);
      port.writeFrom(a, len, source);
      dma_unmap_single(dev, a, len, DmaDirection.FROM_DEVICE);
      const got = new Uint8Array(len);
      m.soc.memory.cpuRead(0, buf + 100, got, 0, len);
      const want = new Uint8Array(len);
      source.bytesAt(0, want, 0, len);
      expect(Buffer.compare(got, want)).toBe(0);
      expect(port.faultedBytes).toBe(0);
    });
  }
});
