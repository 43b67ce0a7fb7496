import type * as WorkerThreads from 'node:worker_threads';

/** What a LineRings tells the other thread's copy of it: a page or chunk it made, or that it cleared. */
export type RingsChange = (what: 'page' | 'chunk' | 'clear', pageNo: number, cells: Uint32Array | Int32Array | null) => void;

/** The allocations of a LineRings, in the order made, to build another thread's copy of it. */
export interface RingsSnapshot {
  pageNos: number[];
  pages: Uint32Array[];
  chunks: Int32Array[];
}

/**
 * The rings and index of a LineHistory: a small ring of recent events per cache line, in pooled typed
 * arrays; a line finds its ring through a direct-mapped index page (one Uint32 per line, for a block of
 * 4096 lines), found by page number. Every array lives in a SharedArrayBuffer so a worker thread can
 * apply events while the simulation thread reads the same memory after a drain.
 *
 * The pools are megabytes and mostly cold in the host's caches, and applying events is bound by how many
 * bytes of them it drags in (measured in the default scenario: 8-byte index entries, with Int32 events
 * and Float64 times kept apart, cost about 1.5× as much per event), so they are kept small. A line's
 * index entry (4 bytes) holds its ring and the ring's head, with no count (a cell is empty while its id
 * is 0), and an event with its exact time takes one 8-byte cell, so an event touches its index entry and
 * one ring cell. A batch is applied at once, its ring updates independent enough for the host CPU to
 * overlap their cache misses.
 *
 * This class is stringified into the worker's source (see ringWorkerSource), so it names nothing outside
 * itself: its layout constants are fields, and it allocates only through its own methods.
 */
export class LineRings {
  readonly depth: number;
  readonly lineBytes: number;
  /** [rings used, rings below which events are stale (used before the last clear)], shared by both threads. */
  readonly state: Float64Array;
  /** Packed event (14 bits) → its id (11 bits), assigned by the LineHistory before it logs the event. */
  readonly idOfEvent: Uint16Array;
  /** Told of every page, chunk and clear, when another thread keeps a copy of these rings. */
  onChange: RingsChange | null = null;
  /** The event being applied when an allocation failed (a worker reports it, so the rest can be redone). */
  nextEvent = 0;
  // Lines per index page (16 KiB of index for 256 KiB of 64-byte lines).
  private readonly pageLines = 4096;
  // Page numbers below this use a flat table (grown by doubling, 4 MiB at most), above a Map, so sparse
  // far lines stay cheap.
  private readonly densePageLimit = 1 << 20;
  private readonly initialDenseSlots = 4096;
  // Rings per pool chunk (2^12: 256 KiB at depth 8): growing adds a chunk and copies nothing.
  private readonly chunkShift = 12;
  // A ring cell is two Int32 words: the time's low 32 bits, then its high 21 bits under the event's id
  // (11 bits; 0: an empty cell). Times are integers below 2^53.
  private readonly timeHighBits = 21;
  // 1 / lineBytes when lineBytes is a power of two (multiplying is then exact), else 0.
  private readonly invLine: number;
  // Bits of an index entry that hold the ring's head (enough for depth - 1), and the most rings an
  // entry can name.
  private readonly headBits: number;
  private readonly maxRings: number;
  // Index pages: each line's entry ((ring + 1) << headBits | head; 0: no ring yet), in order made.
  private readonly indexPages: Uint32Array[] = [];
  private readonly indexPageNos: number[] = [];
  // Page number → position in indexPages + 1 (0: no page yet), for page numbers below its length.
  private densePageSlots = new Int32Array(0);
  private readonly farPages = new Map<number, Uint32Array>();
  // The last index page applied to and the first line it covers (-Infinity: none yet, every line misses).
  private lastFirstLine = Number.NEGATIVE_INFINITY;
  private lastPage: Uint32Array = new Uint32Array(0);
  private readonly ringChunks: Int32Array[] = [];

  constructor(lineBytes: number, depth: number, state: Float64Array, idOfEvent: Uint16Array) {
    this.lineBytes = lineBytes;
    this.depth = depth;
    this.state = state;
    this.idOfEvent = idOfEvent;
    this.invLine = lineBytes > 0 && (lineBytes & (lineBytes - 1)) === 0 ? 1 / lineBytes : 0;
    this.headBits = depth === 1 ? 0 : 32 - Math.clz32(depth - 1);
    this.maxRings = 2 ** (32 - this.headBits) - 1;
  }

  lineOf(pa: number): number {
    return this.invLine !== 0 ? Math.floor(pa * this.invLine) : Math.floor(pa / this.lineBytes);
  }

  /** Applies logged events `from` ≤ i < `to` to their lines' rings, oldest first. */
  apply(logAddr: Float64Array, logEvent: Uint16Array, logTime: Float64Array, from: number, to: number): void {
    this.nextEvent = from;
    const depth = this.depth;
    const pageLines = this.pageLines;
    const chunkShift = this.chunkShift;
    const chunkMask = (1 << chunkShift) - 1;
    const headBits = this.headBits;
    const headMask = (1 << headBits) - 1;
    const headScale = 1 << headBits;
    const timeHighBits = this.timeHighBits;
    const idOfEvent = this.idOfEvent;
    const chunks = this.ringChunks;
    const timeLow = 2 ** 32;
    const invTimeLow = 2 ** -32;
    for (let i = from; i < to; i++) {
      const line = this.lineOf(logAddr[i]!);
      let slot = line - this.lastFirstLine;
      if (!(slot >= 0 && slot < pageLines)) {
        this.nextEvent = i;
        const pageNo = Math.floor(line / pageLines);
        this.lastPage = this.indexPage(pageNo, true)!;
        this.lastFirstLine = pageNo * pageLines;
        slot = line - this.lastFirstLine;
      }
      const page = this.lastPage;
      const entry = page[slot]!;
      let ring: number;
      if (entry === 0) {
        this.nextEvent = i;
        ring = this.newRing();
      } else {
        ring = (entry >>> headBits) - 1;
      }
      const head = entry & headMask;
      const cell = ((ring & chunkMask) * depth + head) * 2;
      const time = logTime[i]!;
      const high = Math.floor(time * invTimeLow);
      const cells = chunks[ring >>> chunkShift]!;
      cells[cell] = time - high * timeLow;
      cells[cell + 1] = high | (idOfEvent[logEvent[i]!]! << timeHighBits);
      page[slot] = (ring + 1) * headScale + (head + 1 === depth ? 0 : head + 1);
    }
    this.nextEvent = to;
  }

  /**
   * Appends the events of `line` to `ids` and `times`, oldest first (at most `depth` cells): from the
   * head (the next cell to write) round the ring; empty cells are skipped.
   */
  readLine(line: number, ids: number[], times: number[]): void {
    const pageNo = Math.floor(line / this.pageLines);
    const page = this.indexPage(pageNo, false);
    const entry = page === undefined ? 0 : page[line - pageNo * this.pageLines]!;
    if (entry === 0) return;
    const ring = (entry >>> this.headBits) - 1;
    const head = entry & ((1 << this.headBits) - 1);
    const cells = this.ringChunks[ring >>> this.chunkShift]!;
    const first = (ring & ((1 << this.chunkShift) - 1)) * this.depth;
    for (let i = 0; i < this.depth; i++) {
      const cell = (first + ((head + i) % this.depth)) * 2;
      const word = cells[cell + 1]! >>> 0;
      if (word === 0) continue;
      ids.push(word >>> this.timeHighBits);
      times.push((word & ((1 << this.timeHighBits) - 1)) * 2 ** 32 + (cells[cell]! >>> 0));
    }
  }

  /** Forgets every line's ring; rings are reused from 0, each emptied as it is handed out again. */
  clear(): void {
    this.state[1] = Math.max(this.state[1]!, this.state[0]!);
    this.state[0] = 0;
    this.forgetPages();
    this.onChange?.('clear', 0, null);
  }

  /** Drops the index (the part of a clear that each thread's copy does for itself). */
  forgetPages(): void {
    this.indexPages.length = 0;
    this.indexPageNos.length = 0;
    this.densePageSlots.fill(0);
    this.farPages.clear();
    this.lastFirstLine = Number.NEGATIVE_INFINITY;
    this.lastPage = new Uint32Array(0);
  }

  /** This copy's pages and chunks, to build another thread's copy. */
  snapshot(): RingsSnapshot {
    const pageNos = this.indexPageNos.slice();
    const pages = this.indexPages.slice();
    for (const [pageNo, page] of this.farPages) {
      pageNos.push(pageNo);
      pages.push(page);
    }
    return { pageNos, pages, chunks: this.ringChunks.slice() };
  }

  /** Adopts an index page the other thread made (or a snapshot's). */
  installPage(pageNo: number, page: Uint32Array): void {
    if (pageNo >= this.densePageLimit) {
      this.farPages.set(pageNo, page);
      return;
    }
    if (pageNo >= this.densePageSlots.length) this.growDenseSlots(pageNo);
    this.indexPages.push(page);
    this.indexPageNos.push(pageNo);
    this.densePageSlots[pageNo] = this.indexPages.length;
  }

  /** Adopts the next pool chunk the other thread made (or a snapshot's). */
  installChunk(chunk: Int32Array): void {
    this.ringChunks.push(chunk);
  }

  /** The index page of page number `pageNo`, made if `create` (else undefined when it does not exist). */
  private indexPage(pageNo: number, create: boolean): Uint32Array | undefined {
    let found: Uint32Array | undefined;
    if (pageNo >= this.densePageLimit) {
      found = this.farPages.get(pageNo);
    } else {
      const slot = pageNo < this.densePageSlots.length ? this.densePageSlots[pageNo]! : 0;
      if (slot !== 0) found = this.indexPages[slot - 1];
    }
    if (found !== undefined || !create) return found;
    const page = new Uint32Array(new SharedArrayBuffer(this.pageLines * 4));
    this.installPage(pageNo, page);
    this.onChange?.('page', pageNo, page);
    return page;
  }

  /** Doubles the flat page table until it covers `pageNo` (a copy, rare: a few times per run at most). */
  private growDenseSlots(pageNo: number): void {
    let length = Math.max(this.densePageSlots.length, this.initialDenseSlots);
    while (length <= pageNo) length *= 2;
    const grown = new Int32Array(Math.min(length, this.densePageLimit));
    grown.set(this.densePageSlots);
    this.densePageSlots = grown;
  }

  /** A ring for a line that has none: the next in the pool, emptied if it was used before a clear. */
  private newRing(): number {
    const ring = this.state[0]!;
    if (ring >= this.maxRings) throw new RangeError(`LineHistory: more than ${this.maxRings} lines with history at depth ${this.depth}`);
    if (ring === this.ringChunks.length * (1 << this.chunkShift)) this.grow();
    this.state[0] = ring + 1;
    if (ring < this.state[1]!) {
      const first = (ring & ((1 << this.chunkShift) - 1)) * this.depth * 2;
      this.ringChunks[ring >>> this.chunkShift]!.fill(0, first, first + this.depth * 2);
    }
    return ring;
  }

  /** Adds a pool chunk (allocates before changing anything, so a failure leaves the rings whole). */
  grow(): void {
    const chunk = new Int32Array(new SharedArrayBuffer((1 << this.chunkShift) * this.depth * 8));
    this.installChunk(chunk);
    this.onChange?.('chunk', 0, chunk);
  }
}

/** Where things are in the worker's control array (Int32, shared). */
export const RING_CTRL = {
  /** Submissions made by the simulation thread (a count; submission k sits in queue entry k % queueLength). */
  submitted: 0,
  /** Submissions the worker has finished. */
  done: 1,
  /** The worker's state: RING_WORKER_STATE. */
  state: 2,
  /** The submission the worker failed in, and how many of its events it had applied before. */
  failedAt: 3,
  failedEvent: 4,
  /** 1 while the worker sleeps until notified (else it polls for submissions and needs no wake-up). */
  sleeping: 5,
  /** Queue entries: three Int32 each (history id, slot, event count; count -1: clear). */
  queue: 8,
} as const;

export const RING_WORKER_STATE = { starting: 0, ready: 1, abandoned: 2, failed: 3 } as const;

/** What the worker receives on its message port (pulled synchronously, in order). */
export type RingWorkerMessage =
  | { t: 'slot'; slot: number; addr: Float64Array; event: Uint16Array; time: Float64Array }
  | { t: 'register'; id: number; lineBytes: number; depth: number; state: Float64Array; idOfEvent: Uint16Array; snapshot: RingsSnapshot }
  | { t: 'release'; id: number };

/** What the worker sends back (pulled by the simulation thread after each hand-over and drain). */
export type RingWorkerReport =
  | { t: 'page'; id: number; pageNo: number; cells: Uint32Array }
  | { t: 'chunk'; id: number; cells: Int32Array }
  | { t: 'clear'; id: number }
  | { t: 'error'; message: string };

/**
 * The worker thread's body: applies submitted log segments to their histories' rings, in submission
 * order, and tells the simulation thread about every allocation so its copy can read the same memory.
 * Stringified into the worker (see ringWorkerSource): it names nothing outside itself.
 */
export function ringWorkerMain(Rings: typeof LineRings, wt: typeof WorkerThreads): void {
  const data = wt.workerData as {
    ctrl: SharedArrayBuffer; queueLength: number; pollMs: number; sleepAfterMs: number;
    port: WorkerThreads.MessagePort; layout: typeof RING_CTRL; states: typeof RING_WORKER_STATE;
  };
  const { layout, states, port, queueLength, pollMs, sleepAfterMs } = data;
  const ctrl = new Int32Array(data.ctrl);
  // Abandoned by the simulation thread (it waited too long for the start): touch nothing.
  if (Atomics.compareExchange(ctrl, layout.state, states.starting, states.ready) !== states.starting) {
    port.close();
    return;
  }
  Atomics.notify(ctrl, layout.done);
  const histories = new Map<number, LineRings>();
  const slots: { addr: Float64Array; event: Uint16Array; time: Float64Array }[] = [];
  const pull = (): void => {
    for (let m = wt.receiveMessageOnPort(port); m !== undefined; m = wt.receiveMessageOnPort(port)) {
      const msg = m.message as RingWorkerMessage;
      if (msg.t === 'slot') {
        slots[msg.slot] = msg;
      } else if (msg.t === 'release') {
        histories.delete(msg.id);
      } else {
        const rings = new Rings(msg.lineBytes, msg.depth, msg.state, msg.idOfEvent);
        msg.snapshot.pageNos.forEach((pageNo, i) => rings.installPage(pageNo, msg.snapshot.pages[i]!));
        msg.snapshot.chunks.forEach((chunk) => rings.installChunk(chunk));
        const id = msg.id;
        rings.onChange = (what, pageNo, cells) => {
          port.postMessage(what === 'page' ? { t: what, id, pageNo, cells } : what === 'chunk' ? { t: what, id, cells } : { t: what, id });
        };
        histories.set(id, rings);
      }
    }
  };
  let done = Atomics.load(ctrl, layout.done);
  // When the last submission was finished (polling for the next while recent).
  let lastWork = performance.now();
  // The submission being worked on, and its history's rings (to tell how far it got if something throws).
  let rings: LineRings | undefined;
  let count = 0;
  try {
    for (;;) {
      const submitted = Atomics.load(ctrl, layout.submitted);
      if (submitted === done) {
        rings = undefined;
        pull(); // releases, while idle
        const now = performance.now();
        if (now - lastWork < sleepAfterMs) {
          // Busy: look again soon, so the simulation thread need not wake us (a wake-up costs it ~50 µs+).
          Atomics.wait(ctrl, layout.submitted, submitted, pollMs);
        } else {
          // Idle: sleep until woken (the simulation thread wakes us when it sees this flag).
          Atomics.store(ctrl, layout.sleeping, 1);
          if (Atomics.load(ctrl, layout.submitted) === submitted) Atomics.wait(ctrl, layout.submitted, submitted);
          Atomics.store(ctrl, layout.sleeping, 0);
          lastWork = performance.now();
        }
        continue;
      }
      lastWork = Number.POSITIVE_INFINITY;
      const entry = layout.queue + (done % queueLength) * 3;
      const id = ctrl[entry]!;
      const slotNo = ctrl[entry + 1]!;
      count = ctrl[entry + 2]!;
      // What it needs was posted before the submission: a miss means the message is still to be pulled.
      if (!histories.has(id) || (count > 0 && slots[slotNo] === undefined)) pull();
      rings = histories.get(id);
      // A history released meanwhile is skipped: nobody will read it.
      if (rings !== undefined) {
        if (count < 0) {
          rings.clear();
        } else {
          const slot = slots[slotNo]!;
          rings.apply(slot.addr, slot.event, slot.time, 0, count);
        }
      }
      rings = undefined;
      lastWork = performance.now();
      done++;
      Atomics.store(ctrl, layout.done, done);
      Atomics.notify(ctrl, layout.done);
    }
  } catch (e) {
    // The simulation thread redoes this submission from the failed event, and the rest, itself (an
    // allocation is the only step that throws, and it comes before the event's writes).
    ctrl[layout.failedAt] = done;
    ctrl[layout.failedEvent] = rings === undefined || count < 0 ? 0 : rings.nextEvent;
    port.postMessage({ t: 'error', message: e instanceof Error ? e.message : String(e) });
    Atomics.store(ctrl, layout.state, states.failed);
    Atomics.notify(ctrl, layout.done);
    port.close();
  }
}

/**
 * The worker's source: LineRings and ringWorkerMain as text (workers cannot load .ts sources under
 * vitest, and a bundle has no file to point at). `ringsClass` is an expression for the rings class
 * (a test may wrap it to inject a fault).
 */
export function ringWorkerSource(ringsClass = `(${LineRings.toString()})`): string {
  return `'use strict';\nconst Rings = ${ringsClass};\n(${ringWorkerMain.toString()})(Rings, require('node:worker_threads'));\n`;
}
