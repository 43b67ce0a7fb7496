// The trace forms' view of the kernel's DMA directions and attributes. The values are the DMA layer's
// (dma/types.ts, from include/linux/dma-direction.h and dma-mapping.h); this file adds what traces need on
// top: names in both directions, the ftrace alias, and bit 0, removed from the kernel but still named so
// that old traces decode.
import { DmaAttr, DmaDirection } from '../dma/types.ts';

/** Directions with the kernel's numeric values. */
export const DMA_DIRECTION = DmaDirection;
export type DmaDirectionName = keyof typeof DMA_DIRECTION;
/** Directions an operation may carry (the kernel BUGs on DMA_NONE for a mapping). */
export type DmaDir = 'TO_DEVICE' | 'FROM_DEVICE' | 'BIDIRECTIONAL';
export const DMA_DIRS: readonly DmaDir[] = ['BIDIRECTIONAL', 'TO_DEVICE', 'FROM_DEVICE'];

const DIR_BY_CODE: readonly DmaDirectionName[] = ['BIDIRECTIONAL', 'TO_DEVICE', 'FROM_DEVICE', 'NONE'];
export function directionName(code: number): DmaDirectionName | undefined {
  return DIR_BY_CODE[code];
}

export type DmaAttrName = 'WRITE_BARRIER' | keyof typeof DmaAttr;

/** Attribute bit numbers (DMA_ATTR_* without the prefix), from the DMA layer's masks. */
export const DMA_ATTR_BIT: Readonly<Record<DmaAttrName, number>> = {
  WRITE_BARRIER: 0,
  ...(Object.fromEntries(Object.entries(DmaAttr).map(([name, mask]) => [name, Math.log2(mask)])) as Record<keyof typeof DmaAttr, number>),
};

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
