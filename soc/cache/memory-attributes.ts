import { hexAddr } from '../memory/memory-target.ts';

/** Memory type of a CPU mapping (ARMv7 TEX/C/B as Linux uses them). */
export type MemType = 'normal-wb' | 'normal-nc' | 'write-combine' | 'device';
export const MEM_TYPES: readonly MemType[] = ['normal-wb', 'normal-nc', 'write-combine', 'device'];

export function isCacheable(t: MemType): boolean {
  return t === 'normal-wb';
}

export const ATTR_PAGE_BYTES = 4096;

/** A live CPU mapping of physical memory with its attributes. */
export interface CpuMapping {
  readonly id: number;
  readonly pa: number;
  readonly len: number;
  readonly type: MemType;
  readonly owner: string;
}

/** One page mapped both cacheable and not: ARMv7 calls the result unpredictable (mismatched attributes). */
export interface AliasConflict {
  /** Page-aligned physical address. */
  page: number;
  /** Whether the cacheable side is the kernel linear map (true) or an explicit mapping. */
  linearMap: boolean;
  cacheable: CpuMapping[];
  nonCacheable: CpuMapping[];
}

export class MappingError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'MappingError';
  }
}

/**
 * Live mappings per 4 KiB physical page. The kernel linear map (lowmem) is implicitly Normal cacheable
 * over its whole range unless a range is removed from it (as the CMA/atomic-pool remap does), so a
 * coherent allocation that registers a non-cacheable mapping of linear-map pages is a conflict.
 */
export class MemoryAttributeMap {
  private readonly mappings = new Map<number, CpuMapping>();
  /** page number → ids of mappings covering it */
  private readonly pages = new Map<number, number[]>();
  /** pages removed from the linear map */
  private readonly unmappedLinear = new Set<number>();
  private nextId = 1;

  constructor(
    readonly linearBase: number,
    readonly linearSize: number,
  ) {}

  /** Whether `pa` lies in the kernel linear map and is still mapped there (cacheable). */
  inLinearMap(pa: number): boolean {
    return pa >= this.linearBase && pa < this.linearBase + this.linearSize && !this.unmappedLinear.has(Math.floor(pa / ATTR_PAGE_BYTES));
  }

  addMapping(pa: number, len: number, type: MemType, owner = 'kernel'): number {
    if (!(len > 0) || !Number.isSafeInteger(pa) || pa < 0) {
      throw new MappingError(`MemoryAttributeMap.addMapping: expected pa >= 0 and len > 0, got ${hexAddr(pa)} +${len}`);
    }
    const id = this.nextId++;
    const m: CpuMapping = { id, pa, len, type, owner };
    this.mappings.set(id, m);
    for (let p = Math.floor(pa / ATTR_PAGE_BYTES), end = Math.ceil((pa + len) / ATTR_PAGE_BYTES); p < end; p++) {
      const list = this.pages.get(p);
      if (list === undefined) this.pages.set(p, [id]);
      else list.push(id);
    }
    return id;
  }

  removeMapping(id: number): void {
    const m = this.mappings.get(id);
    if (m === undefined) throw new MappingError(`MemoryAttributeMap.removeMapping: no live mapping with id ${id}`);
    this.mappings.delete(id);
    for (let p = Math.floor(m.pa / ATTR_PAGE_BYTES), end = Math.ceil((m.pa + m.len) / ATTR_PAGE_BYTES); p < end; p++) {
      const list = this.pages.get(p);
      if (list === undefined) continue;
      const i = list.indexOf(id);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.pages.delete(p);
    }
  }

  /** Removes (or restores) pages from the cacheable linear map, e.g. for a remapped coherent pool. */
  setLinearMapped(pa: number, len: number, mapped: boolean): void {
    for (let p = Math.floor(pa / ATTR_PAGE_BYTES), end = Math.ceil((pa + len) / ATTR_PAGE_BYTES); p < end; p++) {
      if (mapped) this.unmappedLinear.delete(p);
      else this.unmappedLinear.add(p);
    }
  }

  mappingsOf(pa: number): CpuMapping[] {
    const ids = this.pages.get(Math.floor(pa / ATTR_PAGE_BYTES)) ?? [];
    return ids.map((id) => this.mappings.get(id)!);
  }

  liveMappings(): CpuMapping[] {
    return [...this.mappings.values()];
  }

  /** Pages of [pa, pa+len) mapped cacheable (linear map or explicit) and non-cacheable at the same time. */
  aliasConflicts(pa: number, len: number): AliasConflict[] {
    const out: AliasConflict[] = [];
    for (let p = Math.floor(pa / ATTR_PAGE_BYTES), end = Math.ceil((pa + len) / ATTR_PAGE_BYTES); p < end; p++) {
      const ids = this.pages.get(p);
      if (ids === undefined) continue;
      const cacheable: CpuMapping[] = [];
      const nonCacheable: CpuMapping[] = [];
      for (const id of ids) {
        const m = this.mappings.get(id)!;
        (m.type === 'normal-wb' ? cacheable : nonCacheable).push(m);
      }
      const page = p * ATTR_PAGE_BYTES;
      const linear = this.inLinearMap(page);
      if (nonCacheable.length > 0 && (cacheable.length > 0 || linear)) {
        out.push({ page, linearMap: linear, cacheable, nonCacheable });
      }
    }
    return out;
  }
}
