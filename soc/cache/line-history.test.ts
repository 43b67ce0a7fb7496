import { describe, it, expect } from 'vitest';
import { LineEventKind, LineHistory } from './line-history.ts';

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
});
