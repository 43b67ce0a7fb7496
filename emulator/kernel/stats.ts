/**
 * Named counters and histograms. Histograms keep the exact values while there are at most
 * EXACT_SAMPLE_CAP of them (percentiles are then exact, nearest-rank), and always keep log-linear
 * buckets (exact for integers below 64, otherwise 64 sub-buckets per power of two, i.e. within ~0.8%
 * of the true value); past the cap percentiles come from the buckets. min, max, mean are always exact.
 */

export class StatsError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'StatsError';
  }
}

/**
 * A named count. Either added to (`add`), or read from a source its owner already keeps (a running total
 * in a typed array: `Stats.derivedCounter`), so a hot path counts once; `reset` then remembers the
 * source's value and the counter shows what was added since.
 */
export class Counter {
  readonly name: string;
  private own = 0;
  private base = 0;
  private readonly source: (() => number) | undefined;
  constructor(name: string, source?: () => number) {
    this.name = name;
    this.source = source;
  }
  get value(): number {
    return this.source === undefined ? this.own : this.source() - this.base;
  }
  add(n = 1): void {
    if (this.source !== undefined) throw new StatsError(`Counter ${this.name}: counts its source's total, it cannot be added to`);
    this.own += n;
  }
  reset(): void {
    if (this.source !== undefined) this.base = this.source();
    else this.own = 0;
  }
}

export const EXACT_SAMPLE_CAP = 4096;
const SUB_BITS = 6;
const SUB = 1 << SUB_BITS; // 64 sub-buckets per power of two
const MAX_EXP = 64; // values >= 2^64 share the last bucket (percentiles still clamp to max)
const BUCKETS = SUB + (MAX_EXP - SUB_BITS) * SUB;

function bucketOf(v: number): number {
  if (v < SUB) return Math.floor(v);
  if (v < 4294967296) {
    // Integer fast path (every latency in ps fits): the same buckets, without pow/log/division:
    // floor(v / 2^(e-6)) == floor(v) >>> (e-6), and that lies in [64, 128) by the choice of e.
    const iv = v >>> 0;
    const e = 31 - Math.clz32(iv);
    return SUB + (e - SUB_BITS) * SUB + ((iv >>> (e - SUB_BITS)) - SUB);
  }
  return bucketOfLarge(v);
}

/** bucketOf for v ≥ 2^32 (in a function of its own: bucketOf is inlined into every histogram's record). */
function bucketOfLarge(v: number): number {
  if (v >= 2 ** MAX_EXP) return BUCKETS - 1;
  const e = v < 4294967296 ? 31 - Math.clz32(v) : Math.floor(Math.log2(v));
  // Math.log2 may round up at exact powers of two; keep the sub-bucket index in range.
  const scale = 2 ** (e - SUB_BITS);
  let sub = Math.floor(v / scale) - SUB;
  let exp = e;
  if (sub < 0) {
    exp -= 1;
    sub = Math.floor(v / (scale / 2)) - SUB;
  } else if (sub >= SUB) {
    exp += 1;
    sub = Math.floor(v / (scale * 2)) - SUB;
  }
  return SUB + (exp - SUB_BITS) * SUB + sub;
}

/** Lower bound and width of bucket `b`. */
function bucketRange(b: number): [number, number] {
  if (b < SUB) return [b, 1];
  const exp = Math.floor((b - SUB) / SUB) + SUB_BITS;
  const sub = (b - SUB) % SUB;
  const scale = 2 ** (exp - SUB_BITS);
  return [(SUB + sub) * scale, scale];
}

export interface HistogramSummary {
  count: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
}

export class Histogram {
  readonly name: string;
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  private exact: Float64Array | undefined = new Float64Array(64);
  private sorted = true;
  private buckets: Float64Array | undefined;

  constructor(name: string) {
    this.name = name;
  }

  /** Records one non-negative value. */
  record(v: number): void {
    if (!(v >= 0) || v === Infinity) this.rejectValue(v);
    const i = this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    const buckets = (this.buckets ??= new Float64Array(BUCKETS));
    buckets[bucketOf(v)]! += 1;
    if (this.exact !== undefined) this.keepExact(i, v);
  }

  private rejectValue(v: number): never {
    throw new StatsError(`Histogram ${this.name}: expected a finite non-negative value, got ${v}`);
  }

  /** Keeps sample `i` for exact percentiles, up to EXACT_SAMPLE_CAP (out of record: a hot path V8 inlines). */
  private keepExact(i: number, v: number): void {
    let exact = this.exact!;
    if (i >= EXACT_SAMPLE_CAP) {
      this.exact = undefined; // too many: fall back to the buckets for good
      return;
    }
    if (i === exact.length) {
      const bigger = new Float64Array(Math.min(exact.length * 2, EXACT_SAMPLE_CAP));
      bigger.set(exact);
      this.exact = exact = bigger;
    }
    exact[i] = v;
    this.sorted = false;
  }

  get mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }

  /** Whether percentiles are exact (count <= EXACT_SAMPLE_CAP) or bucket estimates. */
  get isExact(): boolean {
    return this.exact !== undefined;
  }

  /** Nearest-rank percentile, p in [0, 100]; NaN when empty. */
  percentile(p: number): number {
    if (!(p >= 0 && p <= 100)) throw new StatsError(`Histogram ${this.name}.percentile: expected p in 0..100, got ${p}`);
    const n = this.count;
    if (n === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * n)); // 1-based
    const exact = this.exact;
    if (exact !== undefined) {
      if (!this.sorted) {
        exact.subarray(0, n).sort();
        this.sorted = true;
      }
      return exact[rank - 1]!;
    }
    const buckets = this.buckets!;
    let seen = 0;
    for (let b = 0; b < buckets.length; b++) {
      seen += buckets[b]!;
      if (seen >= rank) {
        const [lo, width] = bucketRange(b);
        const mid = width === 1 && b < SUB ? lo : lo + width / 2;
        return Math.min(this.max, Math.max(this.min, mid));
      }
    }
    return this.max;
  }

  summary(): HistogramSummary {
    return {
      count: this.count,
      min: this.count ? this.min : NaN,
      max: this.count ? this.max : NaN,
      mean: this.mean,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
    };
  }

  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.exact = new Float64Array(64);
    this.sorted = true;
    this.buckets = undefined;
  }
}

export type StatsJSON = Record<string, number | HistogramSummary>;

/** Registry of counters and histograms, created on first use by name. */
export class Stats {
  private counters = new Map<string, Counter>();
  private histograms = new Map<string, Histogram>();

  counter(name: string): Counter {
    let c = this.counters.get(name);
    if (c === undefined) {
      if (this.histograms.has(name)) throw new StatsError(`Stats: '${name}' is already a histogram, not a counter`);
      c = new Counter(name);
      this.counters.set(name, c);
    }
    return c;
  }

  /**
   * A counter whose value is `source()` (a running total its owner keeps) minus its value at the last
   * reset. The name must be new.
   */
  derivedCounter(name: string, source: () => number): Counter {
    if (this.counters.has(name) || this.histograms.has(name)) throw new StatsError(`Stats: '${name}' already exists`);
    const c = new Counter(name, source);
    c.reset();
    this.counters.set(name, c);
    return c;
  }

  histogram(name: string): Histogram {
    let h = this.histograms.get(name);
    if (h === undefined) {
      if (this.counters.has(name)) throw new StatsError(`Stats: '${name}' is already a counter, not a histogram`);
      h = new Histogram(name);
      this.histograms.set(name, h);
    }
    return h;
  }

  /** Plain object keyed by name in sorted order: counters as numbers, histograms as summaries. */
  toJSON(): StatsJSON {
    const names = [...this.counters.keys(), ...this.histograms.keys()].sort();
    const out: StatsJSON = {};
    for (const name of names) {
      const c = this.counters.get(name);
      out[name] = c !== undefined ? c.value : this.histograms.get(name)!.summary();
    }
    return out;
  }

  /** Zeroes every counter and histogram (keeping the objects others hold). */
  reset(): void {
    for (const c of this.counters.values()) c.reset();
    for (const h of this.histograms.values()) h.reset();
  }
}
