// Streaming writer of the Chrome trace-event JSON form ({"traceEvents":[...]}) that ui.perfetto.dev and
// chrome://tracing open. Events are written as they arrive; timestamps are given in ns and written in µs
// (fractional) as the format expects.
import { endSink, waitDrain } from './jsonl.ts';
import type { ByteSink } from './jsonl.ts';

export type TrackId = number;
export type Args = Record<string, string | number | boolean | null>;

interface Track { pid: number; tid: number }

/** ns → µs with at most 3 decimals (ns resolution), avoiding float noise like 1.2000000000000002. */
function us(ns: number): number {
  return Math.round(ns) / 1000;
}

export interface PerfettoWriterOptions { flushChars?: number }

export class PerfettoWriter {
  private readonly pids = new Map<string, number>();
  private readonly tracks = new Map<string, TrackId>();
  private readonly trackInfo: Track[] = [];
  private buf: string[] = [];
  private chars = 0;
  private first = true;
  private closed = false;
  private events = 0;
  private readonly flushChars: number;

  constructor(private readonly sink: ByteSink, opts: PerfettoWriterOptions = {}) {
    this.flushChars = opts.flushChars ?? 64 * 1024;
    this.buf.push('{"displayTimeUnit":"ns","traceEvents":[\n');
  }

  get eventCount(): number { return this.events; }

  /** The process id of a named process (created with its `process_name` metadata on first use). */
  process(name: string): number {
    let pid = this.pids.get(name);
    if (pid === undefined) {
      pid = this.pids.size + 1;
      this.pids.set(name, pid);
      this.emit({ ph: 'M', name: 'process_name', pid, tid: 0, args: { name } });
    }
    return pid;
  }

  /** A thread-like track inside a process, e.g. track('exynos4412', 'cpu0') or track('dma', 'pl330 ch0'). */
  track(process: string, thread: string): TrackId {
    const key = `${process}\0${thread}`;
    let id = this.tracks.get(key);
    if (id === undefined) {
      const pid = this.process(process);
      const tid = this.trackInfo.filter((t) => t.pid === pid).length + 1;
      id = this.trackInfo.length;
      this.trackInfo.push({ pid, tid });
      this.tracks.set(key, id);
      this.emit({ ph: 'M', name: 'thread_name', pid, tid, args: { name: thread } });
    }
    return id;
  }

  private t(track: TrackId): Track {
    const t = this.trackInfo[track];
    if (!t) throw new RangeError(`unknown Perfetto track ${track}`);
    return t;
  }

  /** A complete slice ('X'): something that took `durNs` from `startNs` on a track. */
  slice(track: TrackId, name: string, startNs: number, durNs: number, args?: Args, cat = 'dmasim'): void {
    const { pid, tid } = this.t(track);
    this.emit(withArgs({ ph: 'X', name, cat, pid, tid, ts: us(startNs), dur: us(Math.max(0, durNs)) }, args));
  }

  begin(track: TrackId, name: string, tNs: number, args?: Args, cat = 'dmasim'): void {
    const { pid, tid } = this.t(track);
    this.emit(withArgs({ ph: 'B', name, cat, pid, tid, ts: us(tNs) }, args));
  }

  end(track: TrackId, tNs: number, args?: Args): void {
    const { pid, tid } = this.t(track);
    this.emit(withArgs({ ph: 'E', pid, tid, ts: us(tNs) }, args));
  }

  /** Async slices ('b'/'e'): overlapping spans such as in-flight DMA transfers, matched by `id`. */
  asyncBegin(track: TrackId, name: string, id: number | string, tNs: number, args?: Args, cat = 'dmasim'): void {
    const { pid, tid } = this.t(track);
    this.emit(withArgs({ ph: 'b', name, cat, id: String(id), pid, tid, ts: us(tNs) }, args));
  }

  asyncEnd(track: TrackId, name: string, id: number | string, tNs: number, args?: Args, cat = 'dmasim'): void {
    const { pid, tid } = this.t(track);
    this.emit(withArgs({ ph: 'e', name, cat, id: String(id), pid, tid, ts: us(tNs) }, args));
  }

  /** A counter track ('C') in a process, one series per key of `values`. */
  counter(process: string, name: string, tNs: number, values: Record<string, number>): void {
    const pid = this.process(process);
    this.emit({ ph: 'C', name, pid, tid: 0, ts: us(tNs), args: values });
  }

  /** An instant ('i'); scope 't' (thread), 'p' (process) or 'g' (global). */
  instant(track: TrackId, name: string, tNs: number, args?: Args, scope: 't' | 'p' | 'g' = 't', cat = 'dmasim'): void {
    const { pid, tid } = this.t(track);
    this.emit(withArgs({ ph: 'i', name, cat, pid, tid, ts: us(tNs), s: scope }, args));
  }

  /** Flow arrows ('s' → 't'… → 'f'), bound to the slices enclosing them on their tracks. */
  flowStart(track: TrackId, name: string, id: number, tNs: number, cat = 'flow'): void {
    const { pid, tid } = this.t(track);
    this.emit({ ph: 's', name, cat, id, pid, tid, ts: us(tNs) });
  }

  flowStep(track: TrackId, name: string, id: number, tNs: number, cat = 'flow'): void {
    const { pid, tid } = this.t(track);
    this.emit({ ph: 't', name, cat, id, pid, tid, ts: us(tNs) });
  }

  flowEnd(track: TrackId, name: string, id: number, tNs: number, cat = 'flow'): void {
    const { pid, tid } = this.t(track);
    this.emit({ ph: 'f', bp: 'e', name, cat, id, pid, tid, ts: us(tNs) });
  }

  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const s = this.buf.join('');
    this.buf = [];
    this.chars = 0;
    await waitDrain(this.sink, this.sink.write(s));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.buf.push('\n]}\n');
    await this.flush();
    await endSink(this.sink);
  }

  private emit(ev: Record<string, unknown>): void {
    if (this.closed) throw new Error('PerfettoWriter: event after close()');
    const s = JSON.stringify(ev);
    this.buf.push(this.first ? s : `,\n${s}`);
    this.first = false;
    this.chars += s.length + 2;
    this.events++;
    if (this.chars >= this.flushChars) void this.flush();
  }
}

function withArgs(ev: Record<string, unknown>, args: Args | undefined): Record<string, unknown> {
  if (args !== undefined) ev['args'] = args;
  return ev;
}

export interface ChromeTraceCheck { ok: boolean; errors: string[]; events: number }

/**
 * Checks a parsed Chrome trace: known phases, numeric timestamps ordered per track for B/E/X/i, every B
 * closed by an E on its track, async b/e matched by (cat, name, id), flows started before they step or
 * end and every flow ended, counters with numeric values.
 */
export function validateChromeTrace(json: unknown): ChromeTraceCheck {
  const errors: string[] = [];
  const err = (i: number, m: string): void => { if (errors.length < 50) errors.push(`event ${i}: ${m}`); };
  const evs = (json as { traceEvents?: unknown } | null)?.traceEvents;
  if (!Array.isArray(evs)) return { ok: false, errors: ['missing "traceEvents" array'], events: 0 };
  const lastTs = new Map<string, number>();
  const stacks = new Map<string, string[]>();
  const asyncOpen = new Map<string, number>();
  const flows = new Map<string, 'open' | 'done'>();
  evs.forEach((raw: unknown, i: number) => {
    if (typeof raw !== 'object' || raw === null) { err(i, 'not an object'); return; }
    const e = raw as Record<string, unknown>;
    const ph = e['ph'];
    if (typeof ph !== 'string') { err(i, 'missing "ph"'); return; }
    if (ph === 'M') {
      if (typeof e['name'] !== 'string' || typeof (e['args'] as Record<string, unknown> | undefined)?.['name'] !== 'string') err(i, 'metadata needs name and args.name');
      return;
    }
    const ts = e['ts'];
    if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) { err(i, `bad ts ${String(ts)}`); return; }
    const track = `${String(e['pid'])}/${String(e['tid'])}`;
    const ordered = (): void => {
      const prev = lastTs.get(track) ?? -Infinity;
      if (ts < prev) err(i, `ts ${ts} before ${prev} on track ${track}`);
      lastTs.set(track, ts);
    };
    switch (ph) {
      case 'X':
        ordered();
        if (typeof e['dur'] !== 'number' || (e['dur'] as number) < 0) err(i, 'X needs dur ≥ 0');
        if (typeof e['name'] !== 'string') err(i, 'X needs a name');
        break;
      case 'B': {
        ordered();
        if (typeof e['name'] !== 'string') err(i, 'B needs a name');
        const st = stacks.get(track) ?? [];
        st.push(String(e['name']));
        stacks.set(track, st);
        break;
      }
      case 'E': {
        ordered();
        const st = stacks.get(track);
        if (!st || st.length === 0) err(i, `E without B on track ${track}`);
        else st.pop();
        break;
      }
      case 'i': case 'I':
        ordered();
        if (e['s'] !== undefined && e['s'] !== 't' && e['s'] !== 'p' && e['s'] !== 'g') err(i, `bad instant scope ${String(e['s'])}`);
        break;
      case 'b': case 'e': {
        if (e['id'] === undefined) { err(i, `${ph} needs an id`); break; }
        const key = `${String(e['pid'])}/${String(e['cat'])}/${String(e['name'])}/${String(e['id'])}`;
        const n = asyncOpen.get(key) ?? 0;
        if (ph === 'b') asyncOpen.set(key, n + 1);
        else if (n === 0) err(i, `async end without begin (${key})`);
        else asyncOpen.set(key, n - 1);
        break;
      }
      case 'C': {
        const args = e['args'];
        if (typeof args !== 'object' || args === null || !Object.values(args).every((v) => typeof v === 'number')) err(i, 'counter args must be numbers');
        break;
      }
      case 's': case 't': case 'f': {
        const key = `${String(e['cat'])}/${String(e['id'])}`;
        const state = flows.get(key);
        if (ph === 's') { if (state === 'open') err(i, `flow ${key} started twice`); flows.set(key, 'open'); }
        else if (state !== 'open') err(i, `flow ${key} ${ph === 't' ? 'step' : 'end'} without start`);
        else if (ph === 'f') flows.set(key, 'done');
        break;
      }
      default:
        err(i, `unsupported phase "${ph}"`);
    }
  });
  for (const [track, st] of stacks) if (st.length > 0) errors.push(`track ${track}: ${st.length} B without E (${st.join(', ')})`);
  for (const [key, n] of asyncOpen) if (n > 0) errors.push(`async ${key}: ${n} begin without end`);
  for (const [key, s] of flows) if (s === 'open') errors.push(`flow ${key} never ends`);
  return { ok: errors.length === 0, errors, events: evs.length };
}
