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
 * line, for a block of INDEX_PAGE_LINES lines); index pages are created on first use and the last one
 * used is remembered, so the per-event cost is an array load rather than a Map lookup.
 */
export class LineHistory {
  readonly depth: number;
  readonly lineBytes: number;
  enabled = true;
  // Index page number → ring index + 1 for each of its lines (0: the line has no ring yet).
  private readonly index = new Map<number, Int32Array>();
  private lastPageNo = -1;
  private lastPage: Int32Array | undefined;
  private kinds: Uint8Array;
  private levels: Uint8Array;
  private agents: Int8Array;
  private times: Float64Array;
  private heads: Uint8Array;
  private counts: Uint8Array;
  private capacity: number;
  private used = 0;

  constructor(lineBytes: number, depth = 8, initialLines = 1024) {
    this.lineBytes = lineBytes;
    this.depth = depth;
    this.capacity = initialLines;
    this.kinds = new Uint8Array(initialLines * depth);
    this.levels = new Uint8Array(initialLines * depth);
    this.agents = new Int8Array(initialLines * depth);
    this.times = new Float64Array(initialLines * depth);
    this.heads = new Uint8Array(initialLines);
    this.counts = new Uint8Array(initialLines);
  }

  record(pa: number, kind: number, level: number, agent: number, time: Ps): void {
    if (!this.enabled) return;
    const line = Math.floor(pa / this.lineBytes);
    const pageNo = Math.floor(line / INDEX_PAGE_LINES);
    let page = this.lastPage;
    if (pageNo !== this.lastPageNo || page === undefined) {
      page = this.index.get(pageNo);
      if (page === undefined) {
        page = new Int32Array(INDEX_PAGE_LINES);
        this.index.set(pageNo, page);
      }
      this.lastPageNo = pageNo;
      this.lastPage = page;
    }
    const slot = line - pageNo * INDEX_PAGE_LINES;
    let ring = page[slot]! - 1;
    if (ring < 0) {
      if (this.used === this.capacity) this.grow();
      ring = this.used++;
      page[slot] = ring + 1;
    }
    const head = this.heads[ring]!;
    const at = ring * this.depth + head;
    this.kinds[at] = kind;
    this.levels[at] = level;
    this.agents[at] = agent;
    this.times[at] = time;
    this.heads[ring] = (head + 1) % this.depth;
    if (this.counts[ring]! < this.depth) this.counts[ring]!++;
  }

  /** Events of the line holding `pa`, oldest first (at most `depth`). */
  query(pa: number): LineEvent[] {
    const line = Math.floor(pa / this.lineBytes);
    const pageNo = Math.floor(line / INDEX_PAGE_LINES);
    const page = this.index.get(pageNo);
    const ring = page === undefined ? -1 : page[line - pageNo * INDEX_PAGE_LINES]! - 1;
    if (ring < 0) return [];
    const n = this.counts[ring]!;
    const head = this.heads[ring]!;
    const out: LineEvent[] = [];
    for (let i = 0; i < n; i++) {
      const at = ring * this.depth + ((head - n + i + this.depth) % this.depth);
      out.push({ kind: KIND_NAMES[this.kinds[at]!]!, level: this.levels[at]!, agent: this.agents[at]!, time: this.times[at]! });
    }
    return out;
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
    this.index.clear();
    this.lastPageNo = -1;
    this.lastPage = undefined;
    this.used = 0;
    this.heads.fill(0);
    this.counts.fill(0);
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const d = this.depth;
    const k = new Uint8Array(cap * d);
    k.set(this.kinds);
    this.kinds = k;
    const l = new Uint8Array(cap * d);
    l.set(this.levels);
    this.levels = l;
    const a = new Int8Array(cap * d);
    a.set(this.agents);
    this.agents = a;
    const t = new Float64Array(cap * d);
    t.set(this.times);
    this.times = t;
    const h = new Uint8Array(cap);
    h.set(this.heads);
    this.heads = h;
    const c = new Uint8Array(cap);
    c.set(this.counts);
    this.counts = c;
    this.capacity = cap;
  }
}
