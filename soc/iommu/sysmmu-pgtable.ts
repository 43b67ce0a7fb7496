import { IommuMapError, hex } from './errors.ts';
import { IOMMU_READ, IOMMU_WRITE, pickPageSize } from './page-table.ts';
import type { IoPageTable, LeafSink, PageTableFormat, WalkPort, WalkResult } from './page-table.ts';
import type { PageTableCpu, TablePool } from './table-memory.ts';

export const SYSMMU_SECTION = 1 << 20;
export const SYSMMU_LARGE = 1 << 16;
export const SYSMMU_SMALL = 1 << 12;
export const SYSMMU_LV1_BYTES = 16 * 1024;
export const SYSMMU_LV2_BYTES = 1024;
const LV1_ENTRIES = 4096;
const LV2_ENTRIES = 256;

/**
 * Exynos SYSMMU (v1–v3) page table, the 32-bit encoding of drivers/iommu/exynos-iommu.c (PG_ENT_SHIFT 0):
 *
 * first level, 4096 × 4 bytes (16 KiB, 16 KiB aligned), indexed by IOVA[31:20]:
 *   bits[1:0] = 0 or 3  fault
 *             = 1       link: bits[31:10] = physical address of a 1 KiB second-level table
 *             = 2       1 MiB section: bits[31:20] = physical section base
 * second level, 256 × 4 bytes (1 KiB, 1 KiB aligned), indexed by IOVA[19:12]:
 *   bits[1:0] = 0       fault
 *             = 1       64 KiB large page: bits[31:16] = base; the entry is written 16 times
 *   bit 1     = 1       4 KiB small page: bits[31:12] = base
 *
 * No 16 MiB supersections and no permission bits (the 3.x driver wrote none), so every mapping is
 * read/write. Second-level tables are created on demand, zeroed by the CPU and cleaned for the walker;
 * a second-level table with no live entries is freed when a section is mapped over it (as the driver does).
 */
export class SysmmuPageTable implements IoPageTable {
  readonly format: PageTableFormat = 'sysmmu';
  readonly root: number;
  readonly pageSizes: readonly number[] = [SYSMMU_SECTION, SYSMMU_LARGE, SYSMMU_SMALL];
  readonly iasBits = 32;
  readonly descBytes = 4 as const;
  private readonly cpu: PageTableCpu;
  private readonly pool: TablePool;
  /** Live small-page-equivalent entries per second-level table (keyed by the table's PA). */
  private readonly lv2Live = new Map<number, number>();
  private readonly listeners = new Set<(iova: number, size: number) => void>();

  constructor(cpu: PageTableCpu, pool: TablePool) {
    this.cpu = cpu;
    this.pool = pool;
    this.root = pool.alloc(SYSMMU_LV1_BYTES);
    cpu.zero(this.root, SYSMMU_LV1_BYTES);
    cpu.syncForWalker(this.root, SYSMMU_LV1_BYTES);
  }

  addUnmapListener(fn: (iova: number, size: number) => void): void {
    this.listeners.add(fn);
  }
  removeUnmapListener(fn: (iova: number, size: number) => void): void {
    this.listeners.delete(fn);
  }

  map(iova: number, pa: number, size: number, _prot: number): void {
    this.checkRange('map', iova, size);
    if (pa % SYSMMU_SMALL !== 0 || pa < 0 || pa + size > 2 ** 32) {
      throw new IommuMapError(`SysmmuPageTable.map: physical address ${hex(pa)} must be 4 KiB aligned and 32-bit`, iova);
    }
    let done = 0;
    while (done < size) {
      const leaf = pickPageSize(this.pageSizes, iova + done, pa + done, size - done);
      if (leaf === SYSMMU_SECTION) this.mapSection(iova + done, pa + done);
      else this.mapPages(iova + done, pa + done, leaf);
      done += leaf;
    }
  }

  private mapSection(iova: number, pa: number): void {
    const sent = this.root + Math.floor(iova / SYSMMU_SECTION) * 4;
    const cur = this.cpu.read32(sent);
    if ((cur & 3) === 1) {
      const lv2 = (cur & 0xfffffc00) >>> 0;
      if ((this.lv2Live.get(lv2) ?? 0) !== 0) {
        throw new IommuMapError(`SysmmuPageTable.map: 1 MiB section at IOVA ${hex(iova)} overlaps mapped pages`, iova);
      }
      this.lv2Live.delete(lv2);
      this.pool.release(lv2, SYSMMU_LV2_BYTES);
    } else if ((cur & 3) === 2) {
      throw new IommuMapError(`SysmmuPageTable.map: IOVA ${hex(iova)} is already mapped (section)`, iova);
    }
    this.cpu.write32(sent, ((pa & 0xfff00000) | 2) >>> 0);
    this.cpu.syncForWalker(sent, 4);
  }

  private mapPages(iova: number, pa: number, leaf: number): void {
    const sent = this.root + Math.floor(iova / SYSMMU_SECTION) * 4;
    let lv1 = this.cpu.read32(sent);
    if ((lv1 & 3) === 2) throw new IommuMapError(`SysmmuPageTable.map: IOVA ${hex(iova)} is already mapped (section)`, iova);
    if ((lv1 & 3) !== 1) {
      const table = this.pool.alloc(SYSMMU_LV2_BYTES);
      this.cpu.zero(table, SYSMMU_LV2_BYTES);
      this.cpu.syncForWalker(table, SYSMMU_LV2_BYTES);
      lv1 = (table | 1) >>> 0;
      this.cpu.write32(sent, lv1);
      this.cpu.syncForWalker(sent, 4);
      this.lv2Live.set(table, 0);
    }
    const table = (lv1 & 0xfffffc00) >>> 0;
    const first = table + ((iova >>> 12) & 0xff) * 4;
    const n = leaf / SYSMMU_SMALL;
    for (let i = 0; i < n; i++) {
      if ((this.cpu.read32(first + i * 4) & 3) !== 0) {
        throw new IommuMapError(`SysmmuPageTable.map: IOVA ${hex(iova + i * SYSMMU_SMALL)} is already mapped`, iova);
      }
    }
    const ent = leaf === SYSMMU_LARGE ? ((pa & 0xffff0000) | 1) >>> 0 : ((pa & 0xfffff000) | 2) >>> 0;
    for (let i = 0; i < n; i++) this.cpu.write32(first + i * 4, ent);
    this.cpu.syncForWalker(first, n * 4);
    this.lv2Live.set(table, (this.lv2Live.get(table) ?? 0) + n);
  }

  unmap(iova: number, size: number, onLeaf?: LeafSink): number {
    this.checkRange('unmap', iova, size);
    let done = 0;
    while (done < size) {
      const va = iova + done;
      const sent = this.root + Math.floor(va / SYSMMU_SECTION) * 4;
      const lv1 = this.cpu.read32(sent);
      let leaf: number;
      let leafVa: number;
      if ((lv1 & 3) === 2) {
        leaf = SYSMMU_SECTION;
        leafVa = va - (va % SYSMMU_SECTION);
        if (leafVa !== va || size - done < leaf) {
          throw new IommuMapError(`SysmmuPageTable.unmap: trying to unmap part of the 1 MiB section at ${hex(leafVa)}`, va);
        }
        this.cpu.write32(sent, 0);
        this.cpu.syncForWalker(sent, 4);
      } else if ((lv1 & 3) === 1) {
        const table = (lv1 & 0xfffffc00) >>> 0;
        const pent = table + ((va >>> 12) & 0xff) * 4;
        const ent = this.cpu.read32(pent);
        if ((ent & 3) === 0) break;
        leaf = (ent & 2) !== 0 ? SYSMMU_SMALL : SYSMMU_LARGE;
        leafVa = va - (va % leaf);
        if (leafVa !== va || size - done < leaf) {
          throw new IommuMapError(`SysmmuPageTable.unmap: trying to unmap part of the ${leaf >> 10} KiB page at ${hex(leafVa)}`, va);
        }
        const n = leaf / SYSMMU_SMALL;
        for (let i = 0; i < n; i++) this.cpu.write32(pent + i * 4, 0);
        this.cpu.syncForWalker(pent, n * 4);
        this.lv2Live.set(table, (this.lv2Live.get(table) ?? n) - n);
      } else break;
      for (const fn of this.listeners) fn(va, leaf);
      onLeaf?.(va, leaf);
      done += leaf;
    }
    return done;
  }

  iovaToPhys(iova: number): number {
    if (iova < 0 || iova >= 2 ** 32) return -1;
    const lv1 = this.cpu.read32(this.root + Math.floor(iova / SYSMMU_SECTION) * 4);
    if ((lv1 & 3) === 2) return ((lv1 & 0xfff00000) >>> 0) + (iova % SYSMMU_SECTION);
    if ((lv1 & 3) !== 1) return -1;
    const ent = this.cpu.read32(((lv1 & 0xfffffc00) >>> 0) + ((iova >>> 12) & 0xff) * 4);
    if ((ent & 2) !== 0) return ((ent & 0xfffff000) >>> 0) + (iova % SYSMMU_SMALL);
    if ((ent & 3) === 1) return ((ent & 0xffff0000) >>> 0) + (iova % SYSMMU_LARGE);
    return -1;
  }

  walk(iova: number, port: WalkPort, out: WalkResult): void {
    out.valid = false;
    out.reads = 0;
    out.reason = 'translation';
    if (iova < 0 || iova >= 2 ** 32) return;
    const lv1 = port.readDesc(this.root + Math.floor(iova / SYSMMU_SECTION) * 4, 4);
    out.reads = 1;
    const type = lv1 & 3;
    if (type === 2) {
      this.leaf(out, iova, SYSMMU_SECTION, (lv1 & 0xfff00000) >>> 0);
      return;
    }
    if (type !== 1) return;
    const ent = port.readDesc(((lv1 & 0xfffffc00) >>> 0) + ((iova >>> 12) & 0xff) * 4, 4);
    out.reads = 2;
    if ((ent & 2) !== 0) this.leaf(out, iova, SYSMMU_SMALL, (ent & 0xfffff000) >>> 0);
    else if ((ent & 3) === 1) this.leaf(out, iova, SYSMMU_LARGE, (ent & 0xffff0000) >>> 0);
  }

  private leaf(out: WalkResult, iova: number, size: number, pa: number): void {
    out.valid = true;
    out.reason = '';
    out.leafIova = iova - (iova % size);
    out.leafPa = pa;
    out.leafSize = size;
    out.prot = IOMMU_READ | IOMMU_WRITE;
  }

  private checkRange(where: string, iova: number, size: number): void {
    if (!Number.isSafeInteger(iova) || iova < 0 || iova % SYSMMU_SMALL !== 0) {
      throw new IommuMapError(`SysmmuPageTable.${where}: IOVA ${hex(iova)} must be 4 KiB aligned`, iova);
    }
    if (!Number.isSafeInteger(size) || size <= 0 || size % SYSMMU_SMALL !== 0) {
      throw new IommuMapError(`SysmmuPageTable.${where}: size ${size} must be a positive multiple of 4 KiB`, iova);
    }
    if (iova + size > 2 ** 32) throw new IommuMapError(`SysmmuPageTable.${where}: ${hex(iova)}+${size} exceeds the 32-bit IOVA space`, iova);
  }
}

export { LV1_ENTRIES as SYSMMU_LV1_ENTRIES, LV2_ENTRIES as SYSMMU_LV2_ENTRIES };
