// An ideal platform with no caches: flat DRAM in one Uint8Array, every access coherent, maintenance free.
// For exercising the DMA layer's own bookkeeping and host speed without the cache model (host benchmarks);
// the real machine is platformFromSoc(createSoc(...)).
import type { DmaPlatform, MemType } from './platform.ts';
import type { CoherencyMode, DmaDirection } from './types.ts';

export class FlatPlatform implements DmaPlatform {
  readonly lineSize: number;
  readonly dram: { base: number; size: number };
  readonly cores: number;
  readonly bytes: Uint8Array;
  /** Cycles charged per core. */
  readonly charged: number[];

  constructor(base: number, size: number, lineSize = 32, cores = 1) {
    this.dram = { base, size };
    this.lineSize = lineSize;
    this.cores = cores;
    this.bytes = new Uint8Array(size);
    this.charged = new Array<number>(cores).fill(0);
  }

  chargeCpu(core: number, cycles: number): void {
    this.charged[core] = (this.charged[core] ?? 0) + cycles;
  }
  dmaMapArea(_core: number, _pa: number, _len: number, _dir: DmaDirection): number {
    return 0;
  }
  dmaUnmapArea(_core: number, _pa: number, _len: number, _dir: DmaDirection): number {
    return 0;
  }
  outerInvRange(): number {
    return 0;
  }
  outerCleanRange(): number {
    return 0;
  }
  outerFlushRange(): number {
    return 0;
  }
  private off(pa: number, len: number): number {
    const o = pa - this.dram.base;
    if (o < 0 || o + len > this.dram.size) throw new RangeError(`FlatPlatform: 0x${pa.toString(16)}+${len} is outside DRAM`);
    return o;
  }
  cpuRead(_core: number, pa: number, dst: Uint8Array, dstOff: number, len: number, _type?: MemType): number {
    const o = this.off(pa, len);
    dst.set(this.bytes.subarray(o, o + len), dstOff);
    return 0;
  }
  cpuWrite(_core: number, pa: number, src: Uint8Array, srcOff: number, len: number, _type?: MemType): number {
    this.bytes.set(src.subarray(srcOff, srcOff + len), this.off(pa, len));
    return 0;
  }
  /** The bounce copy's byte mover: one copyWithin (a set on the same buffer) per call. */
  cpuCopy(_core: number, dstPa: number, srcPa: number, len: number): number {
    const s = this.off(srcPa, len);
    this.bytes.copyWithin(this.off(dstPa, len), s, s + len);
    return 0;
  }
  deviceRead(_mode: CoherencyMode, pa: number, dst: Uint8Array, dstOff: number, len: number): void {
    this.cpuRead(0, pa, dst, dstOff, len);
  }
  deviceWrite(_mode: CoherencyMode, pa: number, src: Uint8Array, srcOff: number, len: number): void {
    this.cpuWrite(0, pa, src, srcOff, len);
  }
}
