import { describe, it, expect } from 'vitest';
import { PAGE_ELEMENTS, PagedArray } from './paged-array.ts';

const BASE = 0x4000_0000;

describe('PagedArray small and bulk copies', () => {
  it('round-trips short writes inside a page and across a page boundary', () => {
    const a = new PagedArray((n) => new Uint8Array(n), BASE, 4 * PAGE_ELEMENTS, 'dram');
    const src = Uint8Array.from({ length: 64 }, (_, i) => i + 1);
    a.write(BASE + 100, src, 0, 64);
    a.write(BASE + PAGE_ELEMENTS - 10, src, 3, 40); // straddles pages 0 and 1
    const dst = new Uint8Array(80);
    a.read(BASE + 100, dst, 5, 64);
    expect(Array.from(dst.subarray(5, 69))).toEqual(Array.from(src));
    a.read(BASE + PAGE_ELEMENTS - 10, dst, 0, 40);
    expect(Array.from(dst.subarray(0, 40))).toEqual(Array.from(src.subarray(3, 43)));
  });

  it('reads zeros from untouched pages for short and long reads, allocating nothing', () => {
    const a = new PagedArray((n) => new Uint32Array(n), BASE, 4 * PAGE_ELEMENTS, 'versions');
    const dst = new Uint32Array(200).fill(7);
    a.read(BASE + 3 * PAGE_ELEMENTS + 8, dst, 1, 32);
    a.read(BASE + 8, dst, 100, 100);
    expect(dst[0]).toBe(7);
    expect(Array.from(dst.subarray(1, 33)).every((v) => v === 0)).toBe(true);
    expect(Array.from(dst.subarray(100)).every((v) => v === 0)).toBe(true);
    expect(a.residentPages()).toBe(0);
  });

  it('keeps short and bulk writes of version planes consistent with fill', () => {
    const a = new PagedArray((n) => new Uint32Array(n), BASE, 4 * PAGE_ELEMENTS, 'versions');
    a.fill(BASE, 1000, 5);
    a.write(BASE + 10, Uint32Array.of(9, 9, 9), 0, 3);
    const dst = new Uint32Array(1000);
    a.read(BASE, dst, 0, 1000);
    expect(dst[9]).toBe(5);
    expect(Array.from(dst.subarray(10, 13))).toEqual([9, 9, 9]);
    expect(dst[13]).toBe(5);
    expect(dst[999]).toBe(5);
  });

  it('throws a range error naming the store for an access outside it', () => {
    const a = new PagedArray((n) => new Uint8Array(n), BASE, PAGE_ELEMENTS, 'dram');
    expect(() => a.read(BASE + PAGE_ELEMENTS - 4, new Uint8Array(8), 0, 8)).toThrow(/dram\.read: access of 8 bytes/);
  });
});
