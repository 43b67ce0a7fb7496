import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { EventQueue } from './event-queue.ts';
import type { EventTarget } from './event-queue.ts';

const recorder = (): EventTarget & { got: number[] } => {
  const got: number[] = [];
  return { got, onEvent: (arg: number) => void got.push(arg) };
};

describe('EventQueue', () => {
  it('pops random schedules in (time, priority, insertion) order, skipping cancelled events', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ time: fc.integer({ min: 0, max: 50 }), prio: fc.integer({ min: -3, max: 3 }), cancel: fc.boolean() }), {
          maxLength: 300,
        }),
        (entries) => {
          const q = new EventQueue(16); // small so it must grow
          const t = recorder();
          const ids = entries.map((e, i) => q.push(e.time, e.prio, t, i));
          entries.forEach((e, i) => {
            if (e.cancel) expect(q.cancel(ids[i]!)).toBe(true);
          });
          const expected = entries
            .map((e, i) => ({ ...e, i }))
            .filter((e) => !e.cancel)
            .sort((a, b) => a.time - b.time || a.prio - b.prio || a.i - b.i)
            .map((e) => e.i);
          expect(q.size).toBe(expected.length);
          const times: number[] = [];
          while (q.popUntil(Infinity)) {
            times.push(q.time);
            (q.handler as EventTarget).onEvent(q.arg);
          }
          expect(t.got).toEqual(expected);
          expect(times).toEqual(expected.map((i) => entries[i]!.time));
          expect(q.size).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps order when pushes and pops interleave (model-based)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 2 })), { maxLength: 400 }), (ops) => {
        const q = new EventQueue(16);
        const t = recorder();
        const model: { time: number; prio: number; seq: number }[] = [];
        let now = 0;
        let seq = 0;
        for (const [d, p] of ops) {
          if (d % 3 === 0 && model.length > 0) {
            model.sort((a, b) => a.time - b.time || a.prio - b.prio || a.seq - b.seq);
            const m = model.shift()!;
            expect(q.popUntil(Infinity)).toBe(true);
            expect(q.time).toBe(m.time);
            (q.handler as EventTarget).onEvent(q.arg);
            expect(t.got.at(-1)).toBe(m.seq);
            now = m.time;
          } else {
            q.push(now + d, p, t, seq);
            model.push({ time: now + d, prio: p, seq });
            seq++;
          }
        }
        expect(q.size).toBe(model.length);
      }),
      { numRuns: 100 },
    );
  });

  it('runs equal (time, priority) events in insertion order', () => {
    const q = new EventQueue();
    const t = recorder();
    for (let i = 0; i < 100; i++) q.push(5, 0, t, i);
    while (q.popUntil(Infinity)) t.onEvent(q.arg);
    expect(t.got).toEqual([...Array(100).keys()]);
  });

  it('cancel returns false after the event fired, after a cancel, and for ids of reused slots', () => {
    const q = new EventQueue();
    const t = recorder();
    const a = q.push(1, 0, t, 1);
    expect(q.popUntil(Infinity)).toBe(true);
    expect(q.cancel(a)).toBe(false);
    const b = q.push(2, 0, t, 2); // reuses a's slot
    expect(b).not.toBe(a);
    expect(q.cancel(a)).toBe(false);
    expect(q.size).toBe(1);
    expect(q.cancel(b)).toBe(true);
    expect(q.cancel(b)).toBe(false);
    expect(q.cancel(-1)).toBe(false);
    expect(q.cancel(123456789)).toBe(false);
    expect(q.popUntil(Infinity)).toBe(false);
  });

  it('never confuses a stale id with an event that reuses the slot while the tombstone is queued', () => {
    const q = new EventQueue();
    const t = recorder();
    const a = q.push(10, 0, t, 1);
    q.cancel(a);
    const b = q.push(20, 0, t, 2);
    expect(q.cancel(a)).toBe(false);
    expect(q.popUntil(Infinity)).toBe(true);
    expect(q.arg).toBe(2);
    expect(q.cancel(b)).toBe(false);
  });

  it('compacts many cancelled events and still pops the rest in order', () => {
    const q = new EventQueue(16);
    const t = recorder();
    const ids: number[] = [];
    for (let i = 0; i < 1000; i++) ids.push(q.push(1000 - i, 0, t, i));
    for (let i = 0; i < 1000; i++) if (i % 10 !== 0) q.cancel(ids[i]!);
    expect(q.size).toBe(100);
    while (q.popUntil(Infinity)) t.onEvent(q.arg);
    expect(t.got).toEqual([...Array(100).keys()].map((k) => 990 - 10 * k));
  });

  it('popUntil leaves later events queued and reports the next time', () => {
    const q = new EventQueue();
    const t = recorder();
    q.push(100, 0, t, 1);
    q.push(50, 0, t, 0);
    expect(q.peekTime()).toBe(50);
    expect(q.popUntil(60)).toBe(true);
    expect(q.popUntil(60)).toBe(false);
    expect(q.peekTime()).toBe(100);
    q.clear();
    expect(q.peekTime()).toBe(Infinity);
  });
});
