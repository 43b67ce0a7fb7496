import { IommuConfigError } from './errors.ts';
import { LpaePageTable } from './lpae-pgtable.ts';
import type { LpaeOptions } from './lpae-pgtable.ts';
import type { IoPageTable, PageTableFormat } from './page-table.ts';
import { SysmmuPageTable } from './sysmmu-pgtable.ts';
import type { PageTableCpu, TablePool } from './table-memory.ts';

/** A fresh, empty page table of the given format (an IOMMU domain's tables), allocated from `pool`. */
export function createPageTable(format: PageTableFormat, cpu: PageTableCpu, pool: TablePool, lpae: LpaeOptions = {}): IoPageTable {
  if (format === 'sysmmu') return new SysmmuPageTable(cpu, pool);
  if (format === 'lpae') return new LpaePageTable(cpu, pool, lpae);
  throw new IommuConfigError(`createPageTable: format must be 'sysmmu' or 'lpae', got ${String(format)}`);
}
