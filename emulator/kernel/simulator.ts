import { EventLane } from './event-lane.ts';
import { EventQueue } from './event-queue.ts';
import type { EventCallback, EventId, EventTarget } from './event-queue.ts';
import { rootLogger } from './log.ts';
import type { Logger } from './log.ts';
import { Process } from './process.ts';
import type { ProcessGenerator } from './process.ts';
import { Rng } from './rng.ts';
import { SimEvent, Timeout, allOf, anyOf } from './sim-event.ts';
import type { AnyOfResult } from './sim-event.ts';
import { Stats } from './stats.ts';
import { InvalidTimeError, MAX_TIME_PS, TimeOverflowError, checkTime } from './time.ts';
import type { Ps } from './time.ts';
import type { Tracer } from './tracer.ts';

export interface SimulatorOptions {
  seed: number;
  logger?: Logger;
  /** Initial event-queue capacity (it grows by doubling). */
  queueCapacity?: number;
}

export class SimulatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulatorError';
  }
}

/**
 * The discrete-event simulator (SimPy's Environment): a clock in integer ps and a queue of events
 * popped in (time, priority, insertion) order; lower priority numbers run first at equal times.
 */
export class Simulator {
  readonly seed: number;
  readonly rng: Rng;
  readonly stats: Stats;
  readonly log: Logger;
  /** The timeline hook (Perfetto export); layers emit only when it is set. */
  tracer: Tracer | null = null;
  private _now: Ps = 0;
  private readonly queue: EventQueue;
  private running = false;
  private stopRequested = false;
  /** The lane (made on first use), whose events run merged with the queue's. */
  private fastLane: EventLane | null = null;

  constructor(opts: SimulatorOptions) {
    if (opts === undefined || !Number.isInteger(opts.seed)) {
      throw new SimulatorError(`Simulator: expected an integer seed, got ${opts?.seed}`);
    }
    this.seed = opts.seed;
    this.rng = new Rng(opts.seed);
    this.stats = new Stats();
    this.log = opts.logger ?? rootLogger();
    this.queue = new EventQueue(opts.queueCapacity ?? 1024);
  }

  /** Current simulated time in ps. */
  get now(): Ps {
    return this._now;
  }

  /** Number of events scheduled and not yet fired or cancelled. */
  get pending(): number {
    return this.queue.size + (this.fastLane !== null ? this.fastLane.size : 0);
  }

  /** Time of the next pending event, or Infinity. */
  peek(): number {
    const t = this.queue.peekTime();
    const lane = this.fastLane;
    return lane !== null && lane.headTime < t ? lane.headTime : t;
  }

  /**
   * The lane, shared by the components that keep a few near-term priority-0 events each and fire many
   * (see EventLane): `lane().schedule(target, time, arg)` is `post(time - now, target, arg)`.
   */
  lane(): EventLane {
    return (this.fastLane ??= new EventLane(this));
  }

  /** The sequence number a post made now would take (for a lane event scheduled now). */
  reserveSeq(): number {
    return this.queue.reserveSeq();
  }

  /** Whether the lane's earliest event runs before the queue's earliest (time `t`, NaN when the queue is empty). */
  private laneFirst(lane: EventLane, t: number): boolean {
    const lt = lane.headTime;
    return lt < t || (lt === t && this.queue.headAfter(lane.headSeq)) || (t !== t && lt !== Infinity);
  }

  /** Calls `fn` after `delay` ps. */
  schedule(delay: Ps, fn: EventCallback, priority = 0): EventId {
    if (typeof fn !== 'function') throw new SimulatorError(`Simulator.schedule: expected a function, got ${typeof fn}`);
    return this.enqueue(delay, fn, 0, priority, 'Simulator.schedule');
  }

  /** Calls `fn` at absolute time `time` (not in the past). */
  scheduleAt(time: Ps, fn: EventCallback, priority = 0): EventId {
    if (typeof fn !== 'function') throw new SimulatorError(`Simulator.scheduleAt: expected a function, got ${typeof fn}`);
    checkTime(time, 'Simulator.scheduleAt');
    if (time < this._now) {
      throw new SimulatorError(`Simulator.scheduleAt: time ${time} ps is in the past (now ${this._now} ps)`);
    }
    return this.enqueue(time - this._now, fn, 0, priority, 'Simulator.scheduleAt');
  }

  /** Calls `target.onEvent(arg)` after `delay` ps; allocates nothing (the hot path). */
  post(delay: Ps, target: EventTarget, arg: number, priority?: number): EventId {
    // Same checks as enqueue, written out and kept small: V8 inlines run -> onEvent -> post -> push into
    // one loop only while their bytecode fits its inlining budget (a default parameter alone costs ~20
    // bytes, hence `priority | 0`, which maps undefined to 0 once the check has passed).
    const t = this._now + delay;
    if (!(delay >= 0 && t <= MAX_TIME_PS && delay === Math.floor(delay) && (priority === undefined || (priority | 0) === priority))) {
      this.rejectSchedule(delay, t, priority ?? 0, 'Simulator.post');
    }
    return this.queue.push(t, priority! | 0, target, arg);
  }

  /** Cancels a pending event; false if it already fired or was cancelled. */
  cancel(id: EventId): boolean {
    return this.queue.cancel(id);
  }

  /**
   * Runs events in order until none is left or the next is later than `until` (events at exactly
   * `until` do run). When stopped by `until`, `now` is left at `until`. An exception from an event
   * propagates out with `now` at that event's time and the remaining events still queued.
   */
  run(until: Ps = Infinity): void {
    if (this.running) throw new SimulatorError('Simulator.run: called from inside an event (re-entrant run)');
    if (until !== Infinity) {
      checkTime(until, 'Simulator.run(until)');
      if (until < this._now) {
        throw new SimulatorError(`Simulator.run: until ${until} ps is before now (${this._now} ps)`);
      }
    }
    this.running = true;
    this.stopRequested = false;
    const q = this.queue;
    try {
      for (;;) {
        const t = q.headTime();
        const lane = this.fastLane;
        if (lane !== null && this.laneFirst(lane, t)) {
          const lt = lane.headTime;
          if (!(lt <= until)) break;
          this._now = lt;
          lane.fireHead();
          if (this.stopRequested) return;
          continue;
        }
        if (!(t <= until)) break; // NaN (empty) or later than until
        // Handler and arg are read before the event runs: its own posts may reuse the freed slot.
        const slot = q.takeRoot();
        this._now = t;
        const h = q.handlerOf(slot)!;
        if (typeof h === 'function') h();
        else h.onEvent(q.argOf(slot));
        if (this.stopRequested) return;
      }
      if (until !== Infinity) this._now = until;
    } finally {
      this.running = false;
      this.stopRequested = false;
    }
  }

  /** Runs exactly one event; false when none is pending. */
  step(): boolean {
    if (this.running) throw new SimulatorError('Simulator.step: called from inside an event (re-entrant step)');
    const q = this.queue;
    const lane = this.fastLane;
    if (lane !== null && this.laneFirst(lane, q.headTime())) {
      this._now = lane.headTime;
      this.running = true;
      try {
        lane.fireHead();
      } finally {
        this.running = false;
      }
      return true;
    }
    if (!q.popUntil(Infinity)) return false;
    this._now = q.time;
    const h = q.handler!;
    q.handler = undefined;
    this.running = true;
    try {
      if (typeof h === 'function') h();
      else h.onEvent(q.arg);
    } finally {
      this.running = false;
    }
    return true;
  }

  /** Makes the current run() return after the event being processed. */
  stop(): void {
    this.stopRequested = this.running;
  }

  /** Starts a SimPy-style process at the current time. */
  process<T>(gen: ProcessGenerator<T>, priority = 0): Process<T> {
    return new Process<T>(this, gen, priority);
  }

  /** A fresh event to succeed or fail later. */
  event<T = void>(): SimEvent<T> {
    return new SimEvent<T>(this);
  }

  /** An event that succeeds `delay` ps from now (with `value`). */
  timeout(delay: Ps): SimEvent<void>;
  timeout<T>(delay: Ps, value: T): SimEvent<T>;
  timeout<T>(delay: Ps, value?: T): SimEvent<T | undefined> {
    return new Timeout<T | undefined>(this, delay, value);
  }

  /** Succeeds with all values once every event succeeded; fails on the first failure. */
  allOf(events: readonly SimEvent<unknown>[]): SimEvent<unknown[]> {
    return allOf(this, events);
  }

  /** Succeeds with { index, value } of the first event to happen. */
  anyOf(events: readonly SimEvent<unknown>[]): SimEvent<AnyOfResult> {
    return anyOf(this, events);
  }

  private enqueue(delay: Ps, handler: EventCallback | EventTarget, arg: number, priority: number, where: string): EventId {
    const t = this._now + delay;
    // One combined check on the hot path; the slow path works out which rule was broken.
    if (!(delay >= 0 && t <= MAX_TIME_PS) || delay !== Math.floor(delay) || (priority | 0) !== priority) {
      this.rejectSchedule(delay, t, priority, where);
    }
    return this.queue.push(t, priority, handler, arg);
  }

  private rejectSchedule(delay: number, t: number, priority: number, where: string): never {
    if ((priority | 0) !== priority) {
      throw new SimulatorError(`${where}: expected an int32 priority, got ${priority}`);
    }
    if (delay < 0) {
      throw new SimulatorError(`${where}: delay ${delay} ps would schedule in the past (now ${this._now} ps)`);
    }
    if (t > MAX_TIME_PS) throw new TimeOverflowError(t, where);
    throw new InvalidTimeError(delay, `${where} delay`);
  }
}
