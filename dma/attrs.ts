// Names <-> values for DMA directions and attribute bits, printed the way the kernel prints them
// (dma-debug uses DMA_* direction names; the dma:* tracepoints print bare names joined by '|').
import { DmaAttr, DmaDirection } from './types.ts';
import type { DmaAttrName, DmaDirectionName } from './types.ts';

/** Thrown for a direction or attribute name/value that is not one of the kernel's. */
export class DmaArgumentError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'DmaArgumentError';
  }
}

const DIRECTION_NAMES: readonly DmaDirectionName[] = ['BIDIRECTIONAL', 'TO_DEVICE', 'FROM_DEVICE', 'NONE'];

/** `TO_DEVICE` for 1, and so on (the tracepoint form). */
export function directionName(dir: DmaDirection): DmaDirectionName {
  const n = DIRECTION_NAMES[dir];
  if (n === undefined) throw new DmaArgumentError(`directionName: expected a DMA direction 0..3, got ${String(dir)}`);
  return n;
}

/** `DMA_TO_DEVICE` for 1 (dma-debug's dir2name). */
export function debugDirectionName(dir: DmaDirection): string {
  return `DMA_${directionName(dir)}`;
}

/** Accepts `TO_DEVICE`, `DMA_TO_DEVICE` or the number; throws DmaArgumentError otherwise. */
export function parseDirection(v: string | number, where = 'direction'): DmaDirection {
  if (typeof v === 'number') {
    if (v === 0 || v === 1 || v === 2 || v === 3) return v;
  } else {
    const name = v.startsWith('DMA_') ? v.slice(4) : v;
    if (Object.hasOwn(DmaDirection, name)) return DmaDirection[name as DmaDirectionName];
  }
  throw new DmaArgumentError(`${where}: expected BIDIRECTIONAL, TO_DEVICE, FROM_DEVICE or NONE, got ${JSON.stringify(v)}`);
}

/** A valid direction for a streaming mapping (the kernel BUG_ONs on anything else). */
export function isValidDirection(dir: number): dir is DmaDirection {
  return dir === 0 || dir === 1 || dir === 2;
}

const ATTR_ENTRIES = Object.entries(DmaAttr) as [DmaAttrName, number][];
const ALL_ATTR_BITS = ATTR_ENTRIES.reduce((m, [, b]) => m | b, 0);

/** The attribute names set in `attrs`, lowest bit first. */
export function attrNames(attrs: number): DmaAttrName[] {
  const out: DmaAttrName[] = [];
  for (const [name, bit] of ATTR_ENTRIES) if ((attrs & bit) !== 0) out.push(name);
  return out;
}

/**
 * As the dma:* tracepoints print attrs: names without DMA_ATTR_ joined by '|', empty for none;
 * DEBUGGING_IGNORE_CACHELINES prints as CACHELINES_OVERLAP (include/trace/events/dma.h).
 */
export function attrsToString(attrs: number): string {
  return attrNames(attrs)
    .map((n) => (n === 'DEBUGGING_IGNORE_CACHELINES' ? 'CACHELINES_OVERLAP' : n))
    .join('|');
}

/**
 * Parses a list of names (`["SKIP_CPU_SYNC"]`), a '|'-joined string, or a number. Accepts the DMA_ATTR_
 * prefix and the tracepoint's CACHELINES_OVERLAP; throws DmaArgumentError naming the bad entry.
 */
export function parseAttrs(v: string | number | readonly string[] | undefined, where = 'attrs'): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0 || (v & ~ALL_ATTR_BITS) !== 0) {
      throw new DmaArgumentError(`${where}: expected a mask of known DMA attribute bits, got ${v}`);
    }
    return v;
  }
  const list = typeof v === 'string' ? v.split('|').filter((s) => s.length > 0) : v;
  let mask = 0;
  for (const raw of list) {
    let name = raw.trim();
    if (name.startsWith('DMA_ATTR_')) name = name.slice(9);
    if (name === 'CACHELINES_OVERLAP') name = 'DEBUGGING_IGNORE_CACHELINES';
    if (!Object.hasOwn(DmaAttr, name)) {
      throw new DmaArgumentError(`${where}: unknown DMA attribute ${JSON.stringify(raw)} (expected e.g. SKIP_CPU_SYNC, WRITE_COMBINE)`);
    }
    mask |= DmaAttr[name as DmaAttrName];
  }
  return mask;
}

/** 0x followed by 16 hex digits, as dma-debug prints device addresses (%016llx). */
export function hex16(addr: number): string {
  return `0x${addr.toString(16).padStart(16, '0')}`;
}
