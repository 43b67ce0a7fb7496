import type { Ps } from './time.ts';

/** Receives a posted event: the allocation-free way to be called back (one object, many events). */
export interface EventTarget {
  onEvent(arg: number): void;
}
export type EventCallback = () => void;
/** What an event calls when it fires: a target (with its numeric arg) or a plain callback. */
export type EventHandler = EventTarget | EventCallback;
/** Identifies a scheduled event for `cancel`: generation * 2^22 + slot, never reused. */
export type EventId = number;

const SLOT_LIMIT = 2 ** 22; // at most ~4M events pending at once
const GEN_LIMIT = 2 ** 31; // a slot reused 2^31 times is retired, so ids stay unique below 2^53
// Per-slot state: only cancellation is recorded. A slot whose generation matches an id is pending or a
// tombstone (freeing a slot bumps its generation), so a push writes no state byte.
const LIVE = 0;
// Seq of a slot that never held an event: tells a made-up id from a real one (seqs are >= 0).
const NEVER_USED = -1;
const SLOT_FIELDS = 4; // slotData record: [arg, seq, priority, generation]
const CANCELLED = 1;

/** Thrown when more than 2^22 events are pending at the same time. */
export class EventQueueFullError extends RangeError {
  constructor() {
    super(`EventQueue: more than ${SLOT_LIMIT} events pending at once`);
    this.name = 'EventQueueFullError';
  }
}

/**
 * Min-heap of events ordered by (time, priority, seq), held in typed arrays and moved with a "hole"
 * so each sift level costs one copy instead of a swap. The heap holds (time, slot); priority and seq
 * sit in per-slot typed arrays and are read only to break time ties. Handlers live in a slot table indexed by
 * the heap's slot column; a cancelled event stays in the heap as a tombstone (its slot is marked
 * CANCELLED and only freed when it reaches the top), so a slot is never reused while the heap still
 * refers to it and a stale id can never hit a newer event (the generation in the id differs).
 */
export class EventQueue {
  // Heap columns, one entry per scheduled (pending or cancelled) event.
  private hTime: Float64Array;
  private hSlot: Int32Array;
  private heapSize = 0;
  private nextSeq = 0;
  // Pending events = heapSize - cancelledCount (no separate live counter to update per event).
  private cancelledCount = 0;

  // Slot table.
  private handlers: (EventHandler | undefined)[];
  // Per-slot record of SLOT_FIELDS Float64s (arg, seq, priority, generation): one array and one cache
  // line per event instead of four.
  private slotData: Float64Array;
  // Tie-breakers live with the slot, not in the heap: sifting moves only (time, slot), and priority/seq
  // are read only when two times are equal.
  private states: Uint8Array;
  private freeSlots: Int32Array;
  // Every slot not holding an event is on this stack, fresh ones included (added when the table grows),
  // so push takes a slot without a second path.
  private freeTop = 0;

  /** Filled by `popUntil`: the popped event's time, handler and arg (no object per pop). */
  time: Ps = 0;
  handler: EventHandler | undefined = undefined;
  arg = 0;

  constructor(initialCapacity = 1024) {
    const cap = Math.max(16, initialCapacity | 0);
    this.hTime = new Float64Array(cap);
    this.hSlot = new Int32Array(cap);
    this.slotData = new Float64Array(cap * SLOT_FIELDS);
    this.markNeverUsed(0, cap);
    this.handlers = new Array<EventHandler | undefined>(cap).fill(undefined);
    this.states = new Uint8Array(cap);
    this.freeSlots = new Int32Array(cap);
    this.addFreshSlots(0, cap);
    this.hTime[0] = NaN; // empty heap: headTime reads NaN without checking the size
  }

  /** Events scheduled and not yet fired or cancelled. */
  get size(): number {
    return this.heapSize - this.cancelledCount;
  }

  /** Adds an event; `time` and `priority` must already be validated (integer ps, int32 priority). */
  push(time: Ps, priority: number, handler: EventHandler, arg: number): EventId {
    // Kept small on purpose: V8 inlines run -> onEvent -> post -> push -> siftDown into one optimised
    // loop only while their bytecode fits its cumulative inlining budget; rare work sits in other methods.
    if (this.freeTop === 0) this.growSlots();
    const slot = this.freeSlots[--this.freeTop]!;
    // Skipping the store when the slot already holds this handler (the usual case: one target reposting
    // through a LIFO free list) avoids a GC write barrier per event.
    if (this.handlers[slot] !== handler) this.handlers[slot] = handler;
    const rec = slot * SLOT_FIELDS;
    const data = this.slotData;
    data[rec] = arg;
    data[rec + 1] = this.nextSeq++;
    data[rec + 2] = priority;
    // The heap never outgrows the slot table (one entry per slot in use), so it needs no check here.
    let i = this.heapSize++;
    const hTime = this.hTime;
    const hSlot = this.hSlot;
    // Sift up with a hole: parents later than the new event move down one level.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = hTime[parent]!;
      // The new event has the largest seq, so on a (time, priority) tie the parent stays above.
      if (pt < time || (pt === time && data[hSlot[parent]! * SLOT_FIELDS + 2]! <= priority)) break;
      hTime[i] = pt;
      hSlot[i] = hSlot[parent]!;
      i = parent;
    }
    hTime[i] = time;
    hSlot[i] = slot;
    return data[rec + 3]! * SLOT_LIMIT + slot;
  }

  /** Cancels a pending event. Returns false if it already fired, was cancelled, or never existed. */
  cancel(id: EventId): boolean {
    if (!(id >= 0) || !Number.isSafeInteger(id)) return false; // also rejects retired generation 2^31
    const slot = id % SLOT_LIMIT;
    const gen = (id - slot) / SLOT_LIMIT;
    if (slot >= this.states.length) return false;
    const rec = slot * SLOT_FIELDS;
    if (this.slotData[rec + 1] === NEVER_USED) return false; // no such id was issued
    if (this.slotData[rec + 3] !== gen || this.states[slot] !== LIVE) return false;
    this.states[slot] = CANCELLED;
    this.handlers[slot] = undefined; // let the handler be collected now
    this.cancelledCount++;
    // Too many tombstones slow every pop; rebuild without them.
    if (this.cancelledCount > 64 && this.cancelledCount * 2 > this.heapSize) this.compact();
    return true;
  }

  /** Time of the earliest pending event, or Infinity when none is pending. */
  peekTime(): number {
    this.dropCancelledTop();
    return this.heapSize > 0 ? this.hTime[0]! : Infinity;
  }

  /**
   * Removes the earliest pending event if its time is <= limit and stores it in `time`, `handler`, `arg`.
   * Returns false (removing nothing but tombstones) when the queue is empty or the next event is later.
   */
  popUntil(limit: number): boolean {
    // Tombstones exist only after a cancel; the common case skips the state lookup entirely.
    if (this.cancelledCount !== 0) this.dropCancelledTop();
    if (this.heapSize === 0) return false;
    const t = this.hTime[0]!;
    if (t > limit) return false;
    const slot = this.hSlot[0]!;
    this.removeRoot();
    this.time = t;
    this.handler = this.handlers[slot];
    this.arg = this.slotData[slot * SLOT_FIELDS]!;
    this.releaseSlot(slot);
    return true;
  }

  /**
   * Time of the earliest pending event, or NaN when none is pending, so `!(headTime() <= limit)` tests
   * both "empty" and "later" in one comparison. With `popSlot` it is Simulator.run's allocation-free,
   * field-write-free pop.
   */
  headTime(): number {
    if (this.cancelledCount !== 0) this.dropCancelledTop();
    return this.hTime[0]!;
  }

  /**
   * Removes the earliest event (the queue must not be empty; call `headTime` first) and returns its slot;
   * read it with `handlerOf`/`argOf` before pushing again (a push may reuse the slot).
   */
  popSlot(): number {
    const hTime = this.hTime;
    const hSlot = this.hSlot;
    const slot = hSlot[0]!;
    const n = --this.heapSize;
    if (n === 0) hTime[0] = NaN;
    else this.siftDown(0, n, hTime[n]!, hSlot[n]!);
    // releaseSlot written out (it would cost a call's worth of inlining budget).
    const genAt = slot * SLOT_FIELDS + 3;
    const gen = this.slotData[genAt]! + 1;
    this.slotData[genAt] = gen;
    if (gen < GEN_LIMIT) this.freeSlots[this.freeTop++] = slot;
    return slot;
  }

  /** The handler of a slot just returned by `popSlot`. */
  handlerOf(slot: number): EventHandler | undefined {
    return this.handlers[slot];
  }

  /** The arg of a slot just returned by `popSlot`. */
  argOf(slot: number): number {
    return this.slotData[slot * SLOT_FIELDS]!;
  }

  /** Removes every event. Outstanding ids become stale (cancel returns false). */
  clear(): void {
    for (let i = 0; i < this.heapSize; i++) this.releaseSlot(this.hSlot[i]!);
    this.handlers.fill(undefined);
    this.states.fill(LIVE);
    this.heapSize = 0;
    this.hTime[0] = NaN;
    this.cancelledCount = 0;
    this.handler = undefined;
  }

  private dropCancelledTop(): void {
    while (this.heapSize > 0) {
      const slot = this.hSlot[0]!;
      if (this.states[slot] !== CANCELLED) return;
      this.states[slot] = LIVE;
      this.removeRoot();
      this.releaseSlot(slot);
      this.cancelledCount--;
    }
  }

  /**
   * Frees a slot. The handler reference is kept until the slot is reused (bounded by the peak number of
   * pending events); cancel and clear drop it at once.
   */
  private releaseSlot(slot: number): void {
    // A new generation makes every id of the old event stale. At generation 2^31 the slot is retired
    // (never reused) instead; cancel rejects that generation, so no id can match it.
    const genAt = slot * SLOT_FIELDS + 3;
    const gen = this.slotData[genAt]! + 1;
    this.slotData[genAt] = gen;
    if (gen < GEN_LIMIT) this.freeSlots[this.freeTop++] = slot;
  }

  /** Removes the root: the last entry fills the hole and sifts down. */
  private removeRoot(): void {
    const n = --this.heapSize;
    if (n === 0) {
      this.hTime[0] = NaN;
      return;
    }
    this.siftDown(0, n, this.hTime[n]!, this.hSlot[n]!);
  }

  /** Whether slot a's event goes before slot b's when their times are equal. */
  private tieBefore(a: number, b: number): boolean {
    const data = this.slotData;
    const ra = a * SLOT_FIELDS;
    const rb = b * SLOT_FIELDS;
    const pa = data[ra + 2]!;
    const pb = data[rb + 2]!;
    return pa < pb || (pa === pb && data[ra + 1]! < data[rb + 1]!);
  }

  /** Places the entry (t, sl) at hole `i` of a heap of `n` entries, moving smaller children up. */
  private siftDown(i: number, n: number, t: number, sl: number): void {
    const hTime = this.hTime;
    const hSlot = this.hSlot;
    const half = n >> 1;
    while (i < half) {
      let c = 2 * i + 1;
      let ct = hTime[c]!;
      const r = c + 1;
      if (r < n) {
        const rt = hTime[r]!;
        if (rt < ct || (rt === ct && this.tieBefore(hSlot[r]!, hSlot[c]!))) {
          c = r;
          ct = rt;
        }
      }
      if (t < ct || (t === ct && this.tieBefore(sl, hSlot[c]!))) break;
      hTime[i] = ct;
      hSlot[i] = hSlot[c]!;
      i = c;
    }
    hTime[i] = t;
    hSlot[i] = sl;
  }

  /** Drops all tombstones and re-heapifies (Floyd), keeping (time, priority, seq) order. */
  private compact(): void {
    const hTime = this.hTime;
    const hSlot = this.hSlot;
    let n = 0;
    for (let i = 0; i < this.heapSize; i++) {
      const slot = hSlot[i]!;
      if (this.states[slot] === CANCELLED) {
        this.states[slot] = LIVE;
        this.releaseSlot(slot);
        continue;
      }
      hTime[n] = hTime[i]!;
      hSlot[n] = slot;
      n++;
    }
    this.heapSize = n;
    this.cancelledCount = 0;
    if (n === 0) hTime[0] = NaN;
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i, n, hTime[i]!, hSlot[i]!);
  }

  /** Gives the heap room for `cap` entries (as many as there are slots). */
  private growHeap(cap: number): void {
    const t = new Float64Array(cap);
    t.set(this.hTime);
    this.hTime = t;
    const sl = new Int32Array(cap);
    sl.set(this.hSlot);
    this.hSlot = sl;
  }

  private growSlots(): void {
    const old = this.states.length;
    if (old >= SLOT_LIMIT) throw new EventQueueFullError();
    const cap = Math.min(old * 2, SLOT_LIMIT);
    const d = new Float64Array(cap * SLOT_FIELDS);
    d.set(this.slotData);
    this.slotData = d;
    this.markNeverUsed(old, cap);
    const st = new Uint8Array(cap);
    st.set(this.states);
    this.states = st;
    const f = new Int32Array(cap);
    f.set(this.freeSlots);
    this.freeSlots = f;
    for (let i = old; i < cap; i++) this.handlers.push(undefined);
    this.addFreshSlots(old, cap);
    this.growHeap(cap);
  }

  private markNeverUsed(from: number, to: number): void {
    for (let slot = from; slot < to; slot++) this.slotData[slot * SLOT_FIELDS + 1] = NEVER_USED;
  }

  /** Puts slots [from, to) on the free stack, lowest on top so ids start at slot 0. */
  private addFreshSlots(from: number, to: number): void {
    for (let slot = to - 1; slot >= from; slot--) this.freeSlots[this.freeTop++] = slot;
  }
}
