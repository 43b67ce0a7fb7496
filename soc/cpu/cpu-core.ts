import type { ClockDomain } from '../../emulator/kernel/clock.ts';
import type { Ps } from '../../emulator/kernel/time.ts';
import { CycleTime } from '../cache/cycle-time.ts';
import { Tlb } from './tlb.ts';
import type { TlbConfig } from './tlb.ts';

/** What a core needs from the simulator: the current time. */
export interface TimeSource {
  readonly now: Ps;
}

/**
 * A Cortex-A9 style core. It is busy until `busyUntil`: work charged with `exec` starts when the core is
 * free (or now, if later), so DMA-API maintenance competes with the rest of the CPU's work.
 * Memory-system calls return CPU cycles; the caller charges them with `exec`.
 */
export class CpuCore {
  readonly id: number;
  readonly clock: ClockDomain;
  readonly tlb: Tlb;
  busyUntil: Ps = 0;
  /** Total cycles charged (for utilisation stats). */
  busyCycles = 0;
  /** clock.cyclesToPs with its exact float shortcut: exec runs once per charged access. */
  private readonly cycleTime: CycleTime;

  constructor(
    id: number,
    clock: ClockDomain,
    tlb: TlbConfig,
    private readonly time: TimeSource,
  ) {
    this.id = id;
    this.clock = clock;
    this.tlb = new Tlb(tlb);
    this.cycleTime = new CycleTime(clock);
  }

  /** When new work on this core can start. */
  startTime(): Ps {
    const now = this.time.now;
    return this.busyUntil > now ? this.busyUntil : now;
  }

  /** exec's error (built out of exec, which every CPU access runs: V8 inlines it). */
  private rejectCycles(cycles: number): never {
    throw new RangeError(`CpuCore ${this.id}.exec: expected a non-negative integer cycle count, got ${cycles}`);
  }

  /** Occupies the core for `cycles` from its start time; returns the completion time. */
  exec(cycles: number): Ps {
    if (!Number.isSafeInteger(cycles) || cycles < 0) this.rejectCycles(cycles);
    const start = this.startTime();
    this.busyUntil = start + this.cycleTime.toPs(cycles);
    this.busyCycles += cycles;
    return this.busyUntil;
  }
}
