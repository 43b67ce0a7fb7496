import { describe, it, expect } from 'vitest';
import { ClockDomain } from '../../emulator/kernel/index.ts';
import { CpuCore } from './cpu-core.ts';
import { Tlb } from './tlb.ts';

const TLB = { microEntries: 32, mainEntries: 128, mainWays: 2, pageBytes: 4096, microMissCycles: 7, walkCycles: 9 };

describe('CpuCore', () => {
  it('is busy while it works: work queues behind earlier work and starts no earlier than now', () => {
    const time = { now: 0 };
    const core = new CpuCore(0, new ClockDomain('cpu', 1_000_000_000), TLB, time);
    expect(core.exec(100)).toBe(100_000);
    expect(core.exec(50)).toBe(150_000);
    time.now = 1_000_000;
    expect(core.startTime()).toBe(1_000_000);
    expect(core.exec(1)).toBe(1_001_000);
    expect(() => core.exec(-1)).toThrow(/non-negative integer/);
  });
});

describe('Tlb', () => {
  it('micro hit is free, micro miss + main hit costs microMissCycles, main miss adds a walk', () => {
    const tlb = new Tlb(TLB);
    expect(tlb.access(0)).toBe(16);
    expect(tlb.access(100)).toBe(0);
    for (let p = 1; p <= 32; p++) tlb.access(p * 4096); // pushes page 0 out of the 32-entry micro-TLB
    expect(tlb.access(0)).toBe(7);
    for (let p = 0; p < 300; p++) tlb.access(p * 4096 * 64); // same main set, evicts page 0 there
    expect(tlb.access(0)).toBe(16);
  });
});
