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
const CANCELLED = 1;
// Seq of a slot that never held an event: tells a made-up id from a real one (seqs are >= 0).
const NEVER_USED = -1;

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
 * Simulator.run pops with `takeRoot`, which leaves the fired entry at the root: a handler's first post
 * replaces it with one sift-down (no separate sift-up); every other operation removes it first.
 */
export class EventQueue {
  // Heap columns, one entry per scheduled (pending or cancelled) event.
  private hTime: Float64Array;
  private hSlot: Int32Array;
  private heapSize = 0;
  private nextSeq = 0;
  // Pending events = heapSize - cancelledCount (no separate live counter to update per event).
  private cancelledCount = 0;
  // Set by takeRoot: the root entry has been delivered but still sits at the top. The next push drops
  // its event straight into the root and sifts down once (the usual "handler schedules its successor"
  // step costs one sift instead of a sift-down plus a sift-up); anything else removes it first (settle).
  private rootFired = false;

  // Slot table.
  private handlers: (EventHandler | undefined)[];
  private args: Float64Array;
  // Tie-breakers live with the slot, not in the heap: sifting moves only (time, slot), and priority/seq
  // are read only when two times are equal.
  private prios: Int32Array;
  private seqs: Float64Array;
  private gens: Int32Array;
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
    this.prios = new Int32Array(cap);
    this.seqs = new Float64Array(cap).fill(NEVER_USED);
    this.handlers = new Array<EventHandler | undefined>(cap).fill(undefined);
    this.args = new Float64Array(cap);
    this.gens = new Int32Array(cap);
    this.states = new Uint8Array(cap);
    this.freeSlots = new Int32Array(cap);
    this.addFreshSlots(0, cap);
    this.hTime[0] = NaN; // empty heap: headTime reads NaN without checking the size
  }

  /** Events scheduled and not yet fired or cancelled. */
  get size(): number {
    return this.heapSize - this.cancelledCount - (this.rootFired ? 1 : 0);
  }

  /** Adds an event; `time` and `priority` must already be validated (integer ps, int32 priority). */
  push(time: Ps, priority: number, handler: EventHandler, arg: number): EventId {
    // Kept small on purpose: V8 inlines run -> onEvent -> post -> push -> siftDown into one optimised
    // loop only while their bytecode fits its cumulative inlining budget; rare work sits in other methods.
    if (this.freeTop === 0) this.growSlots();
    const slot = this.freeSlots[--this.freeTop]!;
    this.handlers[slot] = handler;
    this.args[slot] = arg;
    this.prios[slot] = priority;
    this.seqs[slot] = this.nextSeq++;
    const id = this.gens[slot]! * SLOT_LIMIT + slot;
    if (this.rootFired) {
      this.rootFired = false;
      this.siftDown(0, this.heapSize, time, slot);
      return id;
    }
    // The heap never outgrows the slot table (one entry per slot in use), so it needs no check here.
    let i = this.heapSize++;
    const hTime = this.hTime;
    const hSlot = this.hSlot;
    // Sift up with a hole: parents later than the new event move down one level.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = hTime[parent]!;
      // The new event has the largest seq, so on a (time, priority) tie the parent stays above.
      if (pt < time || (pt === time && this.prios[hSlot[parent]!]! <= priority)) break;
      hTime[i] = pt;
      hSlot[i] = hSlot[parent]!;
      i = parent;
    }
    hTime[i] = time;
    hSlot[i] = slot;
    return id;
  }

  /**
   * Takes the sequence number the next push would get, for an event kept outside the queue (an
   * EventLane): ties with queued events then break exactly as if it had been pushed now.
   */
  reserveSeq(): number {
    return this.nextSeq++;
  }

  /**
   * Whether the earliest queued event comes after a priority-0 event at the same time with sequence
   * number `seq` (call headTime first; the queue must not be empty).
   */
  headAfter(seq: number): boolean {
    const slot = this.hSlot[0]!;
    const p = this.prios[slot]!;
    return p > 0 || (p === 0 && this.seqs[slot]! > seq);
  }

  /** Cancels a pending event. Returns false if it already fired, was cancelled, or never existed. */
  cancel(id: EventId): boolean {
    if (!(id >= 0) || !Number.isInteger(id)) return false;
    const slot = id % SLOT_LIMIT;
    const gen = (id - slot) / SLOT_LIMIT;
    if (slot >= this.args.length || this.seqs[slot] === NEVER_USED) return false; // no such id was issued
    if (this.gens[slot] !== gen || this.states[slot] !== LIVE) return false;
    this.states[slot] = CANCELLED;
    this.handlers[slot] = undefined; // let the handler be collected now
    this.cancelledCount++;
    // Too many tombstones slow every pop; rebuild without them.
    if (this.cancelledCount > 64 && this.cancelledCount * 2 > this.heapSize) this.compact();
    return true;
  }

  /** Time of the earliest pending event, or Infinity when none is pending. */
  peekTime(): number {
    this.dropCancelledTop(); // settles a fired root too
    return this.heapSize > 0 ? this.hTime[0]! : Infinity;
  }

  /**
   * Removes the earliest pending event if its time is <= limit and stores it in `time`, `handler`, `arg`.
   * Returns false (removing nothing but tombstones) when the queue is empty or the next event is later.
   */
  popUntil(limit: number): boolean {
    if (this.rootFired) this.settle();
    // Tombstones exist only after a cancel; the common case skips the state lookup entirely.
    if (this.cancelledCount !== 0) this.dropCancelledTop();
    if (this.heapSize === 0) return false;
    const t = this.hTime[0]!;
    if (t > limit) return false;
    const slot = this.hSlot[0]!;
    this.removeRoot();
    this.time = t;
    this.handler = this.handlers[slot];
    this.arg = this.args[slot]!;
    this.releaseSlot(slot);
    return true;
  }

  /**
   * Time of the earliest pending event, or NaN when none is pending, so `!(headTime() <= limit)` tests
   * both "empty" and "later" in one comparison. With `takeRoot` it is Simulator.run's allocation-free,
   * field-write-free pop.
   */
  headTime(): number {
    // Both are rare here (a handler usually posts, which consumes the fired root).
    if (this.rootFired || this.cancelledCount !== 0) this.dropCancelledTop();
    return this.hTime[0]!;
  }

  /**
   * Takes the earliest event (the queue must not be empty; call `headTime` first) and returns its slot;
   * read it with `handlerOf`/`argOf` before pushing again (a push may reuse the slot). Its id is stale
   * at once, but its entry stays at the root until the next push replaces it or another call settles it.
   */
  takeRoot(): number {
    const slot = this.hSlot[0]!;
    this.rootFired = true;
    // releaseSlot written out (it would cost a call's worth of inlining budget).
    const gen = this.gens[slot]! + 1;
    this.gens[slot] = gen;
    if (gen < GEN_LIMIT) this.freeSlots[this.freeTop++] = slot;
    return slot;
  }

  /** Removes a root left by takeRoot that no push replaced. */
  private settle(): void {
    this.rootFired = false;
    this.removeRoot();
  }

  /** The handler of a slot just returned by `takeRoot`. */
  handlerOf(slot: number): EventHandler | undefined {
    return this.handlers[slot];
  }

  /** The arg of a slot just returned by `takeRoot`. */
  argOf(slot: number): number {
    return this.args[slot]!;
  }

  /** Removes every event. Outstanding ids become stale (cancel returns false). */
  clear(): void {
    if (this.rootFired) this.settle();
    for (let i = 0; i < this.heapSize; i++) this.releaseSlot(this.hSlot[i]!);
    this.handlers.fill(undefined);
    this.states.fill(LIVE);
    this.heapSize = 0;
    this.hTime[0] = NaN;
    this.cancelledCount = 0;
    this.handler = undefined;
  }

  private dropCancelledTop(): void {
    if (this.rootFired) this.settle();
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
    // A new generation makes every id of the old event stale. Generation 2^31 wraps to a negative
    // number in the Int32Array, which no id carries: the slot is retired (never reused) instead.
    const gen = this.gens[slot]! + 1;
    this.gens[slot] = gen;
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
    const pa = this.prios[a]!;
    const pb = this.prios[b]!;
    return pa < pb || (pa === pb && this.seqs[a]! < this.seqs[b]!);
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
    if (this.rootFired) this.settle();
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
    const old = this.args.length;
    if (old >= SLOT_LIMIT) throw new EventQueueFullError();
    const cap = Math.min(old * 2, SLOT_LIMIT);
    const a = new Float64Array(cap);
    a.set(this.args);
    this.args = a;
    const pr = new Int32Array(cap);
    pr.set(this.prios);
    this.prios = pr;
    const sq = new Float64Array(cap);
    sq.fill(NEVER_USED, old);
    sq.set(this.seqs);
    this.seqs = sq;
    const g = new Int32Array(cap);
    g.set(this.gens);
    this.gens = g;
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

  /** Puts slots [from, to) on the free stack, lowest on top so ids start at slot 0. */
  private addFreshSlots(from: number, to: number): void {
    for (let slot = to - 1; slot >= from; slot--) this.freeSlots[this.freeTop++] = slot;
  }
}
