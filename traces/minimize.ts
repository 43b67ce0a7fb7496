// `dmasim minimize`: delta debugging (Zeller's ddmin) over the operations of a trace that shows a violation,
// keeping the same violation kind, then halving sizes and lengths while the kind remains. Every candidate is
// replayed; one the replayer rejects (ReplayError, or any error the DMA layer throws on it) is invalid, not
// interesting. Ops that define a device, buffer or handle a kept op uses are kept with it, so candidates stay
// well-formed. Deterministic: same trace and options → same result.
import { parseOp } from './schema.ts';
import { replayOps } from './replay.ts';
import type { ReplayOptions } from './replay.ts';
import type { TraceHeader, TraceOp } from './schema.ts';

export interface MinimizeOptions {
  /** The violation kind to keep (default: the kind of the first violation of the full trace). */
  kind?: string;
  replay?: ReplayOptions;
  /** Upper bound on candidate replays (default 5000). */
  maxSteps?: number;
}

export interface MinimizeResult {
  ops: TraceOp[];
  kind: string;
  /** Candidate replays run. */
  steps: number;
  /** Operations before and after. */
  before: number;
  after: number;
}

export class MinimizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MinimizeError';
  }
}

/** Fields that name something an earlier op created. */
const USE_KEYS = ['dev', 'buf', 'handle'] as const;

/** The name an op defines, by kind: device name, buffer, handle. */
function definitions(op: TraceOp): string[] {
  const out: string[] = [];
  switch (op.op) {
    case 'device':
      out.push(`dev:${op.name}`);
      break;
    case 'kmalloc':
    case 'alloc_pages':
      out.push(`buf:${op.buf}`);
      break;
    case 'mmap':
      out.push(`buf:${op.buf}`);
      break;
    case 'alloc_coherent':
      out.push(`handle:${op.handle}`);
      if (op.buf !== undefined) out.push(`buf:${op.buf}`);
      break;
    case 'map_single':
    case 'map_page':
    case 'map_resource':
    case 'map_sg':
      out.push(`handle:${op.handle}`);
      break;
    default:
      break;
  }
  return out;
}

function uses(op: TraceOp): string[] {
  const o = op as unknown as Record<string, unknown>;
  const out: string[] = [];
  for (const k of USE_KEYS) {
    const v = o[k];
    if (typeof v === 'string' && !(k === 'buf' && definesBuf(op)) && !(k === 'handle' && definesHandle(op))) out.push(`${k}:${v}`);
  }
  if (op.op === 'map_sg') for (const e of op.sg) out.push(`buf:${e.buf}`);
  return out;
}

function definesBuf(op: TraceOp): boolean {
  return op.op === 'kmalloc' || op.op === 'alloc_pages' || op.op === 'mmap' || op.op === 'alloc_coherent';
}

function definesHandle(op: TraceOp): boolean {
  return op.op === 'alloc_coherent' || op.op === 'map_single' || op.op === 'map_page' || op.op === 'map_resource' || op.op === 'map_sg';
}

/** For every op, the indices of the ops defining what it uses (the latest definition before it). */
function dependencies(ops: readonly TraceOp[]): number[][] {
  const latest = new Map<string, number>();
  return ops.map((op, i) => {
    const deps: number[] = [];
    for (const u of uses(op)) {
      const d = latest.get(u);
      if (d !== undefined) deps.push(d);
    }
    for (const d of definitions(op)) latest.set(d, i);
    return deps;
  });
}

/** The candidate plus everything it transitively depends on, in trace order. */
function closure(set: readonly number[], deps: readonly number[][]): number[] {
  const keep = new Set<number>();
  const stack = [...set];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (keep.has(i)) continue;
    keep.add(i);
    for (const d of deps[i]!) stack.push(d);
  }
  return [...keep].sort((a, b) => a - b);
}

function split(items: readonly number[], n: number): number[][] {
  const out: number[][] = [];
  const size = Math.ceil(items.length / n);
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The numeric fields the size pass halves. */
const SIZE_KEYS = ['size', 'len', 'ns'] as const;

export function minimizeTrace(header: TraceHeader, ops: readonly TraceOp[], opts: MinimizeOptions = {}): MinimizeResult {
  const replay: ReplayOptions = { ...opts.replay, costs: false };
  delete replay.onOp;
  const maxSteps = opts.maxSteps ?? 5000;
  let steps = 0;

  /**
   * Does this op list still show the kind? Invalid candidates are not interesting: one the schema refuses
   * (a halved size that is no longer page-aligned, say) or one the replayer rejects.
   */
  const shows = (candidate: readonly TraceOp[], kind: string): boolean => {
    steps++;
    try {
      for (const op of candidate) parseOp(op, 'minimize');
      const r = replayOps(header, candidate, replay);
      return (r.violationsByKind[kind] ?? 0) > 0;
    } catch {
      return false;
    }
  };

  let kind = opts.kind;
  if (kind === undefined) {
    steps++;
    const r = replayOps(header, ops, replay);
    const first = r.violations[0];
    if (first === undefined) throw new MinimizeError('the trace shows no violation: nothing to minimize');
    kind = first.kind;
  } else if (!shows(ops, kind)) {
    throw new MinimizeError(`the trace does not show a '${kind}' violation`);
  }
  const target = kind;

  // 1. ddmin over operation indices, each candidate closed under its definitions.
  const deps = dependencies(ops);
  const cache = new Map<string, boolean>();
  const test = (set: readonly number[]): boolean => {
    const full = closure(set, deps);
    const key = full.join(',');
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const ok = steps < maxSteps && shows(full.map((i) => ops[i]!), target);
    cache.set(key, ok);
    return ok;
  };
  let items = ops.map((_, i) => i);
  let n = 2;
  while (items.length >= 2 && steps < maxSteps) {
    const subsets = split(items, n);
    let reduced = false;
    for (const s of subsets) {
      // A subset whose closure is everything is no reduction (and would loop).
      if (closure(s, deps).length < items.length && test(s)) {
        items = closure(s, deps);
        n = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && n > 2) {
      for (const s of subsets) {
        const drop = new Set(s);
        const complement = items.filter((i) => !drop.has(i));
        if (closure(complement, deps).length < items.length && test(complement)) {
          items = closure(complement, deps);
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (n >= items.length) break;
      n = Math.min(items.length, n * 2);
    }
  }
  // One-at-a-time pass (ddmin with n = 2 skips complements; this makes the result 1-minimal).
  for (let k = items.length - 1; k >= 0 && steps < maxSteps; k--) {
    const without = items.filter((_, j) => j !== k);
    if (without.length > 0 && closure(without, deps).length < items.length && test(without)) items = closure(without, deps);
  }
  let out: TraceOp[] = items.map((i) => ({ ...ops[i]! }) as TraceOp);

  // 2. Halve sizes and lengths (one field of one op at a time) while the kind remains.
  let changed = true;
  while (changed && steps < maxSteps) {
    changed = false;
    for (let i = 0; i < out.length && steps < maxSteps; i++) {
      for (const key of SIZE_KEYS) {
        const cur = (out[i] as unknown as Record<string, unknown>)[key];
        if (typeof cur !== 'number' || cur < 2) continue;
        const half = Math.floor(cur / 2);
        const cand = out.slice();
        cand[i] = { ...out[i]!, [key]: half } as TraceOp;
        // A map's size also appears at its unmap and syncs: halve them together when they were equal.
        const handle = (out[i] as { handle?: unknown }).handle;
        if (key === 'size' && typeof handle === 'string') {
          for (let j = 0; j < cand.length; j++) {
            const o = cand[j] as unknown as Record<string, unknown>;
            if (j !== i && o['handle'] === handle && o['size'] === cur) cand[j] = { ...cand[j]!, size: half } as TraceOp;
          }
        }
        if (shows(cand, target)) {
          out = cand;
          changed = true;
        }
      }
    }
  }
  return { ops: out, kind: target, steps, before: ops.length, after: out.length };
}
