import { describe, it, expect, vi } from 'vitest';
import fc from 'fast-check';
import { Worker } from 'node:worker_threads';
import { LineEventKind, LineHistory } from './line-history.ts';
import type { LineEvent, LineEventKindName, LineHistoryOptions } from './line-history.ts';
import { LineRings, ringWorkerSource } from './line-history-rings.ts';
import { LOG_SEGMENT_EVENTS, RingWorker } from './line-history-worker.ts';

// Every behaviour holds whether the rings are applied in-thread as segments fill, by the worker thread
// from the first segment, after a few deferred segments, or with the defaults (deferred until queried).
const modes: [string, LineHistoryOptions][] = [
  ['in-thread', { offThreadAfterSegments: Infinity, deferSegments: 0 }],
  ['worker', { offThreadAfterSegments: 0, deferSegments: 0 }],
  ['deferred', { deferSegments: 2 }],
  ['default', {}],
];

describe.each(modes)('LineHistory (%s)', (_mode, options) => {
  const history = (lineBytes: number, depth?: number) => new LineHistory(lineBytes, depth, options);
  it('keeps the last `depth` events of each line, oldest first, with signed agents and exact times', () => {
    const h = history(64, 4);
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
    const h = history(32);
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
    const h = history(64, 2);
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
        const h = history(32, depth);
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

  it('stays exact at any depth up to 255, for times up to 2^53 - 1, with rings in many pool chunks, across clears', () => {
    const kinds = Object.keys(LineEventKind) as LineEventKindName[];
    const time = fc.oneof(
      fc.integer({ min: 0, max: 1000 }),
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      fc.constantFrom(2 ** 32 - 1, 2 ** 32, 2 ** 52 + 3, Number.MAX_SAFE_INTEGER),
    );
    const event = fc.record({
      line: fc.integer({ min: 0, max: 1 }),
      kind: fc.constantFrom(...kinds),
      level: fc.integer({ min: 0, max: 2 }),
      agent: fc.integer({ min: -1, max: 7 }),
      time,
      missAtCore: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined, freq: 4 }),
      clearFirst: fc.integer({ min: 0, max: 60 }).map((x) => x === 0),
    });
    const depthArb = fc.oneof(fc.constantFrom(1, 2, 8, 255), fc.integer({ min: 1, max: 255 }));
    // A clear at the end and then at most two events, fewer than the reused rings held before it.
    const after = fc.option(fc.array(event, { maxLength: 2 }), { nil: undefined });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 700 }), depthArb, fc.integer({ min: 0, max: 9000 }), after, (events, depth, spread, tail) => {
        const h = history(64, depth);
        let model = new Map<number, LineEvent[]>();
        const add = (line: number, kind: LineEventKindName, level: number, agent: number, t: number) => {
          h.record(line * 64 + (t % 64), LineEventKind[kind], level, agent, t);
          model.set(line, [...(model.get(line) ?? []), { kind, level, agent, time: t }].slice(-depth));
        };
        // Other lines first, three events each (more rings than one pool chunk holds; some far away), so
        // the lines under test get rings in a later chunk, or, after a clear, reuse rings that hold
        // other lines' events.
        for (let round = 0; round < 3; round++) {
          for (let i = 0; i < spread; i++) add(i % 3 === 0 ? 2 ** 40 + i : 100 + i, 'evictClean', 1, i % 4, round * spread + i);
        }
        const clear = () => {
          h.clear();
          model = new Map();
        };
        const apply = (e: (typeof events)[number]) => {
          if (e.missAtCore !== undefined) {
            add(e.line, e.kind, 2, -1, e.time);
            add(e.line, e.kind, 1, e.missAtCore, e.time);
          } else {
            add(e.line, e.kind, e.level, e.agent, e.time);
          }
        };
        for (const e of events) {
          if (e.clearFirst) clear();
          apply(e);
        }
        if (tail !== undefined) {
          clear();
          tail.forEach(apply);
        }
        for (const line of [0, 1, 100, 2 ** 40 + 3 * 7, 100 + spread - 1]) expect(h.query(line * 64 + 63)).toEqual(model.get(line) ?? []);
      }),
      { numRuns: 60 },
    );
  });

  it('wraps a ring of the largest depth, keeping the last 255 events in order', () => {
    const h = history(64, 255);
    for (let i = 0; i < 600; i++) h.record(64, LineEventKind.clean, 1, i % 4, 2 ** 53 - 1 - 600 + i);
    const times = h.query(64).map((e) => e.time);
    expect(times).toEqual(Array.from({ length: 255 }, (_, k) => 2 ** 53 - 1 - 255 + k));
  });

  it('rejects events it cannot keep exactly, naming what it expected', () => {
    const h = history(64);
    expect(() => h.record(0, 0, 1, 0, 5)).toThrow(/LineEventKind/);
    expect(() => h.record(0, 10, 1, 0, 5)).toThrow(RangeError);
    expect(() => h.record(0, LineEventKind.fill, 3, 0, 5)).toThrow(/level 0..2/);
    expect(() => h.record(0, LineEventKind.fill, 1, 0, 1.5)).toThrow(/integer time/);
    expect(() => h.record(0, LineEventKind.fill, 1, 0, 2 ** 53)).toThrow(RangeError);
    expect(() => h.record(0, LineEventKind.fill, 1, 0, -1)).toThrow(RangeError);
    expect(h.query(0)).toEqual([]);
    // Event ids are 11 bits: 2047 distinct (kind, level, agent) combinations, far more than a SoC's cores make.
    const many = history(64);
    let distinct = 0;
    for (let agent = -128; agent < 128 && distinct < 2047; agent++) {
      for (let kind = 1; kind <= 9 && distinct < 2047; kind++, distinct++) many.record(distinct * 64, kind, 0, agent, 1);
    }
    expect(many.query(2046 * 64)).toHaveLength(1);
    expect(() => many.record(0, LineEventKind.fill, 1, 0, 2)).toThrow(/more than 2047 distinct/);
    expect(many.query(0)).toHaveLength(1);
  });
});

/** Records `lines` lines × `rounds` events (times round * lines + line), `stride` bytes apart. */
function fillLines(h: LineHistory, lines: number, rounds: number, stride = 64): void {
  for (let round = 0; round < rounds; round++) {
    for (let l = 0; l < lines; l++) h.record(l * stride, 1 + ((round + l) % 9), 1 + (l & 1), (l % 5) - 1, round * lines + l);
  }
}

describe('LineHistory on the worker thread', () => {
  it('hands full segments to the worker and answers queries after several of them like in-thread', () => {
    const worker = new RingWorker();
    const off = new LineHistory(64, 8, { offThreadAfterSegments: 0, deferSegments: 0, ringWorker: worker });
    const inThread = new LineHistory(64, 8, { offThreadAfterSegments: Infinity });
    const lines = 5000; // more than one pool chunk of rings, over two index pages
    fillLines(off, lines, 7);
    fillLines(inThread, lines, 7);
    expect(worker.state).toBe('running');
    expect(worker.handedOver).toBe(Math.floor((lines * 7) / LOG_SEGMENT_EVENTS));
    for (const l of [0, 1, 4095, 4096, 4999]) expect(off.query(l * 64)).toEqual(inThread.query(l * 64));
    expect(off.query(0)).toHaveLength(7);
  });

  it('waits for nothing on queries with nothing recorded since the last one', () => {
    const worker = new RingWorker();
    const h = new LineHistory(64, 8, { offThreadAfterSegments: 0, deferSegments: 0, ringWorker: worker });
    fillLines(h, 3000, 3);
    h.query(0);
    const handed = worker.handedOver;
    for (let l = 0; l < 3000; l++) expect(h.query(l * 64)).toHaveLength(3);
    expect(worker.handedOver).toBe(handed);
  });

  it('clears through the worker, in order with the segments handed over before and after', () => {
    const worker = new RingWorker();
    const h = new LineHistory(64, 4, { offThreadAfterSegments: 0, deferSegments: 0, ringWorker: worker });
    fillLines(h, 6000, 2);
    h.clear();
    expect(h.query(64)).toEqual([]);
    fillLines(h, 5000, 2); // reuses rings that held events before the clear
    h.record(64, LineEventKind.clean, 2, -1, 1e12);
    h.clear();
    h.record(128, LineEventKind.lostStore, 2, -1, 7);
    expect(h.query(64)).toEqual([]);
    expect(h.query(128)).toEqual([{ kind: 'lostStore', level: 2, agent: -1, time: 7 }]);
    expect(h.query(129 * 64)).toEqual([]);
  });

  it('defers full segments until a query, which applies them without starting the worker', () => {
    const worker = new RingWorker();
    const h = new LineHistory(64, 8, { ringWorker: worker });
    const ref = new LineHistory(64, 8, { offThreadAfterSegments: Infinity, deferSegments: 0 });
    fillLines(h, 5000, 9); // 10 full segments
    fillLines(ref, 5000, 9);
    for (const l of [0, 1, 4095, 4096, 4999]) expect(h.query(l * 64)).toEqual(ref.query(l * 64));
    expect(worker.state).toBe('idle');
  });

  it('applies the oldest segments beyond the deferred ones while logging, and the rest at a query', () => {
    const worker = new RingWorker();
    const h = new LineHistory(64, 8, { offThreadAfterSegments: 0, deferSegments: 3, ringWorker: worker });
    const ref = new LineHistory(64, 8, { offThreadAfterSegments: Infinity, deferSegments: 0 });
    fillLines(h, 4096, 5); // 5 full segments: the 2 oldest go to the worker
    fillLines(ref, 4096, 5);
    expect(worker.handedOver).toBe(2);
    h.record(64, LineEventKind.clean, 2, -1, 1e12);
    ref.record(64, LineEventKind.clean, 2, -1, 1e12);
    for (const l of [0, 1, 2047, 4095]) expect(h.query(l * 64)).toEqual(ref.query(l * 64));
    expect(worker.handedOver).toBe(6); // and the 3 deferred and the partial one, at the query
  });

  it('keeps a small history in-thread by default, never starting the worker', () => {
    const worker = new RingWorker();
    const h = new LineHistory(64, 8, { ringWorker: worker });
    fillLines(h, 1000, 3);
    expect(h.query(0)).toHaveLength(3);
    expect(worker.state).toBe('idle');
  });

  it('serves several histories from one worker, each seeing only its own events', () => {
    const worker = new RingWorker({ segmentsAhead: 1 });
    const a = new LineHistory(64, 8, { offThreadAfterSegments: 0, deferSegments: 0, ringWorker: worker });
    const b = new LineHistory(32, 2, { offThreadAfterSegments: 0, deferSegments: 0, ringWorker: worker });
    for (let i = 0; i < 20_000; i++) {
      a.record(i * 64, LineEventKind.fill, 1, 0, i);
      b.record(i * 32, LineEventKind.evictDirty, 2, -1, 2 * i);
    }
    expect(a.query(777 * 64)).toEqual([{ kind: 'fill', level: 1, agent: 0, time: 777 }]);
    expect(b.query(777 * 32)).toEqual([{ kind: 'evictDirty', level: 2, agent: -1, time: 1554 }]);
  });

  it('starts its worker without the process flags (a worker inheriting --input-type=module cannot load)', () => {
    // What a worker would inherit in a process started as `node --input-type=module -e` (bench host's
    // steady child) when the options do not set its flags.
    const worker = new RingWorker({ spawn: (src, opts) => new Worker(src, { ...opts, execArgv: opts.execArgv ?? ['--input-type=module'] }) });
    const h = new LineHistory(64, 8, { offThreadAfterSegments: 0, deferSegments: 0, ringWorker: worker });
    const ref = new LineHistory(64, 8, { offThreadAfterSegments: Infinity });
    fillLines(h, 5000, 3);
    fillLines(ref, 5000, 3);
    for (const l of [0, 2500, 4999]) expect(h.query(l * 64)).toEqual(ref.query(l * 64));
    expect(worker.state).toBe('running');
  });

  it('falls back to in-thread application when the worker cannot start, saying so once', () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const worker = new RingWorker({ spawn: () => { throw new Error('no threads here'); } });
      const h = new LineHistory(64, 8, { offThreadAfterSegments: 0, deferSegments: 0, ringWorker: worker });
      const ref = new LineHistory(64, 8, { offThreadAfterSegments: Infinity });
      fillLines(h, 5000, 3);
      fillLines(ref, 5000, 3);
      expect(worker.state).toBe('failed');
      for (const l of [0, 4321, 4999]) expect(h.query(l * 64)).toEqual(ref.query(l * 64));
      expect(stderr.mock.calls.length).toBeLessThanOrEqual(1);
    } finally {
      stderr.mockRestore();
    }
  });

  it('takes over from the event the worker failed at, losing none and applying none twice', () => {
    // A worker whose third pool chunk cannot be allocated: it fails in the middle of a segment.
    const faulty = `(class extends (${LineRings.toString()}) { grow() { if (this.state[0] >= 2 * 4096) throw new RangeError('no memory for rings'); super.grow(); } })`;
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const worker = new RingWorker({ source: ringWorkerSource(faulty) });
      const h = new LineHistory(64, 8, { offThreadAfterSegments: 0, deferSegments: 0, ringWorker: worker });
      const ref = new LineHistory(64, 8, { offThreadAfterSegments: Infinity });
      const lines = 3 * 4096 + 500;
      // Events on one far line first, so the failing allocation (ring 8192) falls mid-segment.
      for (const x of [h, ref]) for (let i = 0; i < 1234; i++) x.record(2 ** 40, LineEventKind.clean, 1, 0, i);
      fillLines(h, lines, 2);
      fillLines(ref, lines, 2);
      for (const l of [0, 8190, 8191, 8192, 8193, lines - 1]) expect(h.query(l * 64)).toEqual(ref.query(l * 64));
      expect(h.query(2 ** 40)).toEqual(ref.query(2 ** 40));
      expect(worker.state).toBe('failed');
      // And it goes on in-thread.
      fillLines(h, lines, 1);
      fillLines(ref, lines, 1);
      for (const l of [5, 9000, lines - 1]) expect(h.query(l * 64)).toEqual(ref.query(l * 64));
    } finally {
      stderr.mockRestore();
    }
  });

  it('applies in-thread what it handed over when the worker never starts', () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const worker = new RingWorker({ source: 'throw new Error("broken worker")', startTimeoutMs: 50 });
      const h = new LineHistory(64, 8, { offThreadAfterSegments: 0, deferSegments: 0, ringWorker: worker });
      fillLines(h, 4000, 3);
      expect(h.query(3999 * 64).map((e) => e.time)).toEqual([3999, 7999, 11999]);
      expect(worker.state).toBe('failed');
    } finally {
      stderr.mockRestore();
    }
  });
});
