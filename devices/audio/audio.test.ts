import { describe, it, expect } from 'vitest';
import { Simulator, ms } from '../../emulator/kernel/index.ts';
import { FlatMemoryPort } from '../common/flat-memory-port.ts';
import { Pl330, Pl330DmaEngine } from '../pl330/index.ts';
import { I2s } from './i2s.ts';
import { PcmStream } from './pcm.ts';
import type { PcmBuffer } from './pcm-buffer.ts';
import { AudioApp } from './audio-app.ts';
import type { AudioAppOptions } from './audio-app.ts';
import { expectedWord } from './sample-pattern.ts';

function flatBuffer(port: FlatMemoryPort, base: number, bytes: number): PcmBuffer {
  return {
    bytes,
    dmaAddr: base,
    needsSync: false,
    cpuWrite: (off, src, so, len) => (port.write(base + off, src, so, len), len / 4),
    cpuRead: (off, dst, d, len) => (port.read(base + off, dst, d, len), len / 4),
    syncForDevice: () => 0,
    syncForCpu: () => 0,
    free: () => {},
  };
}

function rig(direction: 'playback' | 'capture', app: AudioAppOptions = {}) {
  const sim = new Simulator({ seed: 3 });
  const port = new FlatMemoryPort(sim, { size: 1 << 20, widthBytes: 4, latencyPs: 150_000, psPerByte: 500 });
  const ctl = new Pl330(sim, port, { name: 'pdma0', channels: 8, mfifoBytes: 128, maxOutstanding: 4, peripheralAccessPs: 30_000 });
  const eng = new Pl330DmaEngine(ctl, { memcpyBurstLen: 4 });
  const i2s = new I2s(sim, ctl, { name: 'i2s0', sampleRate: 48_000, frameBytes: 4, fifoWords: 64, txPeriph: 12, rxPeriph: 11, txFifoAddr: 0x0383_0010, rxFifoAddr: 0x0383_0014 });
  ctl.attachPeripheral(12, i2s.tx);
  ctl.attachPeripheral(11, i2s.rx);
  const pcm = new PcmStream(sim, eng.requestChannel(), i2s, flatBuffer(port, 0x10000, 4 * 4096), { direction, periodBytes: 4096, periods: 4, burstLen: 1 });
  const a = new AudioApp(sim, pcm, app);
  return { sim, i2s, pcm, app: a };
}

describe('I2S playback over cyclic PL330 DMA', () => {
  it('plays every period intact with one interrupt per period and no xrun', () => {
    const r = rig('playback');
    r.app.start();
    r.sim.run(ms(500));
    expect(r.pcm.periodsElapsed).toBeGreaterThanOrEqual(22);
    expect(r.pcm.periodsElapsed).toBeLessThanOrEqual(24);
    expect(r.pcm.xruns).toBe(0);
    expect(r.i2s.txUnderrunWords).toBe(0);
    expect(r.i2s.txWrongWords).toBe(0);
    expect(r.i2s.txWordsPlayed).toBeGreaterThan(23_000);
  });

  it('underruns when the application is starved for longer than the buffer', () => {
    const r = rig('playback', { stall: { atPs: ms(100), forPs: ms(150) } });
    r.app.start();
    r.sim.run(ms(500));
    expect(r.pcm.xruns).toBeGreaterThan(0);
    expect(r.i2s.txWrongWords).toBeGreaterThan(0);
  });

  it('is deterministic', () => {
    const a = rig('playback');
    a.app.start();
    a.sim.run(ms(200));
    const b = rig('playback');
    b.app.start();
    b.sim.run(ms(200));
    expect([b.pcm.hwPtr, b.pcm.applPtr, b.i2s.txWordsPlayed, b.sim.now]).toEqual([a.pcm.hwPtr, a.pcm.applPtr, a.i2s.txWordsPlayed, a.sim.now]);
  });
});

describe('I2S TX pattern check', () => {
  it('counts exactly the pushed words that differ from the stream pattern, from any start offset', () => {
    for (const startPos of [0, 1020, 4096 * 3 + 8]) {
      const r = rig('playback');
      r.i2s.startTx(startPos);
      const words = 600; // crosses block boundaries (256 words per block)
      const bad = new Set([0, 1, 255, 256, 257, 599].map((i) => (i + startPos / 4) % words));
      const word = new Uint8Array(4);
      const view = new DataView(word.buffer);
      for (let i = 0; i < words; i++) {
        const w = expectedWord(startPos + i * 4);
        view.setUint32(0, bad.has(i) ? (w ^ 1) >>> 0 : w, true);
        r.i2s.tx.push(word, 0, 4);
      }
      expect(r.i2s.txWrongWords).toBe(bad.size);
      expect(r.i2s.txWordsPlayed).toBe(words);
    }
  });
});

describe('I2S capture', () => {
  it('captures every period intact', () => {
    const r = rig('capture');
    r.app.start();
    r.sim.run(ms(300));
    expect(r.app.bytesRead).toBeGreaterThanOrEqual(12 * 4096);
    expect(r.app.badCaptureBlocks).toBe(0);
    expect(r.i2s.rxOverrunWords).toBe(0);
    expect(r.pcm.xruns).toBe(0);
  });
});
