import type { EventTarget } from './event-queue.ts';
import type { Ps } from './time.ts';

/** The part of the Simulator an event needs: posting itself to the queue. */
export interface EventScheduler {
  post(delay: Ps, target: EventTarget, arg: number, priority?: number): number;
}

/**
 * Callback run when an event is processed. Declared method-style so it is bivariant: that keeps
 * SimEvent<T> covariant in T, so a SimEvent<number> can be yielded or passed where SimEvent<unknown> is.
 */
export type SimEventCallback<T> = { bivarianceHack(ev: SimEvent<T>): void }['bivarianceHack'];

export class SimEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimEventError';
  }
}

// onEvent args: PROCESS runs the callbacks of an already triggered event; FIRE_TIMEOUT first triggers it.
const PROCESS = 0;
const FIRE_TIMEOUT = 1;

/**
 * Something that happens once, SimPy-style. `succeed`/`fail` decide the outcome (triggered) and queue
 * the event; when the queue reaches it, its callbacks run in registration order (processed).
 * A failed event that nobody observes (no callback, not defused) throws its error out of `run()`,
 * so failures are never silently lost.
 */
export class SimEvent<T = unknown> implements EventTarget {
  protected readonly sim: EventScheduler;
  private _triggered = false;
  private _processed = false;
  private _ok = true;
  private _value: T | undefined = undefined;
  private _error: Error | undefined = undefined;
  private callbacks: SimEventCallback<T>[] | null = null;
  /** Set to true to say a failure is handled elsewhere (it will then not be thrown out of run()). */
  defused = false;

  constructor(sim: EventScheduler) {
    this.sim = sim;
  }

  /** Outcome decided (succeed/fail called, or a timeout reached its time). */
  get triggered(): boolean {
    return this._triggered;
  }
  /** Callbacks have run. */
  get processed(): boolean {
    return this._processed;
  }
  /** True unless the event failed (meaningful once triggered). */
  get ok(): boolean {
    return this._ok;
  }
  /** The success value; throws if not yet triggered, or the failure if the event failed. */
  get value(): T {
    if (!this._triggered) throw new SimEventError('SimEvent.value: the event has not been triggered yet');
    if (!this._ok) throw this._error!;
    return this._value as T;
  }
  /** The failure, if the event failed. */
  get error(): Error | undefined {
    return this._error;
  }

  succeed(value: T, priority = 0): this {
    this.decide(true, value, undefined);
    this.sim.post(0, this, PROCESS, priority);
    return this;
  }

  fail(error: Error, priority = 0): this {
    if (!(error instanceof Error)) throw new SimEventError(`SimEvent.fail: expected an Error, got ${String(error)}`);
    this.decide(false, undefined, error);
    this.sim.post(0, this, PROCESS, priority);
    return this;
  }

  /** Calls `cb(this)` when the event is processed (at once if it already was). */
  onTrigger(cb: SimEventCallback<T>): void {
    if (this._processed) {
      cb(this);
      return;
    }
    (this.callbacks ??= []).push(cb);
  }

  /** Queue entry point; not for direct use. */
  onEvent(arg: number): void {
    if (arg === FIRE_TIMEOUT) this._triggered = true;
    this._processed = true;
    const cbs = this.callbacks;
    this.callbacks = null;
    if (cbs === null || cbs.length === 0) {
      if (!this._ok && !this.defused) throw this._error!;
      return;
    }
    for (let i = 0; i < cbs.length; i++) cbs[i]!(this);
  }

  /** Makes this a timeout: it succeeds with `value` `delay` ps from now. */
  protected scheduleTimeout(delay: Ps, value: T): void {
    if (this._triggered) throw new SimEventError('SimEvent: already triggered');
    this._ok = true;
    this._value = value;
    this.sim.post(delay, this, FIRE_TIMEOUT);
  }

  private decide(ok: boolean, value: T | undefined, error: Error | undefined): void {
    if (this._triggered) throw new SimEventError('SimEvent: succeed/fail called on an event that was already triggered');
    this._triggered = true;
    this._ok = ok;
    this._value = value;
    this._error = error;
  }
}

/** An event that succeeds by itself `delay` ps after its creation. */
export class Timeout<T = void> extends SimEvent<T> {
  constructor(sim: EventScheduler, delay: Ps, value: T) {
    super(sim);
    this.scheduleTimeout(delay, value);
  }
}

/** Succeeds with every value (in input order) once all succeed; fails with the first failure. */
export function allOf(sim: EventScheduler, events: readonly SimEvent<unknown>[]): SimEvent<unknown[]> {
  const all = new SimEvent<unknown[]>(sim);
  const values = new Array<unknown>(events.length);
  let remaining = events.length;
  if (remaining === 0) return all.succeed(values);
  events.forEach((ev, i) => {
    ev.onTrigger((e) => {
      if (all.triggered) return;
      if (!e.ok) {
        all.fail(e.error!);
        return;
      }
      values[i] = e.value;
      if (--remaining === 0) all.succeed(values);
    });
  });
  return all;
}

export interface AnyOfResult {
  /** Position in the input list of the first event processed. */
  index: number;
  value: unknown;
}

/** Succeeds with the first event processed (its index and value); fails if that first event failed. */
export function anyOf(sim: EventScheduler, events: readonly SimEvent<unknown>[]): SimEvent<AnyOfResult> {
  if (events.length === 0) throw new SimEventError('anyOf: expected at least one event');
  const any = new SimEvent<AnyOfResult>(sim);
  events.forEach((ev, index) => {
    ev.onTrigger((e) => {
      if (any.triggered) return;
      if (!e.ok) any.fail(e.error!);
      else any.succeed({ index, value: e.value });
    });
  });
  return any;
}
