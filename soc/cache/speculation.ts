import type { Rng } from '../../emulator/kernel/rng.ts';
import { ns } from '../../emulator/kernel/time.ts';
import type { Ps } from '../../emulator/kernel/time.ts';
import type { MemorySystem } from './memory-system.ts';

export interface SpeculationConfig {
  /** Off for benchmarks, on for bug hunting. */
  enabled: boolean;
  /** Mean time between speculative line fills (uniform in [0.5, 1.5] × mean). */
  meanIntervalNs: number;
  /** Fills land within ± this many bytes of a recent CPU access. */
  windowBytes: number;
}

/** What the engine needs from the simulator. */
export interface SpeculationScheduler {
  readonly now: Ps;
  schedule(delay: Ps, fn: () => void): unknown;
}

/**
 * ARMv7 speculative prefetch, seeded: at random times a random core fills a cacheable line of the kernel
 * linear map near one of its recent accesses, into its L1 (and L2). Every fill is logged in the line
 * history (`speculativeFill`), so the checker can explain a stale read by naming the fill.
 */
export class SpeculationEngine {
  readonly cfg: SpeculationConfig;
  fills = 0;
  private running = false;
  private readonly tick = (): void => this.onTick();

  constructor(
    private readonly ms: MemorySystem,
    private readonly sched: SpeculationScheduler,
    private readonly rng: Rng,
    cfg: SpeculationConfig,
  ) {
    if (!(cfg.meanIntervalNs > 0) || !(cfg.windowBytes >= 0)) {
      throw new RangeError(`SpeculationEngine: expected meanIntervalNs > 0 and windowBytes >= 0, got ${cfg.meanIntervalNs} / ${cfg.windowBytes}`);
    }
    this.cfg = { ...cfg };
    if (cfg.enabled) this.start();
  }

  get active(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.scheduleNext();
  }

  /** Stops after the already scheduled event (which then does nothing). */
  stop(): void {
    this.running = false;
  }

  private scheduleNext(): void {
    this.sched.schedule(ns(this.cfg.meanIntervalNs * (0.5 + this.rng.next())), this.tick);
  }

  private onTick(): void {
    if (!this.running) return;
    this.speculateOnce();
    this.scheduleNext();
  }

  /** One speculative fill attempt now; returns the line filled or -1. */
  speculateOnce(): number {
    const ms = this.ms;
    const n = ms.cores.length;
    const core = this.rng.int(n);
    const count = ms.recentCount[core]!;
    if (count === 0) return -1;
    const slots = Math.min(count, 8);
    const addr = ms.recent[core * 8 + this.rng.int(slots)]!;
    const lb = ms.lineBytes;
    const wl = Math.floor(this.cfg.windowBytes / lb);
    const la = addr - (addr % lb) + (this.rng.int(2 * wl + 1) - wl) * lb;
    if (la < 0 || !ms.attributes.inLinearMap(la)) return -1;
    ms.speculativeFill(core, la, this.sched.now);
    this.fills++;
    return la;
  }
}
