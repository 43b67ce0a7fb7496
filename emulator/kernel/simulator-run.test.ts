import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Simulator } from './simulator.ts';
import type { EventTarget } from './event-queue.ts';

// Each fired event runs a scripted action: post 0-2 successors, cancel an earlier id, query the queue.
interface Action {
  posts: { delay: number; prio: number }[];
  cancelPick: number; // -1: no cancel, else index into all ids issued so far
  peek: boolean;
}

const action = fc.record({
  posts: fc.array(fc.record({ delay: fc.integer({ min: 0, max: 30 }), prio: fc.integer({ min: -2, max: 2 }) }), { maxLength: 2 }),
  cancelPick: fc.integer({ min: -1, max: 40 }),
  peek: fc.boolean(),
});

describe('Simulator.run with handlers that post, cancel and peek while firing', () => {
  it('matches a sorted-list reference model (order, pending, peek, cancel results)', () => {
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 6 }), (script, initial) => {
        const sim = new Simulator({ seed: 1, queueCapacity: 16 });
        type Ev = { time: number; prio: number; seq: number; n: number; live: boolean };
        const model: Ev[] = [];
        const ids: number[] = [];
        const evs: Ev[] = [];
        let seq = 0;
        let fired = 0;
        const got: number[] = [];
        const want: number[] = [];
        const nextModel = (): Ev | undefined =>
          model.filter((e) => e.live).sort((a, b) => a.time - b.time || a.prio - b.prio || a.seq - b.seq)[0];
        const target: EventTarget = {
          onEvent(n: number) {
            got.push(n, sim.now);
            const a = script[fired++ % script.length]!;
            if (a.cancelPick >= 0 && a.cancelPick < ids.length) {
              const e = evs[a.cancelPick]!;
              expect(sim.cancel(ids[a.cancelPick]!)).toBe(e.live);
              e.live = false;
            }
            if (fired < 200) for (const p of a.posts) post(p.delay, p.prio);
            if (a.peek) {
              const m = nextModel();
              expect(sim.peek()).toBe(m === undefined ? Infinity : m.time);
            }
            expect(sim.pending).toBe(model.filter((e) => e.live).length);
          },
        };
        const post = (delay: number, prio: number): void => {
          const e: Ev = { time: sim.now + delay, prio, seq: seq++, n: evs.length, live: true };
          ids.push(sim.post(delay, target, e.n, prio));
          evs.push(e);
          model.push(e);
        };
        for (let i = 0; i < initial; i++) post(i * 3, 0);
        // The reference: replay the same decisions on the model, popping in (time, prio, seq) order.
        const origOnEvent = target.onEvent.bind(target);
        target.onEvent = (n: number) => {
          const m = nextModel()!;
          m.live = false;
          want.push(m.n, m.time);
          origOnEvent(n);
        };
        sim.run();
        expect(got).toEqual(want);
        expect(sim.pending).toBe(0);
        expect(sim.peek()).toBe(Infinity);
      }),
      { numRuns: 150 },
    );
  });

  it('leaves the queue consistent when a handler throws after being taken', () => {
    const sim = new Simulator({ seed: 1 });
    const log: number[] = [];
    sim.schedule(10, () => {
      throw new Error('boom');
    });
    sim.schedule(20, () => log.push(sim.now));
    expect(() => sim.run()).toThrow('boom');
    expect(sim.pending).toBe(1);
    expect(sim.peek()).toBe(20);
    sim.run();
    expect(log).toEqual([20]);
  });
});
