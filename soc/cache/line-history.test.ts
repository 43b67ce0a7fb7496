import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { LineEventKind, LineHistory } from './line-history.ts';
import type { LineEvent, LineEventKindName } from './line-history.ts';

describe('LineHistory', () => {
  it('keeps the last `depth` events of each line, oldest first, with signed agents and exact times', () => {
    const h = new LineHistory(64, 4);
    const big = 2 ** 40 + 128; // a line above 2^32 lines' worth of bytes / 64
    for (let i = 0; i < 7; i++) h.record(0x1000 + (i % 2) * 8, LineEventKind.fill + (i % 3), 1 + (i & 1), i === 6 ? -1 : i, 1e15 + i);
    h.record(big, LineEventKind.deviceWrite, 0, 3, 2 ** 52 + 1);
    for (let line = 0; line < 40; line++) h.record(0x100000 + line * 64, LineEventKind.invalidate, 1, 2, line);
    expect(h.query(0x103f)).toEqual([3, 4, 5, 6].map((i) => ({
      kind: ['fill', 'speculativeFill', 'evictClean'][i % 3],
      level: 1 + (i & 1),
      agent: i === 6 ? -1 : i,
      time: 1e15 + i,
    })));
    expect(h.query(big + 63)).toEqual([{ kind: 'deviceWrite', level: 0, agent: 3, time: 2 ** 52 + 1 }]);
    expect(h.query(0x100000 + 39 * 64)).toEqual([{ kind: 'invalidate', level: 1, agent: 2, time: 39 }]);
    expect(h.query(0x2000)).toEqual([]);
    expect(h.last(0x1000, 'speculativeFill')?.time).toBe(1e15 + 4);
  });

  it('sees every event recorded before a query, across many batches, and nothing after clear', () => {
    const h = new LineHistory(32);
    const lines = 9000; // more than two pool chunks of rings
    for (let round = 0; round < 5; round++) {
      for (let l = 0; l < lines; l++) h.record(l * 32 * 7, LineEventKind.fill, 2, -1, round * lines + l);
      const e = h.query(1234 * 32 * 7);
      expect(e).toHaveLength(round + 1);
      expect(e[round]!.time).toBe(round * lines + 1234);
    }
    h.clear();
    expect(h.query(0)).toEqual([]);
    h.enabled = false;
    h.record(0, LineEventKind.fill, 1, 0, 5);
    expect(h.query(0)).toEqual([]);
  });

  it('finds lines spread over many index pages, near and far, and forgets them all on clear', () => {
    const h = new LineHistory(64, 2);
    // Page numbers from 0 up past the flat table's first length and its limit (2^20 pages of 256 KiB).
    const addrs = [0, 0x4000_0000, 2 ** 34 + 64, 2 ** 37 - 64, 2 ** 38 + 128, 2 ** 45];
    for (let round = 0; round < 3; round++) {
      addrs.forEach((pa, i) => h.record(pa, LineEventKind.fill, 1, i, round * 10 + i));
    }
    addrs.forEach((pa, i) => {
      expect(h.query(pa + 63 - (pa % 64)).map((e) => e.time)).toEqual([10 + i, 20 + i]);
      expect(h.query(pa + 64)).toEqual([]); // the next line: same index page, no ring
    });
    h.clear();
    addrs.forEach((pa) => expect(h.query(pa)).toEqual([]));
    h.record(addrs[2]!, LineEventKind.clean, 2, 0, 99);
    expect(h.query(addrs[2]!)).toEqual([{ kind: 'clean', level: 2, agent: 0, time: 99 }]);
    expect(h.query(addrs[1]!)).toEqual([]);
  });

  it('answers like a plain per-line list of the last events, with L2-then-L1 fills paired or not', () => {
    const kinds = Object.keys(LineEventKind) as LineEventKindName[];
    const event = fc.record({
      line: fc.integer({ min: 0, max: 5 }),
      offset: fc.integer({ min: 0, max: 31 }),
      kind: fc.constantFrom(...kinds),
      level: fc.integer({ min: 0, max: 2 }),
      agent: fc.integer({ min: -1, max: 3 }),
      dt: fc.integer({ min: 0, max: 2 }),
      // An L1 miss served by the L2: the L2's fill then the L1's, same line and time (paired in one entry).
      missAtCore: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 300 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 4200 }), (events, depth, padding) => {
        const h = new LineHistory(32, depth);
        const model = new Map<number, LineEvent[]>();
        const add = (pa: number, kind: LineEventKindName, level: number, agent: number, time: number) => {
          h.record(pa, LineEventKind[kind], level, agent, time);
          const list = model.get(Math.floor(pa / 32)) ?? [];
          list.push({ kind, level, agent, time });
          model.set(Math.floor(pa / 32), list.slice(-depth));
        };
        // Unrelated lines first, so pairs also straddle a batch of the log.
        for (let i = 0; i < padding; i++) add(0x10000 + i * 32, 'clean', 1, 0, 0);
        let time = 1;
        for (const e of events) {
          time += e.dt;
          const pa = e.line * 32 + e.offset;
          if (e.missAtCore !== undefined) {
            add(pa, e.kind, 2, -1, time);
            add(e.line * 32, e.kind, 1, e.missAtCore, time);
          } else {
            add(pa, e.kind, e.level, e.agent, time);
          }
        }
        for (let line = 0; line < 6; line++) expect(h.query(line * 32 + 5)).toEqual(model.get(line) ?? []);
        expect(h.query(0x10000)).toEqual(padding > 0 ? [{ kind: 'clean', level: 1, agent: 0, time: 0 }] : []);
      }),
      { numRuns: 150 },
    );
  });
});
