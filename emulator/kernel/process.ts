import type { EventId, EventTarget } from './event-queue.ts';
import { SimEvent } from './sim-event.ts';
import type { EventScheduler } from './sim-event.ts';

/** What a process may yield: a delay in ps, or an event to wait for. */
export type Yieldable = number | SimEvent<unknown>;
/** The value sent back into `yield` is whatever the awaited event produced, hence `any` for TNext. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ProcessGenerator<T> = Generator<Yieldable, T, any>;

/** Thrown into a process by `interrupt(cause)`. */
export class Interrupt extends Error {
  override readonly cause: unknown;
  constructor(cause: unknown) {
    super(`process interrupted${cause === undefined ? '' : `: ${String(cause)}`}`);
    this.name = 'Interrupt';
    this.cause = cause;
  }
}

export class ProcessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProcessError';
  }
}

export interface ProcessScheduler extends EventScheduler {
  cancel(id: EventId): boolean;
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new ProcessError(`process threw a non-Error: ${String(e)}`);
}

/**
 * A generator driven by the simulator, SimPy-style: `yield 1000` waits 1000 ps, `yield ev` waits for
 * `ev` and evaluates to its value (or throws its error into the generator). The Process is itself an
 * event that succeeds with the generator's return value or fails with what it threw.
 */
export class Process<T = unknown> extends SimEvent<T> {
  private readonly gen: ProcessGenerator<T>;
  private readonly scheduler: ProcessScheduler;
  /** Bumped at every wait; a wake-up carrying an older token is stale (the wait was interrupted). */
  private waitToken = 0;
  private timerId: EventId = -1;
  private pendingThrow: Error | undefined = undefined;
  private running = false;
  /** Timer wake-ups come through this one object, so waiting on a delay allocates nothing. */
  private readonly waker: EventTarget;

  constructor(sim: ProcessScheduler, gen: ProcessGenerator<T>, priority = 0) {
    super(sim);
    if (gen === null || typeof gen !== 'object' || typeof gen.next !== 'function') {
      throw new ProcessError('Simulator.process: expected a generator object (call the generator function)');
    }
    this.gen = gen;
    this.scheduler = sim;
    this.waker = {
      onEvent: (token: number) => {
        if (token !== this.waitToken) return;
        this.timerId = -1;
        const err = this.pendingThrow;
        this.pendingThrow = undefined;
        if (err !== undefined) this.resume(true, err);
        else this.resume(false, undefined);
      },
    };
    this.timerId = sim.post(0, this.waker, ++this.waitToken, priority);
  }

  /** Still running (not returned or thrown). */
  get isAlive(): boolean {
    return !this.triggered;
  }

  /**
   * Throws `Interrupt(cause)` into the process at the current time, abandoning what it was waiting for.
   * The event it waited on still happens; the process just no longer reacts to it.
   */
  interrupt(cause?: unknown): void {
    if (this.triggered) throw new ProcessError('Process.interrupt: the process has already finished');
    if (this.running) throw new ProcessError('Process.interrupt: a process cannot interrupt itself');
    if (this.timerId !== -1) this.scheduler.cancel(this.timerId);
    this.pendingThrow = new Interrupt(cause);
    this.timerId = this.scheduler.post(0, this.waker, ++this.waitToken);
  }

  private resume(isError: boolean, input: unknown): void {
    this.running = true;
    let throwing = isError;
    let send = input;
    try {
      for (;;) {
        let r: IteratorResult<Yieldable, T>;
        try {
          r = throwing ? this.gen.throw(send) : this.gen.next(send);
        } catch (e) {
          this.fail(asError(e));
          return;
        }
        if (r.done === true) {
          this.succeed(r.value);
          return;
        }
        const y = r.value;
        if (typeof y === 'number') {
          try {
            this.timerId = this.scheduler.post(y, this.waker, ++this.waitToken);
            return;
          } catch (e) {
            // A bad delay (negative, fractional, past 2^53) is thrown back into the process.
            throwing = true;
            send = e;
            continue;
          }
        }
        if (y instanceof SimEvent) {
          if (y.processed) {
            // Already happened: continue at once with its outcome.
            throwing = !y.ok;
            send = y.ok ? y.value : y.error;
            continue;
          }
          const token = ++this.waitToken;
          y.onTrigger((ev) => {
            if (token !== this.waitToken) return;
            if (ev.ok) this.resume(false, ev.value);
            else this.resume(true, ev.error);
          });
          return;
        }
        throwing = true;
        send = new ProcessError(`process yielded ${typeof y} (${String(y)}); expected a delay in ps or a SimEvent`);
      }
    } finally {
      this.running = false;
    }
  }
}
