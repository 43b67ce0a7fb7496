import { describe, expect, it } from 'vitest';
import { DmaArgumentError, attrNames, attrsToString, debugDirectionName, directionName, parseAttrs, parseDirection } from './attrs.ts';
import { DmaAttr, DmaDirection } from './types.ts';

describe('directions', () => {
  it('use the kernel values and names', () => {
    expect([DmaDirection.BIDIRECTIONAL, DmaDirection.TO_DEVICE, DmaDirection.FROM_DEVICE, DmaDirection.NONE]).toEqual([0, 1, 2, 3]);
    expect(directionName(DmaDirection.FROM_DEVICE)).toBe('FROM_DEVICE');
    expect(debugDirectionName(DmaDirection.TO_DEVICE)).toBe('DMA_TO_DEVICE');
  });
  it('parse names with or without the DMA_ prefix and reject others', () => {
    expect(parseDirection('TO_DEVICE')).toBe(1);
    expect(parseDirection('DMA_FROM_DEVICE')).toBe(2);
    expect(parseDirection(0)).toBe(0);
    expect(() => parseDirection('SIDEWAYS')).toThrow(DmaArgumentError);
    expect(() => parseDirection(7)).toThrow(/expected BIDIRECTIONAL/);
  });
});

describe('attributes', () => {
  it('have the kernel bit values', () => {
    expect(DmaAttr.WRITE_COMBINE).toBe(4);
    expect(DmaAttr.NO_KERNEL_MAPPING).toBe(16);
    expect(DmaAttr.SKIP_CPU_SYNC).toBe(32);
    expect(DmaAttr.DEBUGGING_IGNORE_CACHELINES).toBe(2048);
  });
  it('print as the dma tracepoints do', () => {
    expect(attrsToString(0)).toBe('');
    expect(attrsToString(DmaAttr.SKIP_CPU_SYNC | DmaAttr.WRITE_COMBINE)).toBe('WRITE_COMBINE|SKIP_CPU_SYNC');
    expect(attrsToString(DmaAttr.DEBUGGING_IGNORE_CACHELINES)).toBe('CACHELINES_OVERLAP');
  });
  it('round-trip through names, strings and numbers', () => {
    const mask = DmaAttr.NO_WARN | DmaAttr.NO_KERNEL_MAPPING | DmaAttr.DEBUGGING_IGNORE_CACHELINES;
    expect(parseAttrs(attrNames(mask))).toBe(mask);
    expect(parseAttrs(attrsToString(mask))).toBe(mask);
    expect(parseAttrs('DMA_ATTR_SKIP_CPU_SYNC')).toBe(DmaAttr.SKIP_CPU_SYNC);
    expect(parseAttrs(undefined)).toBe(0);
    expect(parseAttrs(mask)).toBe(mask);
  });
  it('reject unknown names and bits', () => {
    expect(() => parseAttrs(['SKIP_CPU_SYNC', 'FAST'])).toThrow(/unknown DMA attribute "FAST"/);
    expect(() => parseAttrs(1 << 20)).toThrow(DmaArgumentError);
  });
});
