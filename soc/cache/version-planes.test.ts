import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { createSoc } from '../soc.ts';
import { arm64_64b, exynos4210 } from '../presets/index.ts';
import type { Preset } from '../presets/index.ts';
import type { DataObserver } from './data-observer.ts';
import type { MemType } from './memory-attributes.ts';
import type { CoherencyMode } from './memory-system.ts';
import { NOT_UNIFORM, VersionPlanes } from './version-planes.ts';
import type { UniformReadObserver } from './data-observer.ts';

const KiB = 1024;
/** The address window the random programs work in: 4 version pages, many times the shrunk caches. */
const SPAN = 16 * KiB;

/** Records every observer call with the versions it is shown, and stamps increasing versions. */
class RecordingObserver implements DataObserver {
  readonly log: string[] = [];
  private next = 1;
  private show(tag: string, v: Uint32Array, off: number, len: number): void {
    this.log.push(`${tag}:${Array.from(v.subarray(off, off + len)).join(',')}`);
  }
  cpuWriteVersion(core: number, pa: number, len: number): number {
    this.log.push(`cw${core}/${pa}/${len}`);
    return this.next++;
  }
  cpuCopied(core: number, pa: number, len: number, v: Uint32Array, off: number): void {
    this.show(`cc${core}/${pa}/${len}`, v, off, len);
  }
  deviceWriteVersion(master: string, pa: number, len: number): number {
    this.log.push(`dw${master}/${pa}/${len}`);
    return this.next++;
  }
  cpuRead(core: number, pa: number, len: number, v: Uint32Array, off: number): void {
    this.show(`cr${core}/${pa}/${len}`, v, off, len);
  }
  deviceRead(master: string, pa: number, len: number, v: Uint32Array, off: number): void {
    this.show(`dr${master}/${pa}/${len}`, v, off, len);
  }
  writeBack(la: number, len: number, inc: Uint32Array, inOff: number, ow: Uint32Array, owOff: number, level: string): void {
    this.show(`wb${level}/${la}`, inc, inOff, len);
    this.show('below', ow, owOff, len);
  }
  discardDirty(la: number, len: number, d: Uint32Array, dOff: number, m: Uint32Array, mOff: number, level: string, lo: number, hi: number): void {
    this.show(`dd${level}/${la}/${lo}/${hi}`, d, dOff, len);
    this.show('memory', m, mOff, len);
  }
}

/**
 * Also accepts reads of one version as a number, logged exactly as the per-byte call would be (so its log
 * must equal a plain observer's), and counts them (so a test can tell the fast path ran).
 */
class UniformRecordingObserver extends RecordingObserver implements UniformReadObserver {
  uniformReads = 0;
  cpuReadUniform(core: number, pa: number, len: number, version: number): void {
    this.uniformReads++;
    this.cpuRead(core, pa, len, new Uint32Array(len).fill(version), 0);
  }
  deviceReadUniform(master: string, pa: number, len: number, version: number): void {
    this.uniformReads++;
    this.deviceRead(master, pa, len, new Uint32Array(len).fill(version), 0);
  }
  cpuCopiedUniform(core: number, pa: number, len: number, version: number): void {
    this.uniformReads++;
    this.cpuCopied(core, pa, len, new Uint32Array(len).fill(version), 0);
  }
  writeBackUniform(la: number, len: number, incoming: number, overwritten: number, level: string): void {
    this.uniformReads++;
    this.writeBack(la, len, new Uint32Array(len).fill(incoming), 0, new Uint32Array(len).fill(overwritten), 0, level);
  }
}

/** A preset with tiny caches, so short random programs evict, write back and refill all the time. */
function tiny(p: Preset): Preset {
  return {
    ...p,
    l1d: { ...p.l1d, sizeBytes: 1 * KiB, ways: 2 },
    l2: { ...p.l2, sizeBytes: 4 * KiB, ways: 4, wayOpThresholdBytes: 4 * KiB },
  };
}

type Op =
  | { k: 'read' | 'write'; core: number; off: number; len: number; type: MemType }
  | { k: 'fill'; core: number; off: number; len: number; byte: number }
  | { k: 'copy'; core: number; off: number; src: number; len: number }
  | { k: 'checksum'; core: number; off: number; len: number }
  | { k: 'devRead' | 'devWrite'; mode: CoherencyMode; off: number; len: number }
  | { k: 'l1'; op: 'inv' | 'clean' | 'flush'; core: number; off: number; len: number }
  | { k: 'dma'; toDev: boolean; dir: 'TO_DEVICE' | 'FROM_DEVICE' | 'BIDIRECTIONAL'; core: number; off: number; len: number }
  | { k: 'outer'; op: 'inv' | 'clean' | 'flush'; off: number; len: number }
  | { k: 'all'; op: 'l1Flush' | 'l1Inv' | 'l1Clean' | 'outerFlush' | 'outerClean' | 'index'; core: number; set: number; way: number }
  | { k: 'evict' | 'prefetch'; core: number; off: number; len: number }
  | { k: 'wmb'; core: number };

const core = fc.integer({ min: 0, max: 3 });
const off = fc.integer({ min: 0, max: SPAN - 1 });
/** Lengths from a byte to several lines, biased to whole lines (the uniform fast paths). */
const len = fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 12 }).map((n) => n * 64));
const lineOff = fc.integer({ min: 0, max: SPAN / 32 - 1 }).map((n) => n * 32);
const memType = fc.constantFrom<MemType>('normal-wb', 'normal-wb', 'normal-wb', 'normal-nc', 'write-combine', 'device');
const mode = fc.constantFrom<CoherencyMode>('none', 'acp', 'ace-lite');
const range = fc.constantFrom<'inv' | 'clean' | 'flush'>('inv', 'clean', 'flush');

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ k: fc.constantFrom<'read' | 'write'>('read', 'write'), core, off: fc.oneof(off, lineOff), len, type: memType }), weight: 6 },
  fc.record({ k: fc.constant<'fill'>('fill'), core, off: fc.oneof(off, lineOff), len, byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ k: fc.constant<'copy'>('copy'), core, off: fc.oneof(off, lineOff), src: fc.oneof(off, lineOff), len }),
  fc.record({ k: fc.constant<'checksum'>('checksum'), core, off, len }),
  { arbitrary: fc.record({ k: fc.constantFrom<'devRead' | 'devWrite'>('devRead', 'devWrite'), mode, off: fc.oneof(off, lineOff), len }), weight: 3 },
  // Whole version pages written by a device: the DRAM plane stays uniform there, refills take the mark.
  {
    arbitrary: fc.record({
      k: fc.constant<'devWrite'>('devWrite'),
      mode: fc.constant<CoherencyMode>('none'),
      off: fc.integer({ min: 0, max: 3 }).map((p) => p * 4 * KiB),
      len: fc.constantFrom(4 * KiB, 8 * KiB),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ k: fc.constant<'l1'>('l1'), op: range, core, off: fc.oneof(off, lineOff), len }), weight: 2 },
  {
    arbitrary: fc.record({
      k: fc.constant<'dma'>('dma'),
      toDev: fc.boolean(),
      dir: fc.constantFrom<'TO_DEVICE' | 'FROM_DEVICE' | 'BIDIRECTIONAL'>('TO_DEVICE', 'FROM_DEVICE', 'BIDIRECTIONAL'),
      core,
      off: fc.oneof(off, lineOff),
      len,
    }),
    weight: 2,
  },
  fc.record({ k: fc.constant<'outer'>('outer'), op: range, off: fc.oneof(off, lineOff), len }),
  fc.record({
    k: fc.constant<'all'>('all'),
    op: fc.constantFrom<'l1Flush' | 'l1Inv' | 'l1Clean' | 'outerFlush' | 'outerClean' | 'index'>('l1Flush', 'l1Inv', 'l1Clean', 'outerFlush', 'outerClean', 'index'),
    core,
    set: fc.integer({ min: 0, max: 31 }),
    way: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({ k: fc.constantFrom<'evict' | 'prefetch'>('evict', 'prefetch'), core, off, len }),
  fc.record({ k: fc.constant<'wmb'>('wmb'), core }),
);

/** Runs the program and returns everything the observer saw, then DRAM's and the caches' final versions. */
function runProgram(preset: Preset, ops: Op[], uniformLines: boolean, observer = new RecordingObserver()): string[] {
  const soc = createSoc(preset, { seed: 3 });
  const ms = soc.memory;
  ms.attachObserver(observer, { uniformLines });
  const base = soc.preset.dram.base + 1024 * KiB;
  const data = new Uint8Array(SPAN * 2);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 0xff;
  const buf = new Uint8Array(SPAN * 2);
  const nc = soc.cores.length;
  const exec = (c: number, cycles: number): void => void soc.cores[c]!.exec(cycles);
  /** Keeps [o, o+n) inside the window. */
  const clip = (o: number, n: number): number => Math.max(1, Math.min(n, SPAN - o));
  // Distinct versions everywhere first (a stale plane element would then differ from the true version).
  for (let o = 0; o < SPAN; o += 4 * KiB) ms.deviceWrite('none', base + o, data, 0, 4 * KiB, 'init');
  for (let o = 0; o < SPAN; o += 1000) ms.deviceWrite('none', base + o, data, 0, 100 + (o % 300), 'init');
  for (const op of ops) {
    switch (op.k) {
      case 'read':
        exec((op.core % nc), ms.cpuRead((op.core % nc), base + op.off, buf, 0, clip(op.off, op.len), op.type));
        break;
      case 'write':
        exec((op.core % nc), ms.cpuWrite((op.core % nc), base + op.off, data, op.off & 31, clip(op.off, op.len), op.type));
        break;
      case 'fill':
        exec((op.core % nc), ms.cpuFill((op.core % nc), base + op.off, clip(op.off, op.len), op.byte));
        break;
      case 'copy':
        exec((op.core % nc), ms.cpuCopy((op.core % nc), base + op.off, base + op.src, Math.min(clip(op.off, op.len), clip(op.src, op.len))));
        break;
      case 'checksum':
        exec((op.core % nc), ms.cpuChecksum((op.core % nc), base + op.off, clip(op.off, op.len)));
        break;
      case 'devRead':
        ms.deviceRead(op.mode, base + op.off, buf, 0, clip(op.off, op.len), 'dma0');
        break;
      case 'devWrite':
        ms.deviceWrite(op.mode, base + op.off, data, 0, clip(op.off, op.len), 'dma1');
        break;
      case 'l1': {
        const n = clip(op.off, op.len);
        const f = op.op === 'inv' ? ms.l1InvRange : op.op === 'clean' ? ms.l1CleanRange : ms.l1FlushRange;
        exec((op.core % nc), f.call(ms, (op.core % nc), base + op.off, n));
        break;
      }
      case 'dma': {
        const n = clip(op.off, op.len);
        exec((op.core % nc), op.toDev ? ms.dmaPageCpuToDev((op.core % nc), base + op.off, n, op.dir) : ms.dmaPageDevToCpu((op.core % nc), base + op.off, n, op.dir));
        break;
      }
      case 'outer': {
        const n = clip(op.off, op.len);
        if (op.op === 'inv') exec(0, ms.outerInvRange(base + op.off, n, 0));
        else if (op.op === 'clean') exec(0, ms.outerCleanRange(base + op.off, n, 0));
        else exec(0, ms.outerFlushRange(base + op.off, n, 0));
        break;
      }
      case 'all':
        if (op.op === 'l1Flush') exec((op.core % nc), ms.l1FlushAll((op.core % nc)));
        else if (op.op === 'l1Inv') exec((op.core % nc), ms.l1InvAll((op.core % nc)));
        else if (op.op === 'l1Clean') exec((op.core % nc), ms.l1CleanAll((op.core % nc)));
        else if (op.op === 'outerFlush') exec((op.core % nc), ms.outerFlushAll((op.core % nc)));
        else if (op.op === 'outerClean') exec((op.core % nc), ms.outerCleanAll((op.core % nc)));
        else exec((op.core % nc), ms.outerCleanInvIndex(op.set % ms.l2.cache.sets, op.way, (op.core % nc)));
        break;
      case 'evict':
        ms.evict(base + op.off, clip(op.off, op.len));
        break;
      case 'prefetch':
        exec((op.core % nc), ms.prefetch((op.core % nc), base + op.off, clip(op.off, op.len)));
        break;
      case 'wmb':
        exec((op.core % nc), ms.wmb((op.core % nc)));
        break;
    }
  }
  // Final versions: DRAM as a device sees it, the caches' view, then DRAM after every cache is emptied.
  ms.deviceRead('none', base, buf, 0, SPAN, 'final-dram');
  ms.deviceRead('ace-lite', base, buf, 0, SPAN, 'final-cached');
  for (let c = 0; c < nc; c++) ms.wmb(c);
  ms.evict(base, SPAN);
  ms.deviceRead('none', base, buf, 0, SPAN, 'final-dram-evicted');
  return observer.log;
}

describe('uniform line versions', () => {
  for (const [name, preset] of [
    ['exynos4210 (32 B lines, 727915 debug-ctrl)', tiny(exynos4210)],
    ['arm64 (64 B lines, by-VA ops reach L2)', tiny(arm64_64b)],
  ] as const) {
    it(`${name}: every version the observer sees, and DRAM's final versions, match per-byte planes`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 10, maxLength: 80, size: 'max' }), (ops) => {
          const fast = runProgram(preset, ops, true);
          const reference = runProgram(preset, ops, false);
          expect(fast.length).toBe(reference.length);
          for (let i = 0; i < fast.length; i++) if (fast[i] !== reference[i]) expect(`${i}: ${fast[i]}`).toBe(`${i}: ${reference[i]}`);
        }),
        { numRuns: 60, seed: 20261124 },
      );
    });

    it(`${name}: reads shown as one version show what per-byte planes show`, () => {
      let uniformReads = 0;
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 10, maxLength: 80, size: 'max' }), (ops) => {
          const observer = new UniformRecordingObserver();
          const fast = runProgram(preset, ops, true, observer);
          const reference = runProgram(preset, ops, false);
          uniformReads += observer.uniformReads;
          expect(fast.length).toBe(reference.length);
          for (let i = 0; i < fast.length; i++) if (fast[i] !== reference[i]) expect(`${i}: ${fast[i]}`).toBe(`${i}: ${reference[i]}`);
        }),
        { numRuns: 40, seed: 20261125 },
      );
      expect(uniformReads).toBeGreaterThan(0);
    });
  }
});

describe('VersionPlanes reads kept as one version', () => {
  const planes = (): VersionPlanes => new VersionPlanes(new UniformRecordingObserver(), 8, 16, 32, 2, 0x1000_0000, 64 * KiB);

  it('a read of lines and DRAM carrying one version ends as that version without writing read', () => {
    const vp = planes();
    vp.read.fill(77, 0, 128);
    vp.dramFill(0x1000_0000, 4096, 6);
    vp.setLine(vp.l1Line0[0]! + 1, 6);
    vp.setLine(vp.l1Line0[0]! + 2, 6);
    vp.beginRead(96, true);
    vp.readRange(vp.l1Base[0]! + 32 + 8, 24, 0);
    vp.readLine(vp.l1Line0[0]! + 2, 24);
    vp.dramToRead(0x1000_0100, 56, 40);
    expect(vp.endRead()).toBe(6);
    expect(vp.read[0]).toBe(77);
  });

  it('a piece of another version (or one per-byte line) writes out the bytes kept so far, then the rest', () => {
    const vp = planes();
    vp.setLine(vp.l1Line0[0]!, 6);
    vp.setLine(vp.l1Line0[0]! + 1, 6);
    vp.writeArray(vp.l1Base[0]! + 64, Uint32Array.from({ length: 32 }, () => 6), 0, 32);
    vp.writeConst(vp.l1Base[0]! + 64 + 31, 1, 5); // a stale byte in a line that otherwise holds 6
    vp.beginRead(96, true);
    vp.readLine(vp.l1Line0[0]!, 0);
    vp.readRange(vp.l1Base[0]! + 32, 64, 32);
    expect(vp.endRead()).toBe(-1);
    expect(Array.from(vp.read.subarray(0, 96))).toEqual([...Array(95).fill(6), 5]);

    vp.dramFill(0x1000_0000, 64, 8);
    vp.beginRead(64, true);
    vp.readLine(vp.l1Line0[0]!, 0);
    vp.dramToRead(0x1000_0000, 32, 32); // DRAM holds 8, the line 6
    expect(vp.endRead()).toBe(-1);
    expect(Array.from(vp.read.subarray(30, 34))).toEqual([6, 6, 8, 8]);
  });

  it('without oneVersionOk, or with an observer that takes only per-byte versions, read is always written', () => {
    const vp = planes();
    vp.setLine(vp.l1Line0[0]!, 6);
    vp.beginRead(32, false);
    vp.readLine(vp.l1Line0[0]!, 0);
    expect(vp.endRead()).toBe(-1);
    expect(vp.read[31]).toBe(6);
    const plain = new VersionPlanes(new RecordingObserver(), 8, 16, 32, 2, 0x1000_0000, 64 * KiB);
    expect(plain.uniformObserver).toBeNull();
    plain.setLine(plain.l1Line0[0]!, 4);
    plain.beginRead(32, true);
    plain.readLine(plain.l1Line0[0]!, 0);
    expect(plain.endRead()).toBe(-1);
    expect(plain.read[0]).toBe(4);
  });
});

describe('VersionPlanes marks', () => {
  const observer = new RecordingObserver();
  const planes = (): VersionPlanes => new VersionPlanes(observer, 8, 16, 32, 2, 0x1000_0000, 64 * KiB);

  it('a whole-line refill from a uniform DRAM range sets the mark and leaves the plane untouched', () => {
    const vp = planes();
    vp.dramFill(0x1000_0000, 4096 * 4, 7);
    vp.dramLineToL2(0x1000_0020, 3);
    expect(vp.uniform[vp.l2Line0 + 3]).toBe(7);
    expect(vp.l2.subarray(3 * 32, 4 * 32).every((v) => v === 0)).toBe(true);
  });

  it('a DRAM write or fill into a page found uniform before is seen by the next refill of that page', () => {
    const vp = planes();
    vp.dramFill(0x1000_0000, 4096, 7);
    vp.dramLineToL2(0x1000_0000, 0);
    vp.dramWrite(0x1000_0040, Uint32Array.from({ length: 32 }, (_, i) => 50 + i), 0, 32);
    vp.dramLineToL2(0x1000_0040, 1);
    expect(vp.uniform[vp.l2Line0 + 1]).toBe(NOT_UNIFORM);
    expect(Array.from(vp.l2.subarray(32, 35))).toEqual([50, 51, 52]);
    vp.dramFill(0x1000_0000, 4096, 8);
    vp.dramLineToL2(0x1000_0000, 2);
    expect(vp.uniform[vp.l2Line0 + 2]).toBe(8);
    vp.dramFill(0x1000_0080, 4, 9);
    vp.dramLineToL2(0x1000_0080, 3);
    expect(vp.uniform[vp.l2Line0 + 3]).toBe(NOT_UNIFORM);
    expect(Array.from(vp.l2.subarray(96, 101))).toEqual([9, 9, 9, 9, 8]);
  });

  it('materialise expands the mark into the plane and clears it; a partial write keeps the other bytes', () => {
    const vp = planes();
    const line = vp.l1Line0[1]! + 2;
    vp.setLine(line, 9);
    vp.writeConst(line * 32 + 4, 4, 11);
    expect(vp.uniform[line]).toBe(NOT_UNIFORM);
    const plane = vp.cachePlanes.subarray(line * 32, line * 32 + 32);
    expect(Array.from(plane.subarray(0, 8))).toEqual([9, 9, 9, 9, 11, 11, 11, 11]);
    expect(plane[31]).toBe(9);
  });

  it('a read across a uniform and a per-byte line returns both lines versions', () => {
    const vp = planes();
    const l0 = vp.l1Line0[0]!;
    vp.setLine(l0, 5);
    vp.writeArray(32, Uint32Array.from({ length: 32 }, (_, i) => 100 + i), 0, 32);
    vp.readRange(30, 4, 0);
    expect(Array.from(vp.read.subarray(0, 4))).toEqual([5, 5, 100, 101]);
  });

  it('with uniformLines off, no mark is ever set: the plane holds every version', () => {
    const vp = new VersionPlanes(observer, 8, 16, 32, 2, 0x1000_0000, 64 * KiB, false);
    vp.dramFill(0x1000_0000, 64, 4);
    vp.dramLineToL2(0x1000_0000, 0);
    vp.setLine(vp.l1Line0[0]!, 6);
    expect(Array.from(vp.uniform).every((v) => v === NOT_UNIFORM)).toBe(true);
    expect(vp.l2[0]).toBe(4);
    expect(vp.cachePlanes[0]).toBe(6);
  });
});
