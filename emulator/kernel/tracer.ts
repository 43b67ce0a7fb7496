// A timeline hook for every layer: when the Simulator has a tracer, layers emit what they did (slices on
// named tracks, instants, counters, flow arrows) in simulated picoseconds. Nothing is emitted when it is
// null, so the hook costs one null check. traces/perfetto-export.ts implements it for ui.perfetto.dev.
import type { Ps } from './time.ts';

/** A track handle returned by Tracer.track (stable for the tracer's lifetime). */
export type TraceTrack = number;

/** Argument values shown with a slice or instant. */
export type TraceArgs = Record<string, string | number | boolean | null>;

export interface Tracer {
  /** The track of a thread-like lane `thread` inside the process-like group `process` (e.g. 'CPU', 'cpu0'). */
  track(process: string, thread: string): TraceTrack;
  /** Something that took `durPs` from `startPs`; slices on one track must not start before an earlier one. */
  slice(track: TraceTrack, name: string, startPs: Ps, durPs: Ps, args?: TraceArgs): void;
  instant(track: TraceTrack, name: string, tPs: Ps, args?: TraceArgs): void;
  /** One sample of a counter track `name` in `process`, one series per key of `values`. */
  counter(process: string, name: string, tPs: Ps, values: Record<string, number>): void;
  /** An arrow between slices: 'start' once, then any 'step's, then 'end', all with the same `id`. */
  flow(kind: 'start' | 'step' | 'end', id: number, track: TraceTrack, tPs: Ps): void;
}
