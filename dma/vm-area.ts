// The kernel's consistent/vmalloc remap area: non-cacheable and write-combine kernel mappings of coherent
// buffers live here, so its size limits how much coherent memory can have a kernel mapping at once.
// NO_KERNEL_MAPPING allocations take none of it (the seed's point). Lowmem is the linear map (VA == PA).
import { PageRangeAllocator } from './page-alloc.ts';
import type { MemType } from './platform.ts';

export interface VmMapping {
  readonly va: number;
  readonly phys: number;
  readonly size: number;
  readonly type: MemType;
  readonly owner: string;
}

export class KernelVmArea {
  private readonly space: PageRangeAllocator;
  private readonly byVa = new Map<number, VmMapping>();
  /** Page number -> mapping start, for translating any address inside a mapping. */
  private readonly pageIndex = new Map<number, number>();
  readonly pageSize: number;

  /** Defaults: the 2 MiB consistent area ending at 0xffe00000 of 32-bit ARM kernels of the seed's era. */
  constructor(base = 0xffc00000, bytes = 2 << 20, pageSize = 4096) {
    this.space = new PageRangeAllocator('consistent-area', base, bytes, pageSize);
    this.pageSize = pageSize;
  }

  get base(): number {
    return this.space.base;
  }
  get bytes(): number {
    return this.space.bytes;
  }
  get usedBytes(): number {
    return this.space.usedBytes;
  }
  get peakBytes(): number {
    return this.space.peakBytes;
  }

  /** Whether `va` lies in the remap area (as opposed to the linear map). */
  inArea(va: number): boolean {
    return this.space.contains(va);
  }

  /** Maps [phys, phys+size) with `type`; returns the VA, or -1 when the area is full. */
  map(phys: number, size: number, type: MemType, owner: string): number {
    const va = this.space.alloc(size);
    if (va < 0) return -1;
    const len = this.space.sizeOf(va);
    const m: VmMapping = { va, phys, size: len, type, owner };
    this.byVa.set(va, m);
    for (let p = va; p < va + len; p += this.pageSize) this.pageIndex.set(p / this.pageSize, va);
    return va;
  }

  unmap(va: number): VmMapping | undefined {
    const m = this.byVa.get(va);
    if (m === undefined) return undefined;
    this.byVa.delete(va);
    for (let p = va; p < va + m.size; p += this.pageSize) this.pageIndex.delete(p / this.pageSize);
    this.space.free(va);
    return m;
  }

  /** The mapping containing `va`, or undefined (then `va` is a linear-map address). */
  find(va: number): VmMapping | undefined {
    const start = this.pageIndex.get(Math.floor(va / this.pageSize));
    return start === undefined ? undefined : this.byVa.get(start);
  }
}
