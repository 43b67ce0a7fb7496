// A dma_pool: fixed-size blocks carved out of coherent pages (mm/dmapool.c), handed out last-freed first.
import { armAlloc, armFree } from './coherent-alloc.ts';
import type { DmaEnv } from './env.ts';
import type { MemType } from './platform.ts';
import type { CoherentBuffer, DeviceLike } from './types.ts';

export interface DmaPoolBlock {
  readonly phys: number;
  readonly dma: number;
  readonly type: MemType;
}

export class DmaPool {
  readonly name: string;
  readonly blockSize: number;
  private readonly env: DmaEnv;
  private readonly dev: DeviceLike;
  private readonly pages: CoherentBuffer[] = [];
  private readonly free: DmaPoolBlock[] = [];
  private liveBlocks = 0;

  constructor(env: DmaEnv, dev: DeviceLike, name: string, blockSize: number) {
    if (!Number.isInteger(blockSize) || blockSize <= 0) throw new RangeError(`dma_pool ${name}: block size must be a positive integer, got ${blockSize}`);
    this.env = env;
    this.dev = dev;
    this.name = name;
    this.blockSize = blockSize;
  }

  get live(): number {
    return this.liveBlocks;
  }

  alloc(): DmaPoolBlock | null {
    if (this.free.length === 0 && !this.grow()) return null;
    this.liveBlocks++;
    return this.free.pop()!;
  }

  release(block: DmaPoolBlock): void {
    this.liveBlocks--;
    this.free.push(block);
  }

  /** dma_pool_destroy: returns every page (blocks still live are a driver bug the kernel warns about). */
  destroy(): void {
    for (const p of this.pages) armFree(this.env, this.dev, p);
    this.pages.length = 0;
    this.free.length = 0;
  }

  private grow(): boolean {
    const ps = this.env.params.pageSize;
    const bytes = Math.max(ps, Math.ceil(this.blockSize / ps) * ps);
    const page = armAlloc(this.env, this.dev, bytes, 0, false);
    if (page === null) return false;
    this.pages.push(page);
    const type = this.env.memory.coherentAllocs.get(page.phys)?.type ?? 'normal-nc';
    const n = Math.floor(bytes / this.blockSize);
    for (let k = n - 1; k >= 0; k--) {
      this.free.push({ phys: page.phys + k * this.blockSize, dma: page.dmaHandle + k * this.blockSize, type });
    }
    return true;
  }
}
