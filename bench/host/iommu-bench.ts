/**
 * Host-speed benchmark of the IOMMU translation hot path (not a test: host speed is never asserted).
 * Measures Iommu.translate per second on IOTLB hits (a device streaming through a few mapped pages) and
 * on misses (a strided sweep over more pages than the IOTLB holds, so every access walks the tables).
 */
import { Dram } from '../../soc/memory/index.ts';
import { DirectTableCpu, IOMMU_READ, IOMMU_WRITE, Iommu, TablePool, createPageTable } from '../../soc/iommu/index.ts';
import type { PageTableFormat } from '../../soc/iommu/index.ts';

export interface IommuBenchOptions {
  translations?: number;
  format?: PageTableFormat;
}
export interface IommuBenchResult {
  format: PageTableFormat;
  hitTranslationsPerSec: number;
  missTranslationsPerSec: number;
}

function rig(format: PageTableFormat, pages: number): Iommu {
  const dram = new Dram(0x4000_0000, 0x4000_0000);
  const table = createPageTable(format, new DirectTableCpu(dram), new TablePool(0x4000_0000, 8 << 20));
  // A physical base 4 KiB off any larger alignment: every leaf is a 4 KiB page in both formats.
  table.map(0x1000_0000, 0x5000_1000, pages * 4096, IOMMU_READ | IOMMU_WRITE);
  const iommu = new Iommu({ master: 'bench', format, walkMemory: dram });
  iommu.attach(table);
  return iommu;
}

function run(iommu: Iommu, n: number, pages: number, stride: number): number {
  const t0 = performance.now();
  let now = 0;
  let page = 0;
  for (let i = 0; i < n; i++) {
    const r = iommu.translate(0x1000_0000 + page * 4096 + (i & 63) * 64, 64, (i & 1) === 1, now);
    now += r.costPs;
    page += stride;
    if (page >= pages) page -= pages;
  }
  return n / ((performance.now() - t0) / 1000);
}

export function benchIommu(opts: IommuBenchOptions = {}): IommuBenchResult {
  const n = opts.translations ?? 2_000_000;
  const format = opts.format ?? 'sysmmu';
  // Hits: 8 pages, all resident. Misses: 4096 4 KiB pages visited with a stride, far beyond 512 entries.
  const hits = rig(format, 8);
  const misses = rig(format, 4096);
  run(hits, Math.min(n, 200_000), 8, 1);
  run(misses, Math.min(n, 200_000), 4096, 67);
  let hit = 0;
  let miss = 0;
  for (let i = 0; i < 3; i++) {
    hit = Math.max(hit, run(hits, n, 8, 1));
    miss = Math.max(miss, run(misses, n, 4096, 67));
  }
  return { format, hitTranslationsPerSec: hit, missTranslationsPerSec: miss };
}
