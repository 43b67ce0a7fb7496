import { ClockDomain, Simulator } from '../emulator/kernel/index.ts';
import type { Logger, Ps } from '../emulator/kernel/index.ts';
import { AddressMap, Dram, MmioRegisters, PhysicalMemory } from './memory/index.ts';
import { DramTiming } from './dram/index.ts';
import { Interconnect } from './interconnect/index.ts';
import type { MasterId } from './interconnect/index.ts';
import { MemorySystem } from './cache/memory-system.ts';
import { SpeculationEngine } from './cache/speculation.ts';
import type { SpeculationConfig } from './cache/speculation.ts';
import { CpuCore } from './cpu/cpu-core.ts';
import { getPreset } from './presets/registry.ts';
import type { Preset } from './presets/preset.ts';

export interface SocOptions {
  /** Seed of every random choice (replacement, speculation); default 1. */
  seed?: number;
  /** Turn speculative prefetch on/off or override its parameters (default: the preset's, off). */
  speculation?: boolean | Partial<SpeculationConfig>;
  /** Keep per-line event history (default true; benches turn it off). */
  history?: boolean;
  logger?: Logger;
}

/** One assembled machine: the only place that wires kernel, memory, interconnect, caches and cores. */
export interface Soc {
  readonly preset: Preset;
  readonly seed: number;
  readonly sim: Simulator;
  readonly cpuClock: ClockDomain;
  readonly map: AddressMap;
  readonly dram: Dram;
  /** Functional access over the whole address map (DRAM and MMIO), for devices and table walks. */
  readonly physical: PhysicalMemory;
  readonly dramTiming: DramTiming;
  readonly interconnect: Interconnect;
  /** The CPU cluster's master on the interconnect. */
  readonly cpuMaster: MasterId;
  readonly memory: MemorySystem;
  readonly cores: CpuCore[];
  readonly speculation: SpeculationEngine;
  readonly mmio: Readonly<Record<string, MmioRegisters>>;
}

export function createSoc(preset: string | Preset, opts: SocOptions = {}): Soc {
  const p = typeof preset === 'string' ? getPreset(preset) : preset;
  const seed = opts.seed ?? 1;
  const sim = new Simulator(opts.logger === undefined ? { seed } : { seed, logger: opts.logger });
  const cpuClock = new ClockDomain('cpu', p.cpu.hz);
  const map = new AddressMap();
  const dram = new Dram(p.dram.base, p.dram.size, 'dram0');
  map.add({ name: 'dram0', base: p.dram.base, size: p.dram.size, kind: 'dram', target: dram });
  const mmio: Record<string, MmioRegisters> = {};
  for (const [name, block] of Object.entries(p.mmio)) {
    const regs = new MmioRegisters(name, block.base, block.size);
    mmio[name] = regs;
    map.add({ name, base: block.base, size: block.size, kind: 'mmio', target: regs });
  }
  const physical = new PhysicalMemory(map);
  const dramTiming = new DramTiming(p.dram.timing);
  const interconnect = new Interconnect(sim, map, dramTiming, p.interconnect);
  const cpuMaster = interconnect.addMaster({ name: 'cpu', ...p.cpuPort });
  const cores: CpuCore[] = [];
  for (let i = 0; i < p.cpu.cores; i++) cores.push(new CpuCore(i, cpuClock, p.cpu.tlb, sim));
  const memory = new MemorySystem({
    cores,
    clock: cpuClock,
    rng: sim.rng.fork('caches'),
    time: sim,
    memory: dram,
    timing: { accessDelay: (addr: number, len: number, isWrite: boolean, now: Ps) => interconnect.accessDelay(cpuMaster, addr, len, isWrite, now) },
    l1: p.l1d,
    l2: p.l2,
    cpu: p.cpu.timing,
    l1Maintenance: p.l1Maintenance,
    linearMap: { base: p.dram.base, size: p.dram.size },
    history: opts.history ?? true,
    deviceTarget: physical,
  });
  const spec = opts.speculation;
  const specCfg: SpeculationConfig =
    spec === undefined ? { ...p.speculation } : typeof spec === 'boolean' ? { ...p.speculation, enabled: spec } : { ...p.speculation, enabled: true, ...spec };
  const speculation = new SpeculationEngine(memory, sim, sim.rng.fork('speculation'), specCfg);
  return { preset: p, seed, sim, cpuClock, map, dram, physical, dramTiming, interconnect, cpuMaster, memory, cores, speculation, mmio };
}
