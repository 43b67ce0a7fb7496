import type { EventTarget } from './event-queue.ts';
import { MAX_TIME_PS } from './time.ts';
import type { Ps } from './time.ts';

/** What an EventLane needs of its simulator (Simulator fits it). */
export interface LaneHost {
  readonly now: Ps;
  reserveSeq(): number;
}

/** Free entries kept in front of the lane's events (for events that go first, e.g. an arbitration now). */
const FRONT_ROOM = 16;

/** Thrown when a lane event is scheduled before now or past the 2^53 ps limit. */
export class LaneTimeError extends RangeError {
  constructor(time: number, now: number) {
    super(`EventLane.schedule: time ${time} ps is outside [now = ${now}, 2^53) ps`);
    this.name = 'LaneTimeError';
  }
}

/**
 * The simulator's lane (Simulator.lane()): events of components that keep a few near-term priority-0 events
 * each and fire many per run (a bus's arbitration and burst completions, a DMA controller's peripheral
 * accesses), held in a short sorted list instead of the heap and merged with the heap by Simulator.run in
 * exactly the order they would have had there: each event takes its tie-breaking sequence number
 * (Simulator.reserveSeq) when scheduled, as a post would, so `schedule(target, time, arg)` is
 * `post(time - now, target, arg)` without a push and a pop of the heap.
 *
 * The events sit in typed arrays sorted by (time, sequence) between `start` and `end`, with room on both
 * sides, so firing the earliest, adding a new latest (a burst completion) and adding a new earliest (an
 * arbitration now) each touch one entry; only an event landing between others moves the later ones up.
 */
export class EventLane {
  /** Time of the earliest event, ps; Infinity when the lane is empty. */
  headTime = Infinity;
  /** Sequence number of that event (valid while the lane is not empty). */
  headSeq = 0;
  // Events drift towards the end (new ones mostly go last, fired ones leave the front): long arrays with a
  // little room in front re-centre rarely.
  private times = new Float64Array(512);
  private seqs = new Float64Array(512);
  private args = new Float64Array(512);
  private targets: (EventTarget | undefined)[] = new Array<EventTarget | undefined>(512).fill(undefined);
  private start = FRONT_ROOM;
  private end = FRONT_ROOM;

  constructor(private readonly host: LaneHost) {}

  /** Events in the lane. */
  get size(): number {
    return this.end - this.start;
  }

  /** Schedules target.onEvent(arg) at absolute time `time` (integer ps, not before now). */
  schedule(target: EventTarget, time: Ps, arg: number): void {
    if (!(time >= this.host.now && time <= MAX_TIME_PS && Math.floor(time) === time)) throw new LaneTimeError(time, this.host.now);
    const seq = this.host.reserveSeq();
    // Sequence numbers only grow, so the new event runs after every event at its time or earlier. The
    // common case, a new latest event with room behind it, stays here: kept small, V8 inlines schedule
    // into its callers (a call would also box `time`); every other case is insert's.
    const end = this.end;
    if (end !== this.times.length && (this.start === end || time >= this.times[end - 1]!)) {
      this.end = end + 1;
      this.put(end, time, seq, arg, target);
      if (end === this.start) this.setHead();
      return;
    }
    this.insert(target, time, seq, arg);
  }

  /** schedule's other cases: a latest event with no room behind, a new earliest, one between others. */
  private insert(target: EventTarget, time: Ps, seq: number, arg: number): void {
    if (this.start === this.end || time >= this.times[this.end - 1]!) {
      if (this.end === this.times.length) this.recentre();
      const i = this.end++;
      this.put(i, time, seq, arg, target);
      if (i === this.start) this.setHead();
      return;
    }
    if (time < this.times[this.start]!) {
      if (this.start === 0) this.recentre();
      this.put(--this.start, time, seq, arg, target);
      this.setHead();
      return;
    }
    if (this.end === this.times.length) this.recentre();
    const times = this.times;
    const seqs = this.seqs;
    const args = this.args;
    const targets = this.targets;
    let i = this.end++;
    while (times[i - 1]! > time) {
      times[i] = times[i - 1]!;
      seqs[i] = seqs[i - 1]!;
      args[i] = args[i - 1]!;
      targets[i] = targets[i - 1];
      i--;
    }
    this.put(i, time, seq, arg, target);
  }

  /** Removes the earliest event and runs it (the simulator has set now to its time). */
  fireHead(): void {
    const i = this.start++;
    const arg = this.args[i]!;
    const target = this.targets[i]!;
    this.targets[i] = undefined;
    if (this.start === this.end) {
      this.start = this.end = FRONT_ROOM;
      this.headTime = Infinity;
      this.headSeq = 0;
    } else {
      this.setHead();
    }
    target.onEvent(arg);
  }

  private put(i: number, time: number, seq: number, arg: number, target: EventTarget): void {
    this.times[i] = time;
    this.seqs[i] = seq;
    this.args[i] = arg;
    this.targets[i] = target;
  }

  private setHead(): void {
    this.headTime = this.times[this.start]!;
    this.headSeq = this.seqs[this.start]!;
  }

  /**
   * Moves the events back to FRONT_ROOM (or to the middle, when they ran out of room in front), in place;
   * into doubled arrays when they fill more than half.
   */
  private recentre(): void {
    const n = this.end - this.start;
    if (n * 2 >= this.times.length) {
      const cap = this.times.length * 2;
      const from = (cap - n) >> 1;
      const moved = (a: Float64Array): Float64Array<ArrayBuffer> => {
        const b = new Float64Array(cap);
        b.set(a.subarray(this.start, this.end), from);
        return b;
      };
      this.times = moved(this.times);
      this.seqs = moved(this.seqs);
      this.args = moved(this.args);
      const targets = new Array<EventTarget | undefined>(cap).fill(undefined);
      for (let k = 0; k < n; k++) targets[from + k] = this.targets[this.start + k];
      this.targets = targets;
      this.start = from;
    } else {
      const from = this.start === 0 ? (this.times.length - n) >> 1 : Math.min(FRONT_ROOM, (this.times.length - n) >> 1);
      this.times.copyWithin(from, this.start, this.end);
      this.seqs.copyWithin(from, this.start, this.end);
      this.args.copyWithin(from, this.start, this.end);
      this.targets.copyWithin(from, this.start, this.end);
      // Entries left behind would keep their targets alive.
      for (let k = Math.max(from + n, this.start); k < this.end; k++) this.targets[k] = undefined;
      for (let k = this.start; k < Math.min(from, this.end); k++) this.targets[k] = undefined;
      this.start = from;
    }
    this.end = this.start + n;
  }
}
