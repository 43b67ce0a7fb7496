import { MAX_TIME_PS } from '../../emulator/kernel/time.ts';
import type { Ps } from '../../emulator/kernel/time.ts';

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

/** Lines per direct-mapped index page (4096 lines of 64 bytes: 256 KiB of address space, 16 KiB of index). */
const INDEX_PAGE_LINES = 4096;

/**
 * Index pages below this page number are found through a flat Int32Array (grown by doubling, 4 MiB at
 * most; 2^20 pages: 2^38 bytes of 64-byte lines); above, in a Map, so sparse far lines stay cheap.
 */
const DENSE_INDEX_PAGES = 1 << 20;
/** First length of that flat table (16 KiB: 2^30 bytes of 64-byte lines). */
const INITIAL_DENSE_SLOTS = 4096;

/** Rings per pool chunk (2^12: 256 KiB at depth 8). */
const CHUNK_SHIFT = 12;
const CHUNK_RINGS = 1 << CHUNK_SHIFT;

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
 * A ring cell is two Int32 words, 8 bytes, so a ring of depth 8 is one 64-byte block: the time's low 32
 * bits, then its high 21 bits (times are integers below 2^53) under the event's id (11 bits; 0: an empty
 * cell). Ids number the packed events a history has seen, in the order first seen (a run sees a few
 * dozen: kinds × levels × agents).
 */
const TIME_LOW = 2 ** 32;
const INV_TIME_LOW = 2 ** -32;
const TIME_HIGH_BITS = 21;
const TIME_HIGH_MASK = (1 << TIME_HIGH_BITS) - 1;
const MAX_EVENT_IDS = (1 << (32 - TIME_HIGH_BITS)) - 1;

/** Events buffered before they are applied to their rings (18 bytes each). */
const LOG_EVENTS = 4096;

/** Which cache saw the event: 1 = an L1 (agent = core id), 2 = the outer L2 (agent = -1), 0 = memory. */
export interface LineEvent {
  kind: LineEventKindName;
  level: number;
  agent: number;
  time: Ps;
}

/**
 * A small ring of recent events per cache line, so the checker can ask "was this line speculatively
 * filled before the device wrote it?" after the fact. Lines get a ring on their first event; rings
 * live in pooled typed arrays. A line finds its ring through a direct-mapped index page (one Uint32 per
 * line, for a block of INDEX_PAGE_LINES lines), found by page number.
 *
 * The pools are megabytes and mostly cold in the host's caches, and flushing is bound by how many bytes
 * of them it drags in (measured in the default scenario: 8-byte index entries, with Int32 events and
 * Float64 times kept apart, cost about 1.5× as much per event), so they are kept small. A line's index
 * entry (4 bytes) holds its ring and the ring's head, with no count (a cell is empty while its id is
 * 0), and an event with its exact time takes one 8-byte cell, so an event touches its index entry and
 * one ring cell. `record` only appends to a short log (sequential stores that stay in the host's
 * caches); a flush applies a whole batch at once, its ring updates independent enough for the host CPU
 * to overlap their cache misses. Queries flush first, so they see every event.
 */
export class LineHistory {
  readonly depth: number;
  readonly lineBytes: number;
  enabled = true;
  // Index pages: each line's entry ((ring + 1) << headBits | head; 0: no ring yet), in order made.
  private readonly indexPages: Uint32Array[] = [];
  // Page number → position in indexPages + 1 (0: no page yet), for page numbers below its length.
  private densePageSlots = new Int32Array(0);
  private readonly farPages = new Map<number, Uint32Array>();
  // The last index page used and the first line it covers (-Infinity: none yet, every line misses it).
  private lastFirstLine = Number.NEGATIVE_INFINITY;
  private lastPage: Uint32Array = new Uint32Array(0);
  // 1 / lineBytes when lineBytes is a power of two (multiplying is then exact), else 0.
  private readonly invLine: number;
  // Bits of an index entry that hold the ring's head (enough for depth - 1), and the most rings
  // an entry can name.
  private readonly headBits: number;
  private readonly maxRings: number;
  // Rings live in chunks of CHUNK_RINGS (ring r: chunk r >>> CHUNK_SHIFT): growing adds a chunk and
  // copies nothing (doubling one array copied and re-faulted megabytes each time).
  private readonly ringChunks: Int32Array[] = [];
  private capacity = 0;
  private used = 0;
  // Rings below this were used before the last clear: their events are stale, emptied as they are reused.
  private stale = 0;
  // Packed event → its id (0: none yet), and back.
  private readonly idOfEvent = new Uint16Array(1 << 14);
  private readonly eventOfId = new Uint16Array(MAX_EVENT_IDS + 1);
  private ids = 0;
  // Events not yet applied to their rings, in order.
  private readonly logAddr = new Float64Array(LOG_EVENTS);
  private readonly logEvent = new Uint16Array(LOG_EVENTS);
  private readonly logTime = new Float64Array(LOG_EVENTS);
  private logged = 0;

  constructor(lineBytes: number, depth = 8) {
    if (!Number.isInteger(depth) || depth < 1 || depth > 255) throw new RangeError(`LineHistory: depth must be an integer in 1..255, got ${depth}`);
    this.lineBytes = lineBytes;
    this.depth = depth;
    this.invLine = lineBytes > 0 && (lineBytes & (lineBytes - 1)) === 0 ? 1 / lineBytes : 0;
    this.headBits = depth === 1 ? 0 : 32 - Math.clz32(depth - 1);
    this.maxRings = 2 ** (32 - this.headBits) - 1;
  }

  private lineOf(pa: number): number {
    return this.invLine !== 0 ? Math.floor(pa * this.invLine) : Math.floor(pa / this.lineBytes);
  }

  /** The index page of page number `pageNo`, made if `create` (else undefined when it does not exist). */
  private indexPage(pageNo: number, create: boolean): Uint32Array | undefined {
    if (pageNo >= DENSE_INDEX_PAGES) {
      let far = this.farPages.get(pageNo);
      if (far === undefined && create) {
        far = new Uint32Array(INDEX_PAGE_LINES);
        this.farPages.set(pageNo, far);
      }
      return far;
    }
    const slots = this.densePageSlots;
    const slot = pageNo < slots.length ? slots[pageNo]! : 0;
    if (slot !== 0) return this.indexPages[slot - 1];
    if (!create) return undefined;
    const page = new Uint32Array(INDEX_PAGE_LINES);
    this.indexPages.push(page);
    if (pageNo >= slots.length) this.growDenseSlots(pageNo);
    this.densePageSlots[pageNo] = this.indexPages.length;
    return page;
  }

  /** Doubles the flat page table until it covers `pageNo` (a copy, rare: a few times per run at most). */
  private growDenseSlots(pageNo: number): void {
    let length = Math.max(this.densePageSlots.length, INITIAL_DENSE_SLOTS);
    while (length <= pageNo) length *= 2;
    const grown = new Int32Array(Math.min(length, DENSE_INDEX_PAGES));
    grown.set(this.densePageSlots);
    this.densePageSlots = grown;
  }

  /** Logs an event: `kind` a LineEventKind value, `level` 0..2, `agent` a core id (signed byte; -1: the L2). */
  record(pa: number, kind: number, level: number, agent: number, time: Ps): void {
    if (!this.enabled) return;
    if (!(kind >= 1 && kind <= MAX_KIND && level >= 0 && level <= 2 && time >= 0 && time <= MAX_TIME_PS && Math.floor(time) === time)) {
      throw new RangeError(`LineHistory.record: expected a LineEventKind value, level 0..2 and an integer time in 0..2^53-1 ps, got kind ${kind}, level ${level}, time ${time}`);
    }
    const i = this.logged;
    // An L1 fill right after the L2's fill of the same line at the same time joins that entry.
    if (level === 1 && i > 0 && this.logEvent[i - 1] === (kind | L2_FILL_TAG) && this.logTime[i - 1] === time && this.lineOf(this.logAddr[i - 1]!) === this.lineOf(pa)) {
      this.logEvent[i - 1] = kind | (LEVEL_L2_THEN_L1 << LEVEL_SHIFT) | ((agent & 0xff) << AGENT_SHIFT);
      return;
    }
    this.logAddr[i] = pa;
    this.logEvent[i] = kind | (level << LEVEL_SHIFT) | ((agent & 0xff) << AGENT_SHIFT);
    this.logTime[i] = time;
    this.logged = i + 1;
    if (i + 1 === LOG_EVENTS) this.flush();
  }

  /** Applies the logged events to their lines' rings, oldest first. */
  private flush(): void {
    const n = this.logged;
    this.logged = 0;
    const depth = this.depth;
    const headBits = this.headBits;
    const headMask = (1 << headBits) - 1;
    const headScale = 1 << headBits;
    for (let i = 0; i < n; i++) {
      const line = this.lineOf(this.logAddr[i]!);
      let slot = line - this.lastFirstLine;
      if (!(slot >= 0 && slot < INDEX_PAGE_LINES)) {
        const pageNo = Math.floor(line / INDEX_PAGE_LINES);
        this.lastPage = this.indexPage(pageNo, true)!;
        this.lastFirstLine = pageNo * INDEX_PAGE_LINES;
        slot = line - this.lastFirstLine;
      }
      const page = this.lastPage;
      const entry = page[slot]!;
      const ring = entry === 0 ? this.newRing() : (entry >>> headBits) - 1;
      const head = entry & headMask;
      const cell = ((ring & (CHUNK_RINGS - 1)) * depth + head) * 2;
      const event = this.logEvent[i]!;
      const id = this.idOfEvent[event]! || this.newEventId(event);
      const time = this.logTime[i]!;
      const high = Math.floor(time * INV_TIME_LOW);
      const cells = this.ringChunks[ring >>> CHUNK_SHIFT]!;
      cells[cell] = time - high * TIME_LOW;
      cells[cell + 1] = high | (id << TIME_HIGH_BITS);
      page[slot] = (ring + 1) * headScale + (head + 1 === depth ? 0 : head + 1);
    }
  }

  /** The id of a packed event seen for the first time. */
  private newEventId(event: number): number {
    if (this.ids === MAX_EVENT_IDS) throw new RangeError(`LineHistory: more than ${MAX_EVENT_IDS} distinct (kind, level, agent) combinations`);
    const id = ++this.ids;
    this.idOfEvent[event] = id;
    this.eventOfId[id] = event;
    return id;
  }

  /** A ring for a line that has none: the next in the pool, emptied if it was used before a clear. */
  private newRing(): number {
    if (this.used === this.capacity) this.grow();
    const ring = this.used++;
    if (ring >= this.maxRings) throw new RangeError(`LineHistory: more than ${this.maxRings} lines with history at depth ${this.depth}`);
    if (ring < this.stale) {
      const first = (ring & (CHUNK_RINGS - 1)) * this.depth * 2;
      this.ringChunks[ring >>> CHUNK_SHIFT]!.fill(0, first, first + this.depth * 2);
    }
    return ring;
  }

  /**
   * Events of the line holding `pa`, oldest first (at most `depth`). A ring of `depth` entries holds at
   * least `depth` events (an entry may hold a pair), so the last `depth` of its expanded events are the
   * line's last `depth` events.
   */
  query(pa: number): LineEvent[] {
    if (this.logged > 0) this.flush();
    const line = this.lineOf(pa);
    const pageNo = Math.floor(line / INDEX_PAGE_LINES);
    const page = this.indexPage(pageNo, false);
    const entry = page === undefined ? 0 : page[line - pageNo * INDEX_PAGE_LINES]!;
    if (entry === 0) return [];
    const ring = (entry >>> this.headBits) - 1;
    const head = entry & ((1 << this.headBits) - 1);
    const cells = this.ringChunks[ring >>> CHUNK_SHIFT]!;
    const first = (ring & (CHUNK_RINGS - 1)) * this.depth;
    const out: LineEvent[] = [];
    // Oldest first: from the head (the next cell to write) round the ring; empty cells are 0.
    for (let i = 0; i < this.depth; i++) {
      const cell = (first + ((head + i) % this.depth)) * 2;
      const word = cells[cell + 1]! >>> 0;
      if (word === 0) continue;
      const packed = this.eventOfId[word >>> TIME_HIGH_BITS]!;
      const kind = KIND_NAMES[packed & ((1 << LEVEL_SHIFT) - 1)]!;
      const level = (packed >>> LEVEL_SHIFT) & 0x3;
      // Agents are stored as a signed byte (-1 for the outer cache).
      const agent = ((packed >>> AGENT_SHIFT) << 24) >> 24;
      const time = (word & TIME_HIGH_MASK) * TIME_LOW + (cells[cell]! >>> 0);
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

  clear(): void {
    this.logged = 0;
    this.indexPages.length = 0;
    this.densePageSlots.fill(0);
    this.farPages.clear();
    this.lastFirstLine = Number.NEGATIVE_INFINITY;
    this.lastPage = new Uint32Array(0);
    // Rings are reused from 0, each emptied as it is handed out again.
    this.stale = Math.max(this.stale, this.used);
    this.used = 0;
  }

  private grow(): void {
    this.ringChunks.push(new Int32Array(CHUNK_RINGS * this.depth * 2));
    this.capacity += CHUNK_RINGS;
  }
}
