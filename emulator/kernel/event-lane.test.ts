import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Simulator } from './simulator.ts';
import { LaneTimeError } from './event-lane.ts';
import type { EventTarget } from './event-queue.ts';

// A scripted workload: each fired event schedules 0-2 successors, each either posted to the heap (with a
// priority) or put in the lane. The same script with every lane event posted instead must fire the same
// events at the same times in the same order.
interface Step {
  delay: number;
  prio: number;
  lane: boolean; // false: post to the heap
}
const step = fc.record({
  delay: fc.integer({ min: 0, max: 20 }),
  prio: fc.integer({ min: -1, max: 1 }),
  lane: fc.boolean(),
});

function runScript(script: Step[][], initial: number, useLane: boolean): number[] {
  const sim = new Simulator({ seed: 1, queueCapacity: 16 });
  const fired: number[] = [];
  let next = 0;
  let n = 0;
  const target: EventTarget = {
    onEvent(id: number) {
      fired.push(id, sim.now);
      if (fired.length > 400) return;
      for (const s of script[n++ % script.length]!) schedule(s);
    },
  };
  const schedule = (s: Step): void => {
    const id = next++;
    // Lane events have priority 0; posted ones keep theirs.
    if (s.lane) {
      if (useLane) sim.lane().schedule(target, sim.now + s.delay, id);
      else sim.post(s.delay, target, id, 0);
    } else {
      sim.post(s.delay, target, id, s.prio);
    }
  };
  for (let i = 0; i < initial; i++) schedule({ delay: i % 3, prio: 0, lane: i % 2 === 0 });
  sim.run();
  expect(sim.pending).toBe(0);
  return fired;
}

describe('EventLane merged into Simulator.run', () => {
  it('fires events in the order and at the times they would have had as posts', () => {
    fc.assert(
      fc.property(fc.array(fc.array(step, { maxLength: 2 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 5 }), (script, initial) => {
        expect(runScript(script, initial, true)).toEqual(runScript(script, initial, false));
      }),
      { numRuns: 300 },
    );
  });

  it("the simulator's shared lane runs several targets' events in post order", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 30 }), fc.boolean()), { minLength: 1, maxLength: 60 }), (steps) => {
        const run = (useLane: boolean): string[] => {
          const sim = new Simulator({ seed: 1 });
          const seen: string[] = [];
          let k = 0;
          const targets = ['a', 'b', 'c'].map((name) => ({
            onEvent(arg: number) {
              seen.push(`${name}${arg}@${sim.now}`);
              const st = steps[k++ % steps.length]!;
              if (k > 200) return;
              const [who, delay, viaLane] = st;
              if (useLane && viaLane) sim.lane().schedule(targets[who]!, sim.now + delay, k);
              else sim.post(delay, targets[who]!, k);
            },
          }));
          sim.lane().schedule(targets[0]!, 5, 0);
          sim.post(5, targets[1]!, 0);
          sim.run();
          return seen;
        };
        expect(run(true)).toEqual(run(false));
      }),
      { numRuns: 200 },
    );
    const sim = new Simulator({ seed: 1 });
    expect(sim.lane()).toBe(sim.lane());
  });

  it('counts lane events in pending and peek, and step fires them', () => {
    const sim = new Simulator({ seed: 1 });
    const seen: number[] = [];
    const target: EventTarget = { onEvent: (a) => seen.push(a, sim.now) };
    const lane = sim.lane();
    lane.schedule(target, 50, 1);
    sim.post(70, { onEvent: (a) => seen.push(a, sim.now) }, 2);
    lane.schedule(target, 30, 3);
    expect(sim.pending).toBe(3);
    expect(sim.peek()).toBe(30);
    expect(sim.step()).toBe(true);
    expect(seen).toEqual([3, 30]);
    expect(sim.peek()).toBe(50);
    sim.run();
    expect(seen).toEqual([3, 30, 1, 50, 2, 70]);
    expect(sim.step()).toBe(false);
  });

  it('leaves lane events after `until` pending and honours stop() from a lane event', () => {
    const sim = new Simulator({ seed: 1 });
    const seen: number[] = [];
    const target: EventTarget = {
      onEvent: (a) => {
        seen.push(a);
        if (a === 2) sim.stop();
      },
    };
    const lane = sim.lane();
    lane.schedule(target, 10, 1);
    lane.schedule(target, 20, 2);
    lane.schedule(target, 30, 3);
    lane.schedule(target, 90, 4);
    sim.run();
    expect(seen).toEqual([1, 2]);
    expect(sim.now).toBe(20);
    sim.run(50);
    expect(seen).toEqual([1, 2, 3]);
    expect(sim.now).toBe(50);
    expect(sim.pending).toBe(1);
  });

  it('rejects a time before now, past 2^53 or not an integer', () => {
    const sim = new Simulator({ seed: 1 });
    const target: EventTarget = { onEvent: () => undefined };
    const lane = sim.lane();
    sim.post(100, { onEvent: () => lane.schedule(target, 99, 0) }, 0);
    expect(() => sim.run()).toThrow(LaneTimeError);
    expect(() => lane.schedule(target, 2 ** 53, 0)).toThrow(/outside/);
    expect(() => lane.schedule(target, 150.5, 0)).toThrow(LaneTimeError);
    expect(sim.pending).toBe(0);
  });

  it('keeps (time, sequence) order through front, back and middle insertions, re-centring and growth', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.boolean()), { minLength: 1, maxLength: 3000 }), (ops) => {
        const sim = new Simulator({ seed: 1 });
        const seen: number[] = [];
        const target: EventTarget = { onEvent: (a) => seen.push(a) };
        const lane = sim.lane();
        const model: { time: number; id: number }[] = [];
        const fired: number[] = [];
        let id = 0;
        // Schedule, and now and then fire the earliest (through step) so the window drifts both ways.
        for (const [t, fire] of ops) {
          if (fire && model.length > 0) {
            model.sort((x, y) => x.time - y.time || x.id - y.id);
            fired.push(model.shift()!.id);
            sim.step();
          }
          const time = sim.now + t;
          lane.schedule(target, time, id);
          model.push({ time, id: id++ });
        }
        model.sort((x, y) => x.time - y.time || x.id - y.id);
        sim.run();
        expect(seen).toEqual([...fired, ...model.map((e) => e.id)]);
      }),
      { numRuns: 60 },
    );
  });

  it('grows past its initial capacity and keeps (time, sequence) order', () => {
    const sim = new Simulator({ seed: 1 });
    const seen: number[] = [];
    const target: EventTarget = { onEvent: (a) => seen.push(a) };
    const lane = sim.lane();
    for (let i = 0; i < 1200; i++) lane.schedule(target, 1000 - (i % 7) * 10, i);
    sim.run();
    const want = Array.from({ length: 1200 }, (_, i) => i).sort((a, b) => (a % 7 === b % 7 ? a - b : (b % 7) - (a % 7)));
    expect(seen).toEqual(want);
  });
});
