import { describe, expect, it } from 'vitest';
import { Kmalloc } from './kmalloc.ts';
import { AllocatorError, PageRangeAllocator } from './page-alloc.ts';
import { KernelVmArea } from './vm-area.ts';

describe('PageRangeAllocator', () => {
  it('hands out first fit, aligned runs and reuses freed ones', () => {
    const a = new PageRangeAllocator('t', 0x40000000, 64 * 4096);
    const x = a.alloc(4096);
    const y = a.alloc(3 * 4096, 4);
    expect(x).toBe(0x40000000);
    expect(y % (4 * 4096)).toBe(0);
    expect(a.usedBytes).toBe(4 * 4096);
    a.free(x);
    expect(a.alloc(100)).toBe(0x40000000);
  });
  it('respects the address limit and reports exhaustion as -1', () => {
    const a = new PageRangeAllocator('t', 0x1000, 4 * 4096);
    expect(a.alloc(4096, 1, 0x1000 + 4096 - 1)).toBe(0x1000);
    expect(a.alloc(4096, 1, 0x1000 + 4096 - 1)).toBe(-1);
    expect(a.alloc(16 * 4096)).toBe(-1);
  });
  it('refuses a free of something not allocated', () => {
    const a = new PageRangeAllocator('t', 0, 8 * 4096);
    expect(() => a.free(4096)).toThrow(AllocatorError);
  });
});

describe('Kmalloc', () => {
  const pages = (): PageRangeAllocator => new PageRangeAllocator('pages', 0x40000000, 256 * 4096);
  it('packs small objects of one class next to each other', () => {
    const k = new Kmalloc(pages(), 8);
    const a = k.kmalloc(4);
    const b = k.kmalloc(4);
    expect(b - a).toBe(8);
    // With 8-byte alignment the two share a 64-byte cache line: the arm64 v6.5 situation.
    expect(Math.floor(a / 64)).toBe(Math.floor(b / 64));
  });
  it('with a 64-byte minimum alignment never puts two objects in one 64-byte line', () => {
    const k = new Kmalloc(pages(), 64);
    const addrs = [4, 17, 30, 64, 96, 100].map((s) => k.kmalloc(s));
    for (const a of addrs) expect(a % 64).toBe(0);
    expect(k.classSize(96)).toBe(128);
    expect(k.classSize(130)).toBe(192);
  });
  it('with 32-byte alignment keeps the 96-byte class', () => {
    const k = new Kmalloc(pages(), 32);
    expect(k.classSize(80)).toBe(96);
  });
  it('reuses the last freed object first and rejects double frees', () => {
    const k = new Kmalloc(pages(), 64);
    const a = k.kmalloc(50);
    k.kmalloc(50);
    k.kfree(a);
    expect(k.kmalloc(60)).toBe(a);
    k.kfree(a);
    expect(() => k.kfree(a)).toThrow(/not a live kmalloc object/);
  });
  it('serves large sizes from naturally aligned pages', () => {
    const k = new Kmalloc(pages(), 64);
    const a = k.kmalloc(20000);
    expect(a % (8 * 4096)).toBe(0);
    expect(k.lookup(a)?.large).toBe(true);
    k.kfree(a);
  });
});

describe('KernelVmArea', () => {
  it('maps, translates and unmaps page-granular remaps in the 2 MiB consistent area', () => {
    const vm = new KernelVmArea();
    expect(vm.base).toBe(0xffc00000);
    const va = vm.map(0x45000000, 5000, 'normal-nc', 't');
    expect(vm.usedBytes).toBe(8192);
    expect(vm.find(va + 4100)?.phys).toBe(0x45000000);
    vm.unmap(va);
    expect(vm.usedBytes).toBe(0);
    expect(vm.find(va)).toBeUndefined();
  });
  it('fails when full', () => {
    const vm = new KernelVmArea(0xffc00000, 8192);
    expect(vm.map(0, 8192, 'normal-nc', 'a')).toBe(0xffc00000);
    expect(vm.map(0, 4096, 'normal-nc', 'b')).toBe(-1);
  });
});
