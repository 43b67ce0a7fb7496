import type { EventTarget } from './event-queue.ts';
import { MAX_TIME_PS } from './time.ts';
import type { Ps } from './time.ts';

/**
 * A component's own events, kept in its own small ordered list instead of the simulator's heap, and
 * merged with the heap by Simulator.run in exactly the order they would have had there.
 *
 * Why: a bus with a handful of bursts in flight fires most of a run's events (burst completions,
 * arbitration); a short sorted list costs less per event than a push and a pop of the shared heap. Each
 * lane event takes its tie-breaking sequence number from Simulator.reserveSeq at the moment it is
 * scheduled, as a post would have, and has priority 0, so the merged order is the heap's order.
 */
export interface EventLane {
  /** Time of the lane's earliest event, ps; Infinity when the lane is empty. */
  readonly laneHeadTime: number;
  /** Sequence number of that event (valid while the lane is not empty). */
  readonly laneHeadSeq: number;
  /** Events in the lane. */
  readonly laneSize: number;
  /** Removes the earliest event and runs it; Simulator.now is already its time. */
  fireLaneHead(): void;
}

/** What a TargetLane needs of the simulator (Simulator fits it). */
export interface LaneHost {
  readonly now: Ps;
  reserveSeq(): number;
  attachLane(lane: EventLane): void;
}

/** Thrown when a lane event is scheduled before now or past the 2^53 ps limit. */
export class LaneTimeError extends RangeError {
  constructor(time: number, now: number) {
    super(`TargetLane.schedule: time ${time} ps is outside [now = ${now}, 2^53) ps`);
    this.name = 'LaneTimeError';
  }
}

/**
 * An EventLane that calls `target.onEvent(arg)` for each event, like Simulator.post with priority 0. Meant
 * for a few events pending at a time: they sit in typed arrays sorted by (time, sequence) with the
 * earliest LAST, so firing is a pop and a new latest event moves the others down by one.
 */
export class TargetLane implements EventLane {
  laneSize = 0;
  laneHeadTime = Infinity;
  laneHeadSeq = 0;
  private times = new Float64Array(16);
  private seqs = new Float64Array(16);
  private args = new Float64Array(16);

  constructor(
    private readonly host: LaneHost,
    private readonly target: EventTarget,
  ) {
    host.attachLane(this);
  }

  /** Schedules target.onEvent(arg) at absolute time `time` (integer ps, not before now). */
  schedule(time: Ps, arg: number): void {
    if (!(time >= this.host.now && time <= MAX_TIME_PS && Math.floor(time) === time)) throw new LaneTimeError(time, this.host.now);
    const seq = this.host.reserveSeq();
    let n = this.laneSize;
    if (n === this.times.length) this.grow();
    const times = this.times;
    const seqs = this.seqs;
    const args = this.args;
    // Sequence numbers only grow, so the new event runs after every event at its time or earlier: those
    // (at the end) move up one place and it goes below them.
    while (n > 0 && times[n - 1]! <= time) {
      times[n] = times[n - 1]!;
      seqs[n] = seqs[n - 1]!;
      args[n] = args[n - 1]!;
      n--;
    }
    times[n] = time;
    seqs[n] = seq;
    args[n] = arg;
    const head = this.laneSize++;
    this.laneHeadTime = times[head]!;
    this.laneHeadSeq = seqs[head]!;
  }

  fireLaneHead(): void {
    const head = --this.laneSize;
    const arg = this.args[head]!;
    this.laneHeadTime = head > 0 ? this.times[head - 1]! : Infinity;
    this.laneHeadSeq = head > 0 ? this.seqs[head - 1]! : 0;
    this.target.onEvent(arg);
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const grown = (a: Float64Array): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.times = grown(this.times);
    this.seqs = grown(this.seqs);
    this.args = grown(this.args);
  }
}
