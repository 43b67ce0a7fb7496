import { describe, it, expect } from 'vitest';
import { Simulator, PS_PER_MS } from '../../emulator/kernel/index.ts';
import { FlatMemoryPort } from '../common/flat-memory-port.ts';
import { frameLayout } from './formats.ts';
import fc from 'fast-check';
import { LinePattern, countBadLines, fillByte, writeLines } from './pattern.ts';
import { Vb2Queue } from './vb2-queue.ts';
import type { Vb2Buffer, Vb2Driver, Vb2MemOps, Vb2Plane } from './vb2-queue.ts';
import { Fimc } from './fimc.ts';
import { FimcCapture } from './fimc-capture.ts';
import { FrameConsumer } from './frame-consumer.ts';
import type { DmaBusPort, TransferSink } from '../common/bus-port.ts';

describe('frame formats', () => {
  it('computes 1920×1080 NV12 as 3,110,400 bytes with CbCr at Y + w·h', () => {
    const l = frameLayout('NV12', 1920, 1080);
    expect(l.frameBytes).toBe(3_110_400);
    expect(l.regions[1]).toEqual({ plane: 0, offset: 1920 * 1080, stride: 1920, lines: 540 });
    expect(frameLayout('NV12M', 1920, 1080).planes.map((p) => p.size)).toEqual([2_073_600, 1_036_800]);
    expect(frameLayout('YUYV', 640, 480).frameBytes).toBe(614_400);
  });
  it('accepts 4224×4224 and rejects larger or odd 4:2:0 sizes with a clear error', () => {
    expect(frameLayout('NV12', 4224, 4224).frameBytes).toBe(4224 * 4224 * 1.5);
    expect(() => frameLayout('NV12', 4226, 1080)).toThrow(/4226×1080 exceeds the Exynos4x12 FIMC limit of 4224×4224/);
    expect(() => frameLayout('NV12', 641, 480)).toThrow(/even width and height/);
  });
});

describe('frame pattern', () => {
  it('detects a line of another frame and a line of the right frame', () => {
    const buf = new Uint8Array(8 * 64);
    const ref = new Uint8Array(8 * 64);
    writeLines(buf, 0, 64, 8, 5, 100);
    expect(countBadLines(buf, 0, ref, 64, 8, 5, 100)).toBe(0);
    writeLines(buf, 3 * 64, 64, 1, 1, 103); // stale line from frame 1
    expect(countBadLines(buf, 0, ref, 64, 8, 5, 100)).toBe(1);
    expect(countBadLines(buf, 0, ref, 64, 8, 9, 100)).toBe(8);
  });

  it('gives any piece of a group of lines as LinePattern, in bytes or words, as the pattern defines them', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 5000 }), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 16 }), (stride, count, frame, firstLine, a, b, nWords) => {
        // The pattern as it is defined, line by line: the fill byte, then the header over it.
        const ref = new Uint8Array(stride * count);
        for (let i = 0; i < count; i++) {
          const line = firstLine + i;
          ref.fill(fillByte(frame, line), i * stride, (i + 1) * stride);
          if (stride >= 8) ref.set([0xf5, 0, line & 0xff, (line >>> 8) & 0xff, frame & 0xff, (frame >>> 8) & 0xff, (frame >>> 16) & 0xff, frame >>> 24], i * stride);
        }
        const whole = new Uint8Array(stride * count);
        writeLines(whole, 0, stride, count, frame, firstLine);
        expect(Buffer.from(whole).equals(Buffer.from(ref))).toBe(true);
        const pattern = new LinePattern(stride, frame, firstLine);
        const from = a % ref.length;
        const n = b % (ref.length - from + 1);
        const piece = new Uint8Array(n + 2).fill(0xee);
        pattern.bytesAt(from, piece, 1, n);
        expect(Buffer.from(piece.subarray(1, n + 1)).equals(Buffer.from(ref.subarray(from, from + n)))).toBe(true);
        expect([piece[0], piece[n + 1]]).toEqual([0xee, 0xee]);
        // Words, where it serves them, are the same bytes.
        const w0 = from - (from % 4);
        const words = new Int32Array(nWords + 2);
        if (w0 + 4 * nWords <= ref.length && pattern.wordsAt(w0, words, 1, nWords)) {
          expect(Buffer.from(words.buffer, 4, 4 * nWords).equals(Buffer.from(ref.subarray(w0, w0 + 4 * nWords)))).toBe(true);
          expect([words[0], words[nWords + 1]]).toEqual([0, 0]);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('serves a cache line of a 1920-byte line as words, header line or not', () => {
    const pattern = new LinePattern(1920, 7, 1000);
    const words = new Int32Array(8);
    for (const off of [0, 32, 1920, 1920 + 1888, 5 * 1920 + 64]) expect(pattern.wordsAt(off, words, 0, 8)).toBe(true);
    expect(pattern.wordsAt(4, words, 0, 8)).toBe(false); // half a header
    expect(pattern.wordsAt(1900, words, 0, 8)).toBe(false); // across two lines
  });
});

function fakeMemops(log: string[]): Vb2MemOps {
  let next = 0x10000;
  const plane = (dmaAddr: number, size: number): Vb2Plane => ({ dmaAddr, size, cpuPhys: dmaAddr, cpuMemType: 'normal-wb', priv: null });
  return {
    name: 'fake',
    alloc: (size) => (log.push(`alloc ${size}`), plane((next += 0x100000), size)),
    put: (p) => void log.push(`put ${p.dmaAddr.toString(16)}`),
    getUserptr: (pa, size) => (log.push(`get ${pa.toString(16)}`), plane(pa, size)),
    putUserptr: (p) => void log.push(`putu ${p.dmaAddr.toString(16)}`),
    prepare: (p) => void log.push(`prepare ${p.dmaAddr.toString(16)}`),
    finish: (p) => void log.push(`finish ${p.dmaAddr.toString(16)}`),
  };
}

describe('vb2 queue', () => {
  function setup(opts = {}) {
    const log: string[] = [];
    const queued: Vb2Buffer[] = [];
    const drv: Vb2Driver = {
      planeSizes: () => [1000],
      bufQueue: (b) => void queued.push(b),
      startStreaming: () => void log.push('start'),
      stopStreaming: () => {
        log.push('stop');
        for (const b of queued.splice(0)) q.bufferDone(b, 'error', -1);
      },
    };
    const q = new Vb2Queue('video0', drv, fakeMemops(log), opts);
    return { q, log, queued };
  }

  it('runs REQBUFS → QBUF (prepare) → STREAMON → done (finish) → DQBUF in order', () => {
    const { q, log, queued } = setup();
    expect(q.reqbufs(2, 'MMAP')).toBe(2);
    q.qbuf(0);
    q.qbuf(1);
    expect(queued).toEqual([]);
    q.streamon();
    expect(queued.map((b) => b.index)).toEqual([0, 1]);
    expect(q.dqbuf()).toBeNull();
    q.bufferDone(queued.shift()!, 'done', 7);
    const b = q.dqbuf()!;
    expect([b.index, b.sequence, b.state]).toEqual([0, 7, 'dequeued']);
    expect(log).toEqual(['alloc 1000', 'alloc 1000', 'prepare 110000', 'prepare 210000', 'start', 'finish 110000']);
    expect(() => q.qbuf(1)).toThrow(/state active/);
    expect(() => q.reqbufs(0, 'MMAP')).toThrow(/EBUSY/);
    q.streamoff();
    expect(q.buffers.every((x) => x.state === 'dequeued')).toBe(true);
  });

  it('pins USERPTR memory once per pointer and skips finish in the bug variant', () => {
    const { q, log, queued } = setup({ skipFinish: true });
    q.reqbufs(1, 'USERPTR');
    expect(() => q.qbuf(0)).toThrow(/needs 1 plane pointer/);
    q.qbuf(0, [0x400000]);
    q.streamon();
    q.bufferDone(queued.shift()!, 'done', 0);
    q.dqbuf();
    q.qbuf(0, [0x400000]);
    expect(log).toEqual(['get 400000', 'prepare 400000', 'start', 'prepare 400000']);
  });
});

describe('FIMC capture with a consumer', () => {
  function rig(requeue: boolean, buffers = 4, format: 'NV12' | 'NV12M' | 'YUYV' = 'NV12') {
    const sim = new Simulator({ seed: 1 });
    const port = new FlatMemoryPort(sim, { size: 8 << 20, widthBytes: 8, latencyPs: 100_000, psPerByte: 200 });
    const fimc = new Fimc(sim, port, { name: 'fimc0', format, width: 64, height: 48, fps: 30, linesPerGroup: 16 });
    let next = 0;
    const memops: Vb2MemOps = {
      name: 'flat',
      alloc: (size) => ({ dmaAddr: (next += 0x10000), size, cpuPhys: next, cpuMemType: 'normal-wb', priv: null }),
      prepare: () => {},
      finish: () => {},
    };
    const cap = new FimcCapture(fimc, memops);
    const cons = new FrameConsumer(sim, cap, (pa, dst, off, len) => (port.read(pa, dst, off, len), len), { verify: 'full', requeue, charge: () => sim.now });
    cap.queue.reqbufs(buffers, 'MMAP');
    for (let i = 0; i < buffers; i++) cap.queue.qbuf(i);
    cap.queue.streamon();
    return { sim, fimc, cap, cons, port };
  }

  it('captures every frame intact with one interrupt per frame, rotating four slots', () => {
    const { sim, fimc, cap, cons } = rig(true);
    sim.run(510 * PS_PER_MS);
    // 16 frames started in 510 ms at 30 fps; the 16th is still being written.
    expect(fimc.framesProduced).toBe(16);
    expect(cap.interrupts).toBe(15);
    expect(cons.frames).toBe(15);
    expect(cons.framesCorrupt).toBe(0);
    expect(fimc.framesDropped).toBe(0);
  });

  for (const format of ['NV12M', 'YUYV'] as const) {
    it(`captures ${format} frames intact`, () => {
      const { sim, cons, cap } = rig(true, 4, format);
      sim.run(300 * PS_PER_MS);
      expect(cap.queue.buffers[0]!.planes.length).toBe(format === 'NV12M' ? 2 : 1);
      expect(cons.frames).toBe(9);
      expect(cons.framesCorrupt).toBe(0);
    });
  }

  it('drops frames when buffers are not requeued', () => {
    const { sim, fimc, cons } = rig(false);
    sim.run(510 * PS_PER_MS);
    expect(cons.frames).toBe(4);
    expect(fimc.framesDropped).toBe(12);
  });

  it('counts corruption when the memory under a buffer is overwritten before the CPU reads it', () => {
    const { sim, cons, port, cap } = rig(true);
    cap.onFrameDone(() => port.mem.fill(0, 0x10000, 0x10000 + 64 * 4)); // scribble over buffer 0's first lines
    sim.run(200 * PS_PER_MS);
    expect(cons.framesCorrupt).toBeGreaterThan(0);
  });
});

describe('FIMC output FIFO', () => {
  it('writes each staged group with the pattern of the frame it was captured in, even when it lands after the next frame began', () => {
    const sim = new Simulator({ seed: 1 });
    const mem = new FlatMemoryPort(sim, { size: 1 << 20 });
    // A bus that completes nothing until told: every group of two frames waits in the FIFO.
    const held: [TransferSink, number][] = [];
    const port: DmaBusPort = {
      name: 'held',
      widthBytes: 8,
      transfer: (_addr, _len, _w, sink, tag) => void held.push([sink, tag]),
      read: (a, d, o, l) => mem.read(a, d, o, l),
      write: (a, s, o, l) => mem.write(a, s, o, l),
      writeFrom: (a, l, src) => mem.writeFrom(a, l, src),
    };
    const fimc = new Fimc(sim, port, { name: 'fimc0', format: 'NV12', width: 64, height: 48, fps: 30, linesPerGroup: 16 });
    const frameBytes = fimc.layout.frameBytes;
    fimc.setSlot(0, [0x1000]);
    fimc.setSlot(1, [0x1000 + frameBytes]);
    fimc.start();
    sim.run(70 * PS_PER_MS); // frames 0 and 1 captured (frame 2 has no slot), nothing written yet
    expect(held.length).toBe(12); // 3 groups × 2 regions per frame
    expect(mem.mem.subarray(0x1000, 0x1000 + 2 * frameBytes).every((b) => b === 0)).toBe(true);
    for (const [sink, tag] of held) sink.onTransferDone(tag);
    const ref = new Uint8Array(frameBytes);
    for (let frame = 0; frame < 2; frame++) {
      const base = 0x1000 + frame * frameBytes;
      // NV12: 48 luma lines then 24 chroma lines, numbered on from the luma ones.
      expect(countBadLines(mem.mem, base, ref, 64, 72, frame, 0)).toBe(0);
    }
    expect(fimc.framesCaptured).toBe(2);
  });
});
