import { describe, it, expect } from 'vitest';
import { Simulator, SimulatorError } from './simulator.ts';
import { Interrupt } from './process.ts';
import type { SimEvent } from './sim-event.ts';
import { TimeOverflowError, MAX_TIME_PS } from './time.ts';

const mk = () => new Simulator({ seed: 42 });

describe('Simulator scheduling', () => {
  it('runs callbacks in (time, priority, insertion) order and advances now', () => {
    const sim = mk();
    const log: string[] = [];
    sim.schedule(20, () => log.push(`b@${sim.now}`));
    sim.schedule(10, () => log.push(`late-prio@${sim.now}`), 5);
    sim.schedule(10, () => log.push(`first@${sim.now}`), -1);
    sim.schedule(10, () => log.push(`second@${sim.now}`), -1);
    sim.scheduleAt(5, () => log.push(`at@${sim.now}`));
    sim.run();
    expect(log).toEqual(['at@5', 'first@10', 'second@10', 'late-prio@10', 'b@20']);
    expect(sim.now).toBe(20);
  });

  it('post calls target.onEvent(arg)', () => {
    const sim = mk();
    const got: number[] = [];
    const target = { onEvent: (a: number) => void got.push(a, sim.now) };
    sim.post(7, target, 3.5);
    sim.run();
    expect(got).toEqual([3.5, 7]);
  });

  it('run(until) runs events at until, leaves later ones, and sets now = until', () => {
    const sim = mk();
    const log: number[] = [];
    for (const t of [100, 200, 300]) sim.schedule(t, () => log.push(t));
    sim.run(200);
    expect(log).toEqual([100, 200]);
    expect(sim.now).toBe(200);
    sim.run(250);
    expect(sim.now).toBe(250);
    expect(sim.pending).toBe(1);
    sim.run();
    expect(log).toEqual([100, 200, 300]);
    expect(() => sim.run(10)).toThrow(SimulatorError);
  });

  it('cancelled events never fire; cancel after fire returns false', () => {
    const sim = mk();
    let fired = 0;
    const a = sim.schedule(10, () => fired++);
    const b = sim.schedule(20, () => fired++);
    expect(sim.cancel(a)).toBe(true);
    sim.run();
    expect(fired).toBe(1);
    expect(sim.cancel(b)).toBe(false);
  });

  it('refuses the past, fractional delays, bad priorities and the 2^53 limit', () => {
    const sim = mk();
    sim.schedule(100, () => {});
    sim.run();
    expect(() => sim.schedule(-1, () => {})).toThrow(SimulatorError);
    expect(() => sim.scheduleAt(50, () => {})).toThrow(/in the past/);
    expect(() => sim.schedule(1.5, () => {})).toThrow(RangeError);
    expect(() => sim.schedule(1, () => {}, 0.5)).toThrow(/priority/);
    expect(() => sim.schedule(MAX_TIME_PS, () => {})).toThrow(TimeOverflowError);
    expect(() => sim.scheduleAt(2 ** 53, () => {})).toThrow(TimeOverflowError);
    expect(sim.schedule(MAX_TIME_PS - 100, () => {})).toBeGreaterThanOrEqual(0);
  });

  it('an exception from a callback propagates and leaves the simulator usable', () => {
    const sim = mk();
    const log: number[] = [];
    sim.schedule(10, () => {
      throw new Error('boom');
    });
    sim.schedule(20, () => log.push(sim.now));
    expect(() => sim.run()).toThrow('boom');
    expect(sim.now).toBe(10);
    expect(sim.pending).toBe(1);
    sim.run();
    expect(log).toEqual([20]);
  });

  it('step runs one event at a time and stop ends run early', () => {
    const sim = mk();
    const log: number[] = [];
    sim.schedule(1, () => log.push(1));
    sim.schedule(2, () => {
      log.push(2);
      sim.stop();
    });
    sim.schedule(3, () => log.push(3));
    expect(sim.step()).toBe(true);
    expect(log).toEqual([1]);
    sim.run(1000);
    expect(log).toEqual([1, 2]);
    expect(sim.now).toBe(2);
    sim.run();
    expect(sim.step()).toBe(false);
  });

  it('rejects re-entrant run', () => {
    const sim = mk();
    sim.schedule(1, () => sim.run());
    expect(() => sim.run()).toThrow(/re-entrant/);
  });
});

describe('Simulator processes', () => {
  it('waits on delays and returns a value', () => {
    const sim = mk();
    const seen: number[] = [];
    const p = sim.process(
      (function* () {
        seen.push(sim.now);
        yield 1000;
        seen.push(sim.now);
        yield 500;
        seen.push(sim.now);
        return 'done';
      })(),
    );
    sim.run();
    expect(seen).toEqual([0, 1000, 1500]);
    expect(p.triggered).toBe(true);
    expect(p.value).toBe('done');
  });

  it('waits on events and resumes with their value; processes wait on processes', () => {
    const sim = mk();
    const ev = sim.event<number>();
    sim.schedule(300, () => ev.succeed(7));
    const child = sim.process(
      (function* () {
        const v = (yield ev) as number;
        yield 100;
        return v * 2;
      })(),
    );
    let result: unknown;
    sim.process(
      (function* () {
        result = yield child;
        expect(sim.now).toBe(400);
      })(),
    );
    sim.run();
    expect(result).toBe(14);
  });

  it('throws a failed event into the waiting process, and a process failure into its waiter', () => {
    const sim = mk();
    const ev = sim.event<number>();
    sim.schedule(10, () => ev.fail(new Error('dma error')));
    const worker = sim.process(
      (function* () {
        try {
          yield ev;
        } catch (e) {
          throw new Error(`worker saw: ${(e as Error).message}`);
        }
      })(),
    );
    let caught = '';
    sim.process(
      (function* () {
        try {
          yield worker;
        } catch (e) {
          caught = (e as Error).message;
        }
      })(),
    );
    sim.run();
    expect(caught).toBe('worker saw: dma error');
    expect(worker.ok).toBe(false);
  });

  it('an unobserved process failure is thrown out of run', () => {
    const sim = mk();
    sim.process(
      (function* () {
        yield 5;
        throw new Error('unhandled');
      })(),
    );
    expect(() => sim.run()).toThrow('unhandled');
  });

  it('two processes interleave deterministically', () => {
    const trace = () => {
      const sim = mk();
      const log: string[] = [];
      const worker = (name: string, d: number) =>
        function* () {
          for (let i = 0; i < 4; i++) {
            log.push(`${name}${i}@${sim.now}`);
            yield d;
          }
        };
      sim.process(worker('a', 300)());
      sim.process(worker('b', 200)());
      sim.run();
      return log;
    };
    const first = trace();
    expect(first).toEqual(['a0@0', 'b0@0', 'b1@200', 'a1@300', 'b2@400', 'a2@600', 'b3@600', 'a3@900']);
    expect(trace()).toEqual(first);
  });

  it('timeouts, allOf and anyOf', () => {
    const sim = mk();
    let all: unknown;
    let any: unknown;
    sim.process(
      (function* () {
        all = yield sim.allOf([sim.timeout(100, 'x'), sim.timeout(300, 'y')]);
        expect(sim.now).toBe(300);
        any = yield sim.anyOf([sim.timeout(50, 'slow'), sim.timeout(20, 'fast')]);
        expect(sim.now).toBe(320);
      })(),
    );
    sim.run();
    expect(all).toEqual(['x', 'y']);
    expect(any).toEqual({ index: 1, value: 'fast' });
  });

  it('interrupt throws Interrupt into a waiting process at the current time', () => {
    const sim = mk();
    let caught: unknown;
    const p = sim.process(
      (function* () {
        try {
          yield 10_000;
        } catch (e) {
          caught = e;
          return sim.now;
        }
        return -1;
      })(),
    );
    sim.schedule(250, () => p.interrupt('reset'));
    sim.run();
    expect(caught).toBeInstanceOf(Interrupt);
    expect((caught as Interrupt).cause).toBe('reset');
    expect(p.value).toBe(250);
    expect(sim.now).toBe(250); // the abandoned 10 µs wait was cancelled
  });

  it('a bad yield is thrown into the process', () => {
    const sim = mk();
    const p = sim.process(
      (function* (): Generator<number | SimEvent<unknown>, string, unknown> {
        try {
          yield -5;
        } catch (e) {
          return (e as Error).name;
        }
        return 'no error';
      })(),
    );
    sim.run();
    expect(p.value).toBe('SimulatorError');
  });
});
