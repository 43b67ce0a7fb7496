import { describe, it, expect } from 'vitest';
import { AddressMap, AddressMapError } from './address-map.ts';
import { BusError } from './bus-error.ts';
import { Dram } from './dram-store.ts';
import { MmioRegisters } from './mmio-registers.ts';
import { PhysicalMemory } from './physical-memory.ts';
import { readU32, writeU32 } from './memory-target.ts';

function exynosLikeMap(): AddressMap {
  const map = new AddressMap();
  map.add({ name: 'dram0', base: 0x4000_0000, size: 0x4000_0000, kind: 'dram', target: new Dram(0x4000_0000, 0x4000_0000) });
  map.add({ name: 'pdma0', base: 0x1268_0000, size: 0x1000, kind: 'mmio', target: new MmioRegisters('pdma0', 0x1268_0000, 0x1000) });
  map.add({ name: 'iram', base: 0x0202_0000, size: 0x4_0000, kind: 'sram', target: new Dram(0x0202_0000, 0x4_0000, 'iram') });
  return map;
}

describe('AddressMap', () => {
  it('finds regions by address, sorted by base', () => {
    const map = exynosLikeMap();
    expect(map.find(0x4000_0000)?.name).toBe('dram0');
    expect(map.find(0x7fff_ffff)?.name).toBe('dram0');
    expect(map.find(0x8000_0000)).toBeUndefined();
    expect(map.find(0x1268_0ffc)?.name).toBe('pdma0');
    expect(map.find(0x1268_1000)).toBeUndefined();
    expect(map.find(0x0202_0000)?.name).toBe('iram');
    expect(map.regions().map((r) => r.name)).toEqual(['iram', 'pdma0', 'dram0']);
  });

  it('refuses overlapping regions, naming both', () => {
    const map = exynosLikeMap();
    const t = new Dram(0x7fff_f000, 0x2000);
    expect(() => map.add({ name: 'late', base: 0x7fff_f000, size: 0x2000, kind: 'dram', target: t })).toThrow(AddressMapError);
    expect(() => map.add({ name: 'late', base: 0x7fff_f000, size: 0x2000, kind: 'dram', target: t })).toThrow(/late.*overlaps region dram0/);
    expect(() => map.add({ name: 'low', base: 0x1267_f000, size: 0x1001, kind: 'mmio', target: t })).toThrow(/overlaps region pdma0/);
    // Touching (adjacent) regions are fine.
    map.add({ name: 'adjacent', base: 0x1268_1000, size: 0x1000, kind: 'mmio', target: t });
    expect(map.find(0x1268_1000)?.name).toBe('adjacent');
  });

  it('raises a bus error naming address and master for an unmapped access', () => {
    const map = exynosLikeMap();
    let err: unknown;
    try {
      map.resolve(0xc000_0000, 64, 'fimc', 'write');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BusError);
    const be = err as BusError;
    expect(be.message).toBe('bus error: fimc write of 64 bytes at 0x00000000c0000000 hits no region (master fimc)');
    expect(be.addr).toBe(0xc000_0000);
    expect(be.len).toBe(64);
    expect(be.master).toBe('fimc');
    expect(be.op).toBe('write');
  });

  it('refuses an access that straddles two regions or runs off the end of one', () => {
    const map = exynosLikeMap();
    map.add({ name: 'pdma0b', base: 0x1268_1000, size: 0x1000, kind: 'mmio', target: new MmioRegisters('b', 0x1268_1000, 0x1000) });
    expect(() => map.resolve(0x1268_0ffc, 8, 'cpu', 'read')).toThrow(/straddles regions pdma0 and pdma0b/);
    expect(() => map.resolve(0x7fff_fff0, 32, 'mdma', 'read')).toThrow(/runs past the end of region dram0.*master mdma/);
    expect(map.resolve(0x7fff_ffe0, 32, 'mdma', 'read').name).toBe('dram0');
  });
});

describe('PhysicalMemory', () => {
  it('routes reads and writes to the region targets', () => {
    const pm = new PhysicalMemory(exynosLikeMap());
    writeU32(pm, 0x4010_0000, 0xcafef00d);
    writeU32(pm, 0x0202_0010, 0x11223344);
    expect(readU32(pm, 0x4010_0000)).toBe(0xcafef00d);
    expect(readU32(pm, 0x0202_0010)).toBe(0x11223344);
    pm.fill(0x4010_0000, 2, 0);
    expect(readU32(pm, 0x4010_0000)).toBe(0xcafe0000);
  });

  it('names the master in bus errors', () => {
    const pm = new PhysicalMemory(exynosLikeMap());
    expect(() => pm.read(0x1000, new Uint8Array(4), 0, 4)).toThrow(/cpu read of 4 bytes at 0x0000000000001000 hits no region \(master cpu\)/);
    expect(() => pm.write(0x1000, new Uint8Array(4), 0, 4, 'pdma0')).toThrow(/master pdma0/);
  });
});

describe('MmioRegisters', () => {
  it('stores registers and runs read and write hooks', () => {
    const regs = new MmioRegisters('dev', 0x1000, 0x100);
    let writes = 0;
    regs.onWrite(0x20, (_off, value) => {
      writes++;
      regs.poke(0x24, value * 2); // a write side effect on another register
    });
    regs.onRead(0x28, () => 0x55);
    writeU32(regs, 0x1020, 21);
    expect(writes).toBe(1);
    expect(readU32(regs, 0x1024)).toBe(42);
    expect(readU32(regs, 0x1028)).toBe(0x55);
    expect(regs.peek(0x28)).toBe(0);
  });

  it('refuses unaligned or partial-word accesses', () => {
    const regs = new MmioRegisters('dev', 0x1000, 0x100);
    expect(() => regs.read(0x1002, new Uint8Array(4), 0, 4)).toThrow(/aligned 32-bit/);
    expect(() => regs.write(0x1000, new Uint8Array(2), 0, 2)).toThrow(/aligned 32-bit/);
  });
});
