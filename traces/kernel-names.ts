// Kernel names and numeric values for DMA directions and attributes (include/linux/dma-direction.h,
// include/linux/dma-mapping.h). Kept in one file so the lead can move it to a shared layer later.

/** Directions with the kernel's numeric values. */
export const DMA_DIRECTION = {
  BIDIRECTIONAL: 0,
  TO_DEVICE: 1,
  FROM_DEVICE: 2,
  NONE: 3,
} as const;
export type DmaDirectionName = keyof typeof DMA_DIRECTION;
/** Directions an operation may carry (the kernel BUGs on DMA_NONE for a mapping). */
export type DmaDir = 'TO_DEVICE' | 'FROM_DEVICE' | 'BIDIRECTIONAL';
export const DMA_DIRS: readonly DmaDir[] = ['BIDIRECTIONAL', 'TO_DEVICE', 'FROM_DEVICE'];

const DIR_BY_CODE: readonly DmaDirectionName[] = ['BIDIRECTIONAL', 'TO_DEVICE', 'FROM_DEVICE', 'NONE'];
export function directionName(code: number): DmaDirectionName | undefined {
  return DIR_BY_CODE[code];
}

/** Attribute bit numbers (DMA_ATTR_* without the prefix). Bits 0 and 3 are removed in modern kernels but
 * still named so that old traces decode. */
export const DMA_ATTR_BIT = {
  WRITE_BARRIER: 0,
  WEAK_ORDERING: 1,
  WRITE_COMBINE: 2,
  NON_CONSISTENT: 3,
  NO_KERNEL_MAPPING: 4,
  SKIP_CPU_SYNC: 5,
  FORCE_CONTIGUOUS: 6,
  ALLOC_SINGLE_PAGES: 7,
  NO_WARN: 8,
  PRIVILEGED: 9,
  MMIO: 10,
  DEBUGGING_IGNORE_CACHELINES: 11,
  REQUIRE_COHERENT: 12,
  CC_SHARED: 13,
} as const;
export type DmaAttrName = keyof typeof DMA_ATTR_BIT;

const ATTR_BY_BIT: DmaAttrName[] = [];
for (const [name, bit] of Object.entries(DMA_ATTR_BIT)) ATTR_BY_BIT[bit] = name as DmaAttrName;
export const DMA_ATTR_NAMES: readonly DmaAttrName[] = ATTR_BY_BIT;
export const DMA_ATTR_ALL_MASK = (1 << ATTR_BY_BIT.length) - 1;

export function isDmaAttrName(s: string): s is DmaAttrName {
  return Object.hasOwn(DMA_ATTR_BIT, s);
}

/** The dma:* tracepoints print DEBUGGING_IGNORE_CACHELINES under this name. */
export const FTRACE_ATTR_ALIASES: Readonly<Record<string, DmaAttrName>> = {
  CACHELINES_OVERLAP: 'DEBUGGING_IGNORE_CACHELINES',
};

/** Attribute names → bit mask (names must be valid). */
export function attrsToMask(attrs: readonly DmaAttrName[]): number {
  let m = 0;
  for (const a of attrs) m |= 1 << DMA_ATTR_BIT[a];
  return m;
}

/** Bit mask → attribute names in bit order (the canonical order of a trace). Unknown bits are ignored by
 * the caller's check, not here. */
export function maskToAttrs(mask: number): DmaAttrName[] {
  const out: DmaAttrName[] = [];
  for (let bit = 0; bit < ATTR_BY_BIT.length; bit++) {
    if (mask & (1 << bit)) out.push(ATTR_BY_BIT[bit] as DmaAttrName);
  }
  return out;
}
