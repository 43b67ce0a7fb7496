import type { Ps } from '../../emulator/kernel/time.ts';

/** What happened to a line (stored as a byte). */
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

/** Lines per direct-mapped index page (4096 lines of 64 bytes: 256 KiB of address space, 16 KiB of index). */
const INDEX_PAGE_LINES = 4096;

/**
 * Index pages below this page number are found through a flat Int32Array (grown by doubling, 4 MiB at
 * most; 2^20 pages: 2^38 bytes of 64-byte lines); above, in a Map, so sparse far lines stay cheap.
 */
const DENSE_INDEX_PAGES = 1 << 20;
/** First length of that flat table (16 KiB: 2^30 bytes of 64-byte lines). */
const INITIAL_DENSE_SLOTS = 4096;

/**
 * An index entry is (ring + 1) * ENTRY_RING + count << 8 + head (0: the line has no ring yet), exact in a
 * double for any ring below 2^37: the ring's head and count come with the one load that finds the ring,
 * so an event costs one dependent cache miss (the index) and two stores.
 */
const ENTRY_RING = 65536;
const ENTRY_SCALE = 1 / ENTRY_RING;

/** Rings per pool chunk (2^12: 128 KiB of events and 256 KiB of times at depth 8). */
const CHUNK_SHIFT = 12;
const CHUNK_RINGS = 1 << CHUNK_SHIFT;

/**
 * Level byte of a paired entry: the outer cache's fill and then the same line's L1 fill (agent = core) at the
 * same time, which every L1 miss that goes to the L2 records. One ring entry holds both, so such a miss
 * costs one ring update; queries expand it into the two events.
 */
const LEVEL_L2_THEN_L1 = 3;
const L2_AGENT = 0xff;

/** Events buffered before they are applied to their rings (20 bytes each). */
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
 * live in pooled typed arrays. A line finds its ring through a direct-mapped index page (one Int32 per
 * line, for a block of INDEX_PAGE_LINES lines), found by page number.
 *
 * The pools are megabytes and mostly cold in the host's caches, so: a ring's head and count live in the
 * line's index entry, its packed kind/level/agent (`metaChunks`) and times (`timeChunks`) are each one
 * aligned block, and `record` only appends to
 * a short log (sequential stores that stay in the host's caches); a flush applies a whole batch at once,
 * its ring updates independent enough for the host CPU to overlap their cache misses. Queries flush
 * first, so they see every event.
 */
export class LineHistory {
  readonly depth: number;
  readonly lineBytes: number;
  enabled = true;
  // Index pages: each line's entry (ring, count and head, see ENTRY_RING; 0: no ring yet), in order made.
  private readonly indexPages: Float64Array[] = [];
  // Page number → position in indexPages + 1 (0: no page yet), for page numbers below its length.
  private densePageSlots = new Int32Array(0);
  private readonly farPages = new Map<number, Float64Array>();
  // The last index page used and the first line it covers (-Infinity: none yet, every line misses it).
  private lastFirstLine = Number.NEGATIVE_INFINITY;
  private lastPage: Float64Array = new Float64Array(0);
  // 1 / lineBytes when lineBytes is a power of two (multiplying is then exact), else 0.
  private readonly invLine: number;
  // Rings live in chunks of CHUNK_RINGS (ring r: chunk r >>> CHUNK_SHIFT): growing adds a chunk and
  // copies nothing (doubling one array copied and re-faulted megabytes each time).
  private readonly metaChunks: Int32Array[] = [];
  private readonly timeChunks: Float64Array[] = [];
  private capacity = 0;
  private used = 0;
  // Events not yet applied to their rings, in order.
  private readonly logAddr = new Float64Array(LOG_EVENTS);
  private readonly logEvent = new Int32Array(LOG_EVENTS);
  private readonly logTime = new Float64Array(LOG_EVENTS);
  private logged = 0;

  constructor(lineBytes: number, depth = 8) {
    if (!Number.isInteger(depth) || depth < 1 || depth > 255) throw new RangeError(`LineHistory: depth must be an integer in 1..255, got ${depth}`);
    this.lineBytes = lineBytes;
    this.depth = depth;
    this.invLine = lineBytes > 0 && (lineBytes & (lineBytes - 1)) === 0 ? 1 / lineBytes : 0;
  }

  private lineOf(pa: number): number {
    return this.invLine !== 0 ? Math.floor(pa * this.invLine) : Math.floor(pa / this.lineBytes);
  }

  /** The index page of page number `pageNo`, made if `create` (else undefined when it does not exist). */
  private indexPage(pageNo: number, create: boolean): Float64Array | undefined {
    if (pageNo >= DENSE_INDEX_PAGES) {
      let far = this.farPages.get(pageNo);
      if (far === undefined && create) {
        far = new Float64Array(INDEX_PAGE_LINES);
        this.farPages.set(pageNo, far);
      }
      return far;
    }
    const slots = this.densePageSlots;
    const slot = pageNo < slots.length ? slots[pageNo]! : 0;
    if (slot !== 0) return this.indexPages[slot - 1];
    if (!create) return undefined;
    const page = new Float64Array(INDEX_PAGE_LINES);
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

  record(pa: number, kind: number, level: number, agent: number, time: Ps): void {
    if (!this.enabled) return;
    const i = this.logged;
    // An L1 fill right after the L2's fill of the same line at the same time joins that entry.
    if (level === 1 && i > 0 && this.logEvent[i - 1] === ((kind & 0xff) | (2 << 8) | (L2_AGENT << 16)) && this.logTime[i - 1] === time && this.lineOf(this.logAddr[i - 1]!) === this.lineOf(pa)) {
      this.logEvent[i - 1] = (kind & 0xff) | (LEVEL_L2_THEN_L1 << 8) | ((agent & 0xff) << 16);
      return;
    }
    this.logAddr[i] = pa;
    this.logEvent[i] = (kind & 0xff) | ((level & 0xff) << 8) | ((agent & 0xff) << 16);
    this.logTime[i] = time;
    this.logged = i + 1;
    if (i + 1 === LOG_EVENTS) this.flush();
  }

  /** Applies the logged events to their lines' rings, oldest first. */
  private flush(): void {
    const n = this.logged;
    this.logged = 0;
    const depth = this.depth;
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
      let ring: number;
      let head = 0;
      let count = 0;
      if (entry === 0) {
        if (this.used === this.capacity) this.grow();
        ring = this.used++;
      } else {
        ring = Math.floor(entry * ENTRY_SCALE) - 1;
        const low = entry - (ring + 1) * ENTRY_RING;
        head = low & 0xff;
        count = low >>> 8;
      }
      const r = ring & (CHUNK_RINGS - 1);
      this.metaChunks[ring >>> CHUNK_SHIFT]![r * depth + head] = this.logEvent[i]!;
      this.timeChunks[ring >>> CHUNK_SHIFT]![r * depth + head] = this.logTime[i]!;
      page[slot] = (ring + 1) * ENTRY_RING + ((count < depth ? count + 1 : count) << 8) + (head + 1 === depth ? 0 : head + 1);
    }
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
    const ring = Math.floor(entry * ENTRY_SCALE) - 1;
    const low = entry - (ring + 1) * ENTRY_RING;
    const head = low & 0xff;
    const n = low >>> 8;
    const meta = this.metaChunks[ring >>> CHUNK_SHIFT]!;
    const times = this.timeChunks[ring >>> CHUNK_SHIFT]!;
    const r = ring & (CHUNK_RINGS - 1);
    const m = r * this.depth;
    const out: LineEvent[] = [];
    for (let i = 0; i < n; i++) {
      const e = (head - n + i + this.depth) % this.depth;
      const packed = meta[m + e]!;
      const kind = KIND_NAMES[packed & 0xff]!;
      const level = (packed >>> 8) & 0xff;
      // Agents are stored as a signed byte (-1 for the outer cache).
      const agent = (packed << 8) >> 24;
      const time = times[m + e]!;
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
    this.lastPage = new Float64Array(0);
    // Rings are reused from 0; a query reads only the cells its index entry counts, so no reset is needed.
    this.used = 0;
  }

  private grow(): void {
    this.metaChunks.push(new Int32Array(CHUNK_RINGS * this.depth));
    this.timeChunks.push(new Float64Array(CHUNK_RINGS * this.depth));
    this.capacity += CHUNK_RINGS;
  }
}
