// The kernel memory the DMA layer allocates from, laid out deterministically in DRAM from the bottom:
// the CMA-like contiguous area (lowest, so small DMA windows such as dmabounce's reach it), the atomic
// pool, the swiotlb pool, then the page allocator (alloc_pages and kmalloc slabs) for the rest. The
// consistent VA area holds the kernel's remapped (non-cacheable / write-combine) views.
import { Kmalloc } from './kmalloc.ts';
import { AllocatorError, PageRangeAllocator } from './page-alloc.ts';
import { SwiotlbPool } from './swiotlb-pool.ts';
import { KernelVmArea } from './vm-area.ts';
import type { DmaParams } from './env.ts';
import type { DramRange, MemType } from './platform.ts';

export type CoherentSource = 'atomic-pool' | 'cma' | 'pages';

export interface CoherentAllocRecord {
  readonly source: CoherentSource;
  readonly phys: number;
  /** Page-rounded size actually allocated. */
  readonly size: number;
  /** Kernel VA in the consistent area, or -1 (linear map / no kernel mapping). */
  readonly va: number;
  readonly type: MemType;
  /** Id in the platform's attribute map, or -1. */
  readonly aliasId: number;
  /** Whether the pages were taken out of the cacheable linear map. */
  readonly linearRemoved: boolean;
}

export class DmaMemory {
  readonly cma: PageRangeAllocator;
  readonly atomicPool: PageRangeAllocator;
  readonly swiotlb: SwiotlbPool | null;
  readonly pages: PageRangeAllocator;
  readonly kmalloc: Kmalloc;
  readonly vm: KernelVmArea;
  /** VA of the atomic pool's boot-time remap (its mapping lives in the consistent area for good). */
  readonly atomicPoolVa: number;
  /** Live coherent allocations by physical address: where they came from and their kernel mapping. */
  readonly coherentAllocs = new Map<number, CoherentAllocRecord>();

  constructor(dram: DramRange, p: Readonly<DmaParams>) {
    const ps = p.pageSize;
    const base = Math.ceil(dram.base / ps) * ps;
    let at = base;
    const take = (bytes: number, what: string): number => {
      const start = at;
      at += bytes;
      if (at > dram.base + dram.size) throw new AllocatorError(`DmaMemory: DRAM (${dram.size} bytes) too small for the ${what} (${bytes} bytes)`);
      return start;
    };
    this.cma = new PageRangeAllocator('cma', take(p.cmaBytes, 'CMA area'), p.cmaBytes, ps);
    this.atomicPool = new PageRangeAllocator('atomic-pool', take(p.atomicPoolBytes, 'atomic pool'), p.atomicPoolBytes, ps);
    this.swiotlb = p.swiotlbBytes > 0 ? new SwiotlbPool(take(p.swiotlbBytes, 'swiotlb pool'), p.swiotlbBytes, ps) : null;
    const rest = Math.floor((dram.base + dram.size - at) / ps) * ps;
    this.pages = new PageRangeAllocator('pages', at, rest, ps);
    this.kmalloc = new Kmalloc(this.pages, p.kmallocMinAlign);
    this.vm = new KernelVmArea(p.consistentAreaBase, p.consistentAreaBytes, ps);
    this.atomicPoolVa = p.atomicPoolBytes > 0 ? this.vm.map(this.atomicPool.base, p.atomicPoolBytes, 'normal-nc', 'atomic-pool') : -1;
    if (p.atomicPoolBytes > 0 && this.atomicPoolVa < 0) {
      throw new AllocatorError(`DmaMemory: the consistent area (${p.consistentAreaBytes} bytes) cannot hold the atomic pool (${p.atomicPoolBytes} bytes)`);
    }
  }

  /** alloc_pages: a naturally aligned run of pages; -1 when exhausted. */
  allocPages(size: number): number {
    const pages = Math.ceil(size / this.pages.pageSize);
    let align = 1;
    while (align < pages) align *= 2;
    return this.pages.alloc(size, align);
  }

  freePages(addr: number): void {
    this.pages.free(addr);
  }

  /** Translates a kernel VA to a physical address and memory type (lowmem is the cacheable linear map). */
  translate(va: number): { phys: number; type: 'normal-wb' | 'normal-nc' | 'write-combine' | 'device' } {
    const m = this.vm.find(va);
    if (m === undefined) return { phys: va, type: 'normal-wb' };
    return { phys: m.phys + (va - m.va), type: m.type };
  }
}
