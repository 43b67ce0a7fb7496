import { IommuConfigError, IommuMapError, hex } from './errors.ts';
import { IOMMU_READ, IOMMU_WRITE, pickPageSize } from './page-table.ts';
import type { IoPageTable, LeafSink, PageTableFormat, WalkPort, WalkResult } from './page-table.ts';
import type { PageTableCpu, TablePool } from './table-memory.ts';

// Descriptor bits (VMSAv8-64 / LPAE stage 1, as io-pgtable-arm writes them).
const TYPE_MASK = 3;
const TYPE_BLOCK = 1;
const TYPE_TABLE_OR_PAGE = 3;
export const LPAE_AP_UNPRIV = 1 << 6;
export const LPAE_AP_RDONLY = 1 << 7;
export const LPAE_SH_IS = 3 << 8;
export const LPAE_AF = 1 << 10;
export const LPAE_NG = 1 << 11;
const TWO32 = 2 ** 32;

export interface LpaeOptions {
  /** Input address size in bits (32..48); 32 gives 3 levels with a 4-entry top table, 39 a 512-entry one. */
  iasBits?: number;
  /** Translation granule: 4 KiB (default) or 64 KiB. */
  granule?: 4096 | 65536;
  /** Set the access flag in leaves (io-pgtable always does; false reproduces an access-flag fault). */
  setAccessFlag?: boolean;
}

/**
 * ARM LPAE io-pgtable (drivers/iommu/io-pgtable-arm.c), stage 1, 64-bit descriptors:
 *   bits[1:0]  1 = block (levels < 3), 3 = table (levels < 3) or page (level 3), 0/2 = invalid
 *   bits[4:2]  AttrIndx (0), bit 6 AP[1] unprivileged, bit 7 AP[2] read-only, bits[9:8] SH = 3 inner-shareable,
 *   bit 10 AF (access flag), bit 11 nG, bits[47:granule] output address / next-level table address.
 * Levels are numbered so the last is 3; with a 4 KiB granule each level resolves 9 bits (leaf sizes 4 KiB,
 * 2 MiB blocks, and 1 GiB blocks when level 1 exists), with 64 KiB 13 bits (64 KiB pages, 512 MiB blocks).
 * Tables are granule-sized except the top one, sized by the bits left over. Leaves written in one map()
 * call are cleaned for the walker in contiguous batches (io-pgtable's map_pages sync per table run).
 */
export class LpaePageTable implements IoPageTable {
  readonly format: PageTableFormat = 'lpae';
  readonly root: number;
  readonly pageSizes: readonly number[];
  readonly iasBits: number;
  readonly descBytes = 8 as const;
  readonly granule: number;
  readonly levels: number;
  readonly startLevel: number;
  private readonly g: number;
  private readonly bpl: number;
  private readonly pgdBytes: number;
  private readonly setAf: boolean;
  private readonly cpu: PageTableCpu;
  private readonly pool: TablePool;
  /** Live descriptors per table (keyed by the table's PA), to free empty tables a block replaces. */
  private readonly live = new Map<number, number>();
  private readonly listeners = new Set<(iova: number, size: number) => void>();
  /** Per level: bytes one entry maps, and entries in a table of that level (precomputed for the walker). */
  private readonly levelSize: number[] = [];
  private readonly levelEntries: number[] = [];
  private syncStart = -1;
  private syncEnd = -1;

  constructor(cpu: PageTableCpu, pool: TablePool, opts: LpaeOptions = {}) {
    const ias = opts.iasBits ?? 32;
    const granule = opts.granule ?? 4096;
    if (!Number.isInteger(ias) || ias < 32 || ias > 48) throw new IommuConfigError(`LpaePageTable: iasBits must be 32..48, got ${ias}`);
    if (granule !== 4096 && granule !== 65536) throw new IommuConfigError(`LpaePageTable: granule must be 4096 or 65536, got ${granule}`);
    this.cpu = cpu;
    this.pool = pool;
    this.iasBits = ias;
    this.granule = granule;
    this.g = granule === 4096 ? 12 : 16;
    this.bpl = this.g - 3;
    this.levels = Math.ceil((ias - this.g) / this.bpl);
    this.startLevel = 4 - this.levels;
    const pgdBits = ias - this.g - (this.levels - 1) * this.bpl;
    this.pgdBytes = 8 * 2 ** pgdBits;
    this.setAf = opts.setAccessFlag ?? true;
    for (let l = 0; l <= 3; l++) {
      this.levelSize.push(2 ** this.shift(l));
      this.levelEntries.push(l === this.startLevel ? this.pgdBytes / 8 : 2 ** this.bpl);
    }
    const sizes: number[] = [];
    // Blocks: levels 1 and 2 with 4 KiB, level 2 with 64 KiB (as io-pgtable-arm's pgsize bitmaps).
    for (let l = Math.max(this.startLevel, granule === 4096 ? 1 : 2); l <= 3; l++) sizes.push(2 ** this.shift(l));
    this.pageSizes = sizes;
    this.root = pool.alloc(Math.max(this.pgdBytes, 64));
    cpu.zero(this.root, this.pgdBytes);
    cpu.syncForWalker(this.root, this.pgdBytes);
    this.live.set(this.root, 0);
  }

  addUnmapListener(fn: (iova: number, size: number) => void): void {
    this.listeners.add(fn);
  }
  removeUnmapListener(fn: (iova: number, size: number) => void): void {
    this.listeners.delete(fn);
  }

  private shift(level: number): number {
    return this.g + (3 - level) * this.bpl;
  }

  private index(level: number, iova: number): number {
    return Math.floor(iova / this.levelSize[level]!) % this.levelEntries[level]!;
  }

  private addrOf(lo: number, hi: number): number {
    return (hi & 0xffff) * TWO32 + ((lo & ~(this.granule - 1)) >>> 0);
  }

  map(iova: number, pa: number, size: number, prot: number): void {
    this.checkRange('map', iova, size);
    if (pa < 0 || pa % this.granule !== 0 || pa + size > 2 ** 48) {
      throw new IommuMapError(`LpaePageTable.map: physical address ${hex(pa)} must be granule aligned and below 2^48`, iova);
    }
    let attrs = LPAE_SH_IS | LPAE_NG | LPAE_AP_UNPRIV;
    if (this.setAf) attrs |= LPAE_AF;
    if ((prot & IOMMU_WRITE) === 0) attrs |= LPAE_AP_RDONLY;
    let done = 0;
    try {
      while (done < size) {
        const leaf = pickPageSize(this.pageSizes, iova + done, pa + done, size - done);
        this.mapLeaf(iova + done, pa + done, leaf, attrs);
        done += leaf;
      }
    } finally {
      this.flushSync();
    }
  }

  private mapLeaf(iova: number, pa: number, leaf: number, attrs: number): void {
    let table = this.root;
    for (let l = this.startLevel; l <= 3; l++) {
      const ptep = table + this.index(l, iova) * 8;
      const lo = this.cpu.read32(ptep);
      const hi = this.cpu.read32(ptep + 4);
      const type = lo & TYPE_MASK;
      if (2 ** this.shift(l) === leaf) {
        if (l < 3 && type === TYPE_TABLE_OR_PAGE) {
          const sub = this.addrOf(lo, hi);
          if ((this.live.get(sub) ?? 0) !== 0) {
            throw new IommuMapError(`LpaePageTable.map: block at IOVA ${hex(iova)} overlaps mapped pages`, iova);
          }
          this.live.delete(sub);
          this.pool.release(sub, this.granule);
          this.live.set(table, (this.live.get(table) ?? 1) - 1);
        } else if ((lo & 1) !== 0) {
          throw new IommuMapError(`LpaePageTable.map: IOVA ${hex(iova)} is already mapped`, iova);
        }
        const t = l === 3 ? TYPE_TABLE_OR_PAGE : TYPE_BLOCK;
        this.writeDesc(ptep, ((pa % TWO32) | attrs | t) >>> 0, Math.floor(pa / TWO32));
        this.live.set(table, (this.live.get(table) ?? 0) + 1);
        return;
      }
      if (type === TYPE_BLOCK) throw new IommuMapError(`LpaePageTable.map: IOVA ${hex(iova)} is already mapped (block)`, iova);
      if (type !== TYPE_TABLE_OR_PAGE) {
        const sub = this.pool.alloc(this.granule);
        this.cpu.zero(sub, this.granule);
        this.cpu.syncForWalker(sub, this.granule);
        this.live.set(sub, 0);
        this.writeDesc(ptep, ((sub % TWO32) | TYPE_TABLE_OR_PAGE) >>> 0, Math.floor(sub / TWO32));
        this.live.set(table, (this.live.get(table) ?? 0) + 1);
        table = sub;
      } else table = this.addrOf(lo, hi);
    }
  }

  unmap(iova: number, size: number, onLeaf?: LeafSink): number {
    this.checkRange('unmap', iova, size);
    let done = 0;
    try {
      while (done < size) {
        const va = iova + done;
        let table = this.root;
        let leaf = 0;
        for (let l = this.startLevel; l <= 3; l++) {
          const ptep = table + this.index(l, va) * 8;
          const lo = this.cpu.read32(ptep);
          const type = lo & TYPE_MASK;
          if (l < 3 && type === TYPE_TABLE_OR_PAGE) {
            table = this.addrOf(lo, this.cpu.read32(ptep + 4));
            continue;
          }
          if ((l === 3 && type === TYPE_TABLE_OR_PAGE) || (l < 3 && type === TYPE_BLOCK)) {
            leaf = 2 ** this.shift(l);
            if (va % leaf !== 0 || size - done < leaf) {
              throw new IommuMapError(`LpaePageTable.unmap: trying to unmap part of the ${leaf} byte leaf at ${hex(va - (va % leaf))}`, va);
            }
            this.writeDesc(ptep, 0, 0);
            this.live.set(table, (this.live.get(table) ?? 1) - 1);
          }
          break;
        }
        if (leaf === 0) break;
        for (const fn of this.listeners) fn(va, leaf);
        onLeaf?.(va, leaf);
        done += leaf;
      }
    } finally {
      this.flushSync();
    }
    return done;
  }

  iovaToPhys(iova: number): number {
    if (iova < 0 || iova >= 2 ** this.iasBits) return -1;
    let table = this.root;
    for (let l = this.startLevel; l <= 3; l++) {
      const ptep = table + this.index(l, iova) * 8;
      const lo = this.cpu.read32(ptep);
      const hi = this.cpu.read32(ptep + 4);
      const type = lo & TYPE_MASK;
      if (l < 3 && type === TYPE_TABLE_OR_PAGE) {
        table = this.addrOf(lo, hi);
        continue;
      }
      if ((l === 3 && type === TYPE_TABLE_OR_PAGE) || (l < 3 && type === TYPE_BLOCK)) {
        const size = 2 ** this.shift(l);
        return (hi & 0xffff) * TWO32 + (((lo >>> 0) - ((lo >>> 0) % size)) >>> 0) + (iova % size);
      }
      return -1;
    }
    return -1;
  }

  walk(iova: number, port: WalkPort, out: WalkResult): void {
    out.valid = false;
    out.reads = 0;
    out.reason = 'translation';
    if (iova < 0 || iova >= 2 ** this.iasBits) return;
    let table = this.root;
    for (let l = this.startLevel; l <= 3; l++) {
      const lo = port.readDesc(table + this.index(l, iova) * 8, 8);
      const hi = port.hi;
      out.reads++;
      const type = lo & TYPE_MASK;
      if (l < 3 && type === TYPE_TABLE_OR_PAGE) {
        table = this.addrOf(lo, hi);
        continue;
      }
      if ((l === 3 && type === TYPE_TABLE_OR_PAGE) || (l < 3 && type === TYPE_BLOCK)) {
        if ((lo & LPAE_AF) === 0) {
          out.reason = 'access-flag';
          return;
        }
        const size = this.levelSize[l]!;
        out.valid = true;
        out.reason = '';
        out.leafSize = size;
        out.leafIova = iova - (iova % size);
        out.leafPa = (hi & 0xffff) * TWO32 + (((lo >>> 0) - ((lo >>> 0) % size)) >>> 0);
        out.prot = IOMMU_READ | ((lo & LPAE_AP_RDONLY) === 0 ? IOMMU_WRITE : 0);
      }
      return;
    }
  }

  /** Writes a descriptor so the walker never sees a torn valid entry: high word first when setting. */
  private writeDesc(ptep: number, lo: number, hi: number): void {
    if (lo === 0) {
      this.cpu.write32(ptep, 0);
      this.cpu.write32(ptep + 4, hi);
    } else {
      this.cpu.write32(ptep + 4, hi);
      this.cpu.write32(ptep, lo);
    }
    if (ptep === this.syncEnd) this.syncEnd += 8;
    else {
      this.flushSync();
      this.syncStart = ptep;
      this.syncEnd = ptep + 8;
    }
  }

  private flushSync(): void {
    if (this.syncStart >= 0) this.cpu.syncForWalker(this.syncStart, this.syncEnd - this.syncStart);
    this.syncStart = this.syncEnd = -1;
  }

  private checkRange(where: string, iova: number, size: number): void {
    if (!Number.isSafeInteger(iova) || iova < 0 || iova % this.granule !== 0) {
      throw new IommuMapError(`LpaePageTable.${where}: IOVA ${hex(iova)} must be aligned to the ${this.granule}-byte granule`, iova);
    }
    if (!Number.isSafeInteger(size) || size <= 0 || size % this.granule !== 0) {
      throw new IommuMapError(`LpaePageTable.${where}: size ${size} must be a positive multiple of ${this.granule}`, iova);
    }
    if (iova + size > 2 ** this.iasBits) {
      throw new IommuMapError(`LpaePageTable.${where}: ${hex(iova)}+${size} exceeds the ${this.iasBits}-bit IOVA space`, iova);
    }
  }
}
