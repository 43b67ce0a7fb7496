// `--perfetto F`: the kernel's Tracer written as Chrome trace-event JSON (PerfettoWriter, streamed to the
// file as events come; timestamps in µs with ns resolution), and the two ways the CLI uses it: a scenario
// run (LiveOps → recorder and/or timeline) and a replay (Replayer onOp → timeline).
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Tracer, TraceArgs, TraceTrack } from '../emulator/kernel/tracer.ts';
import type { DmaMachine } from '../dma/machine.ts';
import { PerfettoWriter } from './perfetto.ts';
import type { ByteSink } from './jsonl.ts';
import { LiveOps } from './live-ops.ts';
import type { LiveOpSink, LiveOpStats } from './live-ops.ts';
import { OpTimeline } from './timeline.ts';
import type { TimelineOptions } from './timeline.ts';
import { TraceRecorder } from './recorder.ts';
import type { OpEvent } from './replay.ts';

const FLOW_NAME = 'buffer';

/** A Tracer over a PerfettoWriter: ps in, the writer's ns out. */
export class PerfettoTracer implements Tracer {
  readonly writer: PerfettoWriter;

  constructor(sink: ByteSink) {
    this.writer = new PerfettoWriter(sink);
  }

  /**
   * Streams to a file (created or truncated). Writes are synchronous: a run never yields to the event loop,
   * so an asynchronous stream would hold the whole timeline in memory until the end.
   */
  static toFile(path: string): PerfettoTracer {
    return new PerfettoTracer(syncFileSink(path));
  }

  track(process: string, thread: string): TraceTrack {
    return this.writer.track(process, thread);
  }

  slice(track: TraceTrack, name: string, startPs: number, durPs: number, args?: TraceArgs): void {
    this.writer.slice(track, name, startPs / 1000, durPs / 1000, args);
  }

  instant(track: TraceTrack, name: string, tPs: number, args?: TraceArgs): void {
    this.writer.instant(track, name, tPs / 1000, args);
  }

  counter(process: string, name: string, tPs: number, values: Record<string, number>): void {
    this.writer.counter(process, name, tPs / 1000, values);
  }

  flow(kind: 'start' | 'step' | 'end', id: number, track: TraceTrack, tPs: number): void {
    const t = tPs / 1000;
    if (kind === 'start') this.writer.flowStart(track, FLOW_NAME, id, t);
    else if (kind === 'step') this.writer.flowStep(track, FLOW_NAME, id, t);
    else this.writer.flowEnd(track, FLOW_NAME, id, t);
  }

  /** Ends the JSON document and the file. */
  close(): Promise<void> {
    return this.writer.close();
  }
}

export interface ScenarioTraceOptions {
  /** `--record F`: the trace file (.msgpack/.mpk: msgpack, else JSONL). */
  record?: string;
  /** `--perfetto F`: the Chrome trace-event JSON file. */
  perfetto?: string;
  timeline?: TimelineOptions;
}

export interface ScenarioTrace {
  /** Pass as the scenario's `observer` option. */
  observer: LiveOps;
  recorder: TraceRecorder | null;
  timeline: OpTimeline | null;
  stats: LiveOpStats;
  /** Closes the files (await it before exiting). */
  close(): Promise<void>;
}

/**
 * What `dmasim run --record F --perfetto G` needs: an observer for runScenario(name, { observer }) that
 * records the trace and/or draws the timeline, and a close() for the end of the run.
 */
export function createScenarioTrace(opts: ScenarioTraceOptions): ScenarioTrace {
  const sinks: LiveOpSink[] = [];
  const recorder = opts.record !== undefined ? TraceRecorder.toFile(opts.record) : null;
  if (recorder !== null) sinks.push(recorder);
  const tracer = opts.perfetto !== undefined ? PerfettoTracer.toFile(opts.perfetto) : null;
  const timeline = tracer !== null ? new OpTimeline(tracer, opts.timeline) : null;
  if (timeline !== null) sinks.push(timeline);
  const observer = new LiveOps(sinks);
  return {
    observer,
    recorder,
    timeline,
    stats: observer.stats,
    async close() {
      // Also after a run that threw: the files end well-formed (flows ended, JSON closed).
      timeline?.end();
      recorder?.close();
      if (tracer !== null) await tracer.close();
    },
  };
}

export interface ReplayTimeline {
  /** Pass as ReplayOptions.onOp. */
  onOp: (e: OpEvent) => void;
  /** Call once the Replayer exists: attach(replayer.machine). */
  attach(machine: DmaMachine): void;
  timeline: OpTimeline;
  /** Ends open flows and closes the file (await it). */
  close(): Promise<void>;
}

/** What `dmasim replay T --perfetto F` needs. */
export function createReplayTimeline(path: string, opts: TimelineOptions = {}): ReplayTimeline {
  const tracer = PerfettoTracer.toFile(path);
  return replayTimelineOn(tracer, opts, () => tracer.close());
}

/** The same over any tracer (tests, in-memory sinks). */
export function replayTimelineOn(tracer: Tracer, opts: TimelineOptions, close: () => Promise<void>): ReplayTimeline {
  const timeline = new OpTimeline(tracer, opts);
  return {
    onOp: timeline.onReplayOp,
    attach: (machine) => timeline.attachReplay(machine),
    timeline,
    async close() {
      timeline.end();
      await close();
    },
  };
}

/** A ByteSink over a file descriptor, written synchronously (never asks to wait for 'drain'). */
export function syncFileSink(path: string): ByteSink {
  const fd = openSync(path, 'w');
  let open = true;
  return {
    write(chunk) {
      if (typeof chunk === 'string') writeSync(fd, chunk);
      else writeSync(fd, chunk);
      return true;
    },
    end(cb) {
      if (open) {
        open = false;
        closeSync(fd);
      }
      cb?.();
    },
  };
}
