/** A bad IOMMU configuration (geometry, format, sizes), named where it was found. */
export class IommuConfigError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'IommuConfigError';
  }
}

/**
 * A page-table operation the driver must not do: mapping over a live entry, a misaligned or unsupported
 * size, an IOVA outside the input address space, or running out of table memory. Linux returns -EADDRINUSE /
 * -EINVAL / -ENOMEM from iommu_map; dmasim throws this and the DMA layer turns it into DMA_MAPPING_ERROR.
 */
export class IommuMapError extends Error {
  readonly iova: number;
  constructor(message: string, iova: number) {
    super(message);
    this.name = 'IommuMapError';
    this.iova = iova;
  }
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
