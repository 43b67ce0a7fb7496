import { MAX_TIME_PS } from '../../emulator/kernel/time.ts';
import type { Ps } from '../../emulator/kernel/time.ts';
import { LineRings } from './line-history-rings.ts';
import { LOG_SEGMENT_EVENTS, sharedRingWorker } from './line-history-worker.ts';
import type { RingWorker, RingWorkerHandle } from './line-history-worker.ts';

/** What happened to a line (stored in 4 bits). */
export const LineEventKind = {
  fill: 1,
  speculativeFill: 2,
  evictClean: 3,
  evictDirty: 4,
  clean: 5,
  invalidate: 6,
  cleanInvalidate: 7,
  lostStore: 8,
  deviceWrite: 9,
} as const;
export type LineEventKindName = keyof typeof LineEventKind;

const KIND_NAMES: LineEventKindName[] = [];
for (const [k, v] of Object.entries(LineEventKind)) KIND_NAMES[v] = k as LineEventKindName;
const MAX_KIND = KIND_NAMES.length - 1;

/**
 * Level of a paired entry: the outer cache's fill and then the same line's L1 fill (agent = core) at the
 * same time, which every L1 miss that goes to the L2 records. One ring entry holds both, so such a miss
 * costs one ring update; queries expand it into the two events.
 */
const LEVEL_L2_THEN_L1 = 3;
const L2_AGENT = 0xff;

/** A packed event (14 bits): kind | level << 4 | agent byte << 6. */
const LEVEL_SHIFT = 4;
const AGENT_SHIFT = 6;
const L2_FILL_TAG = (2 << LEVEL_SHIFT) | (L2_AGENT << AGENT_SHIFT);

/**
 * Ids number the packed events a history has seen, in the order first seen (a run sees a few dozen:
 * kinds × levels × agents); a ring cell has 11 bits for one (0: an empty cell).
 */
const MAX_EVENT_IDS = 2047;

/** Full segments a history applies in-thread before it hands its segments to the worker thread. */
const DEFAULT_OFF_THREAD_AFTER_SEGMENTS = 4;

/**
 * Full segments a history keeps unapplied until a query asks (default 256: 1 Mi events, 18 MiB of log,
 * about 3 simulated seconds of the default scenario). Only a violation's explanation reads the history,
 * so a run without one never pays for its rings; beyond this the oldest segments are applied as before.
 */
const DEFAULT_DEFER_SEGMENTS = 256;

function rejectEvent(kind: number, level: number, time: number): never {
  throw new RangeError(`LineHistory.record: expected a LineEventKind value, level 0..2 and an integer time in 0..2^53-1 ps, got kind ${kind}, level ${level}, time ${time}`);
}

/** One segment of the log: events recorded and not yet applied, in order. */
interface LogArrays {
  readonly addr: Float64Array;
  readonly event: Uint16Array;
  readonly time: Float64Array;
}

/** Segments given back by histories (cleared, drained or released), reused before new ones are made. */
const spareSegments: LogArrays[] = [];
/** The most segments kept spare: enough for one history's deferred log. */
const MAX_SPARE_SEGMENTS = DEFAULT_DEFER_SEGMENTS + 1;

function takeSegment(): LogArrays {
  return spareSegments.pop() ?? { addr: new Float64Array(LOG_SEGMENT_EVENTS), event: new Uint16Array(LOG_SEGMENT_EVENTS), time: new Float64Array(LOG_SEGMENT_EVENTS) };
}

function giveBack(segment: LogArrays): void {
  if (spareSegments.length < MAX_SPARE_SEGMENTS) spareSegments.push(segment);
}

/** Which cache saw the event: 1 = an L1 (agent = core id), 2 = the outer L2 (agent = -1), 0 = memory. */
export interface LineEvent {
  kind: LineEventKindName;
  level: number;
  agent: number;
  time: Ps;
}

export interface LineHistoryOptions {
  /**
   * Full log segments (4096 events each) applied on the simulation thread before the history hands its
   * segments to the worker thread (default 4, so small histories never start it; 0: from the start;
   * Infinity: never). A history whose worker already runs hands over from its first full segment.
   */
  offThreadAfterSegments?: number;
  /**
   * Full log segments (4096 events each) kept unapplied until a query (default 256). Beyond that the
   * oldest are applied (in-thread, then by the worker, as offThreadAfterSegments says). 0: apply each
   * segment as it fills.
   */
  deferSegments?: number;
  /** The worker thread to use (default: this thread's shared one). */
  ringWorker?: RingWorker;
}

/**
 * A small ring of recent events per cache line, so the checker can ask "was this line speculatively
 * filled before the device wrote it?" after the fact. The rings and their index are a LineRings (in
 * shared memory; see its comment for the layout).
 *
 * `record` only appends to a log segment (sequential stores that stay in the host's caches). Full
 * segments are deferred: only a query (a violation's explanation) needs the rings, so up to
 * `deferSegments` of them wait unapplied, and a run with no violation never applies them. A query
 * applies everything logged first, so it sees every event, exactly as if each had been applied at once.
 * Segments beyond the deferred ones are applied oldest first: in-thread for a history's first few, then
 * by a worker thread (RingWorker) while the simulation runs on, since applying is bound by cache misses
 * in megabytes of rings. Queries with nothing recorded in between cost nothing.
 */
export class LineHistory {
  readonly depth: number;
  readonly lineBytes: number;
  enabled = true;
  private readonly rings: LineRings;
  // Packed event → its id (0: none yet; shared: the worker reads it), and back.
  private readonly idOfEvent = new Uint16Array(new SharedArrayBuffer(2 << 14));
  private readonly eventOfId = new Uint16Array(MAX_EVENT_IDS + 1);
  private ids = 0;
  // The segment being logged into (its arrays kept as fields for record) and its event count.
  private current: LogArrays = takeSegment();
  private logAddr = this.current.addr;
  private logEvent = this.current.event;
  private logTime = this.current.time;
  private logged = 0;
  // Full segments not yet applied, oldest first.
  private readonly deferred: LogArrays[] = [];
  private readonly deferLimit: number;
  private readonly worker: RingWorker | null;
  private readonly offThreadAfter: number;
  private fullSegments = 0;
  // Set while the worker applies this history's segments.
  private handle: RingWorkerHandle | null = null;

  constructor(lineBytes: number, depth = 8, options: LineHistoryOptions = {}) {
    if (!Number.isInteger(depth) || depth < 1 || depth > 255) throw new RangeError(`LineHistory: depth must be an integer in 1..255, got ${depth}`);
    const offThreadAfter = options.offThreadAfterSegments ?? DEFAULT_OFF_THREAD_AFTER_SEGMENTS;
    if (!(offThreadAfter >= 0)) throw new RangeError(`LineHistory: offThreadAfterSegments must be a number >= 0 (Infinity: never), got ${offThreadAfter}`);
    const deferLimit = options.deferSegments ?? DEFAULT_DEFER_SEGMENTS;
    if (!Number.isInteger(deferLimit) || deferLimit < 0) throw new RangeError(`LineHistory: deferSegments must be an integer >= 0, got ${deferLimit}`);
    this.deferLimit = deferLimit;
    this.lineBytes = lineBytes;
    this.depth = depth;
    this.rings = new LineRings(lineBytes, depth, new Float64Array(new SharedArrayBuffer(16)), this.idOfEvent);
    this.offThreadAfter = offThreadAfter;
    this.worker = offThreadAfter === Infinity ? null : options.ringWorker ?? sharedRingWorker();
    if (offThreadAfter === 0) this.goOffThread();
  }

  /**
   * Logs an event: `kind` a LineEventKind value, `level` 0..2, `agent` a core id (signed byte; -1: the L2).
   * Kept small (the message and the pairing in methods of their own) so that V8 inlines it into the
   * cache's miss paths: a call would also box `time` into a heap number per event.
   */
  record(pa: number, kind: number, level: number, agent: number, time: Ps): void {
    if (!this.enabled) return;
    if (!(kind >= 1 && kind <= MAX_KIND && level >= 0 && level <= 2 && time >= 0 && time <= MAX_TIME_PS && Math.floor(time) === time)) rejectEvent(kind, level, time);
    const i = this.logged;
    // An L1 fill right after the L2's fill of the same line at the same time joins that entry.
    if (level === 1 && i > 0 && this.logEvent[i - 1] === (kind | L2_FILL_TAG) && this.logTime[i - 1] === time && this.pairWithLast(pa, kind, agent)) return;
    const event = kind | (level << LEVEL_SHIFT) | ((agent & 0xff) << AGENT_SHIFT);
    if (this.idOfEvent[event] === 0) this.newEventId(event);
    this.logAddr[i] = pa;
    this.logEvent[i] = event;
    this.logTime[i] = time;
    this.logged = i + 1;
    if (i + 1 === LOG_SEGMENT_EVENTS) this.segmentFull();
  }

  /** Makes the last entry (an L2 fill at this time) the pair L2-then-L1 if it is of pa's line; false if not. */
  private pairWithLast(pa: number, kind: number, agent: number): boolean {
    const i = this.logged - 1;
    if (this.rings.lineOf(this.logAddr[i]!) !== this.rings.lineOf(pa)) return false;
    const paired = kind | (LEVEL_L2_THEN_L1 << LEVEL_SHIFT) | ((agent & 0xff) << AGENT_SHIFT);
    if (this.idOfEvent[paired] === 0) this.newEventId(paired);
    this.logEvent[i] = paired;
    return true;
  }

  /** Defers the full segment; applies the oldest deferred one if that makes too many. */
  private segmentFull(): void {
    this.deferred.push(this.current);
    this.logTo(takeSegment());
    if (this.deferred.length > this.deferLimit) {
      const oldest = this.deferred.shift()!;
      this.apply(oldest, LOG_SEGMENT_EVENTS, true);
      giveBack(oldest);
    }
  }

  private logTo(segment: LogArrays): void {
    this.current = segment;
    this.logAddr = segment.addr;
    this.logEvent = segment.event;
    this.logTime = segment.time;
    this.logged = 0;
  }

  /**
   * Applies a segment's first `n` events to their lines' rings: in-thread, or through the worker (a copy
   * into its shared segment). A full segment applied in the course of logging (`mayGoOffThread`) counts
   * towards going off-thread.
   */
  private apply(segment: LogArrays, n: number, mayGoOffThread: boolean): void {
    const handle = this.handle;
    if (handle !== null) {
      const to = handle.segment;
      to.addr.set(n === LOG_SEGMENT_EVENTS ? segment.addr : segment.addr.subarray(0, n));
      to.event.set(n === LOG_SEGMENT_EVENTS ? segment.event : segment.event.subarray(0, n));
      to.time.set(n === LOG_SEGMENT_EVENTS ? segment.time : segment.time.subarray(0, n));
      this.worker!.submit(handle, n);
      if (!this.worker!.usable) this.handle = null; // it failed: in-thread from now on
      return;
    }
    this.rings.apply(segment.addr, segment.event, segment.time, 0, n);
    // Once the shared worker runs (started for an earlier history), even a young history goes to it.
    if (mayGoOffThread && (++this.fullSegments >= this.offThreadAfter || (this.worker !== null && this.worker.running))) this.goOffThread();
  }

  /** Hands the rings to the worker thread, if there is one to use. */
  private goOffThread(): void {
    if (this.worker === null || !this.worker.usable) return;
    this.handle = this.worker.register(this, this.rings);
  }

  /**
   * Applies everything logged (deferred segments, then the partial one) and waits until the worker, if
   * it has the rings, is done. A query's wait: it never starts the worker.
   */
  private drain(): void {
    for (const segment of this.deferred) {
      this.apply(segment, LOG_SEGMENT_EVENTS, false);
      giveBack(segment);
    }
    this.deferred.length = 0;
    if (this.logged > 0) {
      this.apply(this.current, this.logged, false);
      this.logged = 0;
    }
    if (this.handle === null) return;
    this.worker!.drain();
    if (!this.worker!.usable) this.handle = null;
  }

  /** The id of a packed event seen for the first time. */
  private newEventId(event: number): void {
    if (this.ids === MAX_EVENT_IDS) throw new RangeError(`LineHistory: more than ${MAX_EVENT_IDS} distinct (kind, level, agent) combinations`);
    const id = ++this.ids;
    this.idOfEvent[event] = id;
    this.eventOfId[id] = event;
  }

  /**
   * Events of the line holding `pa`, oldest first (at most `depth`). A ring of `depth` entries holds at
   * least `depth` events (an entry may hold a pair), so the last `depth` of its expanded events are the
   * line's last `depth` events.
   */
  query(pa: number): LineEvent[] {
    this.drain();
    const ids: number[] = [];
    const times: number[] = [];
    this.rings.readLine(this.rings.lineOf(pa), ids, times);
    const out: LineEvent[] = [];
    for (let i = 0; i < ids.length; i++) {
      const packed = this.eventOfId[ids[i]!]!;
      const kind = KIND_NAMES[packed & ((1 << LEVEL_SHIFT) - 1)]!;
      const level = (packed >>> LEVEL_SHIFT) & 0x3;
      // Agents are stored as a signed byte (-1 for the outer cache).
      const agent = ((packed >>> AGENT_SHIFT) << 24) >> 24;
      const time = times[i]!;
      if (level === LEVEL_L2_THEN_L1) {
        out.push({ kind, level: 2, agent: -1, time });
        out.push({ kind, level: 1, agent, time });
      } else {
        out.push({ kind, level, agent, time });
      }
    }
    return out.length > this.depth ? out.slice(out.length - this.depth) : out;
  }

  /** The most recent event of `kind` on the line of `pa` at or before `before`, or undefined. */
  last(pa: number, kind: LineEventKindName, before: Ps = Infinity): LineEvent | undefined {
    const events = this.query(pa);
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i]!;
      if (e.kind === kind && e.time <= before) return e;
    }
    return undefined;
  }

  /** Forgets every line's events, including those logged and not yet applied. */
  clear(): void {
    this.logged = 0;
    for (const segment of this.deferred) giveBack(segment);
    this.deferred.length = 0;
    if (this.handle === null) {
      this.rings.clear();
      return;
    }
    this.worker!.clear(this.handle);
    if (!this.worker!.usable) this.handle = null;
  }
}
