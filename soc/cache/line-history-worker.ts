import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import type { MessagePort, WorkerOptions } from 'node:worker_threads';
import { RING_CTRL, RING_WORKER_STATE, ringWorkerSource } from './line-history-rings.ts';
import type { LineRings, RingWorkerMessage, RingWorkerReport } from './line-history-rings.ts';

/** Events per log segment: what a history logs before its events are applied (18 bytes each). */
export const LOG_SEGMENT_EVENTS = 4096;

/** A log segment in shared memory: a history appends to it, then hands it over whole. */
export interface LogSegment {
  readonly slot: number;
  readonly addr: Float64Array;
  readonly event: Uint16Array;
  readonly time: Float64Array;
}

/** A history's registration with the worker; the segment is the one it logs into now. */
export interface RingWorkerHandle {
  readonly id: number;
  segment: LogSegment;
}

export interface RingWorkerOptions {
  /** Makes the worker thread (tests inject failures here). Default: `new Worker(source, options)`. */
  spawn?: (source: string, options: WorkerOptions) => Worker;
  /** The worker's source. Default: ringWorkerSource(). */
  source?: string;
  /** How long a drain waits for the worker to start before applying in-thread instead. Default 2000 ms. */
  startTimeoutMs?: number;
  /**
   * Segments handed over and not yet applied before the simulation thread waits for the worker (the
   * back-pressure; slots, 72 KiB each, are made up to this many besides those histories log into). Default 8.
   */
  segmentsAhead?: number;
}

/** Submissions that can be in flight at once (each three Int32 in the control array). */
const QUEUE_LENGTH = 64;
/** How often the worker looks for submissions while busy, and after how long idle it sleeps until woken instead. */
const POLL_MS = 1;
const SLEEP_AFTER_MS = 200;
/** Hand-overs between pulls of the worker's reports (a drain, clear or release always pulls). */
const PULL_EVERY_SUBMISSIONS = 16;
/** Slice of a blocking wait, between checks of the worker's state. */
const WAIT_SLICE_MS = 100;

/**
 * One worker thread, shared by the histories of a thread, that applies their full log segments to their
 * rings while the simulation runs on. Segments are SharedArrayBuffer slots handed over through a queue
 * in a shared Int32 control array (no message per segment, and no wake-up: the worker polls while busy);
 * the simulation thread waits (Atomics.wait) only when `segmentsAhead` segments are in flight, or to
 * drain before a query. The worker posts each page and chunk it
 * allocates on a message port, which the simulation thread pulls synchronously (receiveMessageOnPort)
 * into its own copy of the rings (LineRings over the same memory), so queries read shared memory directly.
 *
 * If the worker cannot start, or fails, the simulation thread applies what was handed over itself, from
 * the first event not applied, and every history goes on in-thread (said once on stderr).
 */
export class RingWorker {
  private readonly options: RingWorkerOptions;
  private status: 'idle' | 'running' | 'failed' = 'idle';
  private ctrl: Int32Array = new Int32Array(0);
  private port: MessagePort | null = null;
  private readonly mirrors = new Map<number, LineRings>();
  private nextId = 1;
  private readonly slots: LogSegment[] = [];
  private readonly freeSlots: number[] = [];
  // Slots histories log into now (neither free nor in flight).
  private held = 0;
  // Slot of each submission in the queue (-1: a clear, which has none).
  private readonly queueSlots = new Int32Array(QUEUE_LENGTH);
  private submitted = 0;
  // Submissions whose slots are back in freeSlots.
  private reclaimed = 0;
  // `submitted` when the last drain finished: a drain with nothing new since costs nothing.
  private drained = 0;
  private startedAt = 0;
  private readonly registry = new FinalizationRegistry<RingWorkerHandle>((handle) => this.release(handle));

  constructor(options: RingWorkerOptions = {}) {
    this.options = options;
  }

  /** False once the worker could not start or failed: histories then apply their events in-thread. */
  get usable(): boolean {
    return this.status !== 'failed';
  }

  /** 'idle' until a history first goes off-thread, then 'running', or 'failed' (for diagnostics and tests). */
  get state(): 'idle' | 'running' | 'failed' {
    return this.status;
  }

  /** Segments and clears handed to the worker so far (for diagnostics and tests). */
  /** Whether the thread is up (a history may then hand over from its first segment: no start-up to pay). */
  get running(): boolean {
    return this.status === 'running';
  }

  get handedOver(): number {
    return this.submitted;
  }

  /**
   * Hands a history's rings over to the worker (starting it if needed) and gives the history a segment
   * to log into; null when the worker is not usable. `owner` is the history: when it is dropped, its
   * rings are released in both threads.
   */
  register(owner: object, rings: LineRings): RingWorkerHandle | null {
    if (this.status === 'idle') this.start();
    if (this.status !== 'running') return null;
    const id = this.nextId++;
    this.post({ t: 'register', id, lineBytes: rings.lineBytes, depth: rings.depth, state: rings.state, idOfEvent: rings.idOfEvent, snapshot: rings.snapshot() });
    this.mirrors.set(id, rings);
    const handle: RingWorkerHandle = { id, segment: this.acquireSlot() };
    this.registry.register(owner, handle);
    return handle;
  }

  /**
   * Hands over the first `count` events of the handle's segment and points the handle at a fresh one.
   * If the worker has failed meanwhile, everything handed over is applied in-thread before this returns
   * (the handle then keeps its segment; the history should go on in-thread, see `usable`).
   */
  submit(handle: RingWorkerHandle, count: number): void {
    if (this.status === 'running') this.checkFailed();
    if (this.status !== 'running') {
      this.mirrors.get(handle.id)!.apply(handle.segment.addr, handle.segment.event, handle.segment.time, 0, count);
      return;
    }
    this.held--;
    this.enqueue(handle.id, handle.segment.slot, count);
    // Now and then, so reports (holding pages of histories that may be dropped) do not pile up unread.
    if (this.submitted % PULL_EVERY_SUBMISSIONS === 0) this.pullReports();
    handle.segment = this.acquireSlot();
  }

  /** Queues a clear of the handle's rings after what was handed over (applied in-thread if the worker failed). */
  clear(handle: RingWorkerHandle): void {
    if (this.status === 'running') this.checkFailed();
    if (this.status !== 'running') {
      this.mirrors.get(handle.id)!.clear();
      return;
    }
    this.enqueue(handle.id, -1, -1);
    this.pullReports();
  }

  /**
   * Waits until everything handed over is applied and the rings' copies here know every allocation, so
   * they can be read. Free when nothing was handed over since the last drain.
   */
  drain(): void {
    if (this.status !== 'running' || this.drained === this.submitted) return;
    // Wake it from its poll: a query should not wait out the poll interval.
    if (Atomics.load(this.ctrl, RING_CTRL.done) !== this.submitted) Atomics.notify(this.ctrl, RING_CTRL.submitted);
    this.waitForDone(this.submitted);
    this.pullReports();
    this.drained = this.submitted;
  }

  private start(): void {
    try {
      const { port1, port2 } = new MessageChannel();
      const ctrl = new Int32Array(new SharedArrayBuffer((RING_CTRL.queue + QUEUE_LENGTH * 3) * 4));
      const spawn = this.options.spawn ?? ((source: string, options: WorkerOptions) => new Worker(source, options));
      const worker = spawn(this.options.source ?? ringWorkerSource(), {
        eval: true,
        // Not the process's flags: `--input-type=module` (node -e of an ES module) would make the
        // worker's CommonJS source fail to load, and profiling flags would profile it too.
        execArgv: [],
        workerData: { ctrl: ctrl.buffer, queueLength: QUEUE_LENGTH, pollMs: POLL_MS, sleepAfterMs: SLEEP_AFTER_MS, port: port2, layout: RING_CTRL, states: RING_WORKER_STATE },
        transferList: [port2],
      });
      // Never keeps the process alive; failures are seen through the control array, but an exit while
      // the simulation thread is idle (so not waiting) is caught here too.
      worker.unref();
      worker.on('error', () => {});
      worker.on('exit', () => {
        if (Atomics.compareExchange(ctrl, RING_CTRL.state, RING_WORKER_STATE.ready, RING_WORKER_STATE.failed) === RING_WORKER_STATE.ready) {
          ctrl[RING_CTRL.failedAt] = Atomics.load(ctrl, RING_CTRL.done);
          ctrl[RING_CTRL.failedEvent] = 0;
        }
      });
      this.ctrl = ctrl;
      this.port = port1;
      this.status = 'running';
      this.startedAt = performance.now();
    } catch (e) {
      this.status = 'failed';
      warnOnce(`could not start (${e instanceof Error ? e.message : String(e)})`);
    }
  }

  private post(message: RingWorkerMessage): void {
    this.port!.postMessage(message);
  }

  private enqueue(id: number, slot: number, count: number): void {
    // The queue is full: wait for the worker to take one.
    if (this.submitted - this.reclaimed >= QUEUE_LENGTH) {
      this.waitForDone(this.submitted - QUEUE_LENGTH + 1);
      this.reclaim();
      if (this.status !== 'running') {
        // The worker failed while we waited: everything before is applied; apply this here.
        const rings = this.mirrors.get(id)!;
        const segment = this.slots[slot];
        if (count < 0) rings.clear();
        else if (segment !== undefined) rings.apply(segment.addr, segment.event, segment.time, 0, count);
        return;
      }
    }
    const entry = RING_CTRL.queue + (this.submitted % QUEUE_LENGTH) * 3;
    this.ctrl[entry] = id;
    this.ctrl[entry + 1] = slot;
    this.ctrl[entry + 2] = count;
    this.queueSlots[this.submitted % QUEUE_LENGTH] = slot;
    this.submitted++;
    Atomics.store(this.ctrl, RING_CTRL.submitted, this.submitted);
    // Waking a thread costs this one ~50 µs or more: only when it sleeps (it polls while busy).
    if (Atomics.load(this.ctrl, RING_CTRL.sleeping) !== 0) Atomics.notify(this.ctrl, RING_CTRL.submitted);
  }

  /**
   * A free segment for a history to log into: one the worker is done with, a new one while fewer than
   * segmentsAhead are free or in flight, or else wait for the worker to finish one (back-pressure).
   */
  private acquireSlot(): LogSegment {
    this.held++;
    for (;;) {
      this.reclaim();
      const free = this.freeSlots.pop();
      if (free !== undefined) return this.slots[free]!;
      if (this.slots.length - this.held < Math.max(1, this.options.segmentsAhead ?? 8) || this.status !== 'running') return this.newSlot();
      this.waitForDone(this.reclaimed + 1);
    }
  }

  private newSlot(): LogSegment {
    const slot = this.slots.length;
    const n = LOG_SEGMENT_EVENTS;
    const segment: LogSegment = {
      slot,
      addr: new Float64Array(new SharedArrayBuffer(n * 8)),
      event: new Uint16Array(new SharedArrayBuffer(n * 2)),
      time: new Float64Array(new SharedArrayBuffer(n * 8)),
    };
    this.slots.push(segment);
    if (this.status === 'running') this.post({ t: 'slot', slot, addr: segment.addr, event: segment.event, time: segment.time });
    return segment;
  }

  /** Returns to freeSlots the slots of submissions the worker has finished. */
  private reclaim(): void {
    const done = this.status === 'running' ? Atomics.load(this.ctrl, RING_CTRL.done) : this.submitted;
    while (this.reclaimed < done) {
      const slot = this.queueSlots[this.reclaimed % QUEUE_LENGTH]!;
      if (slot >= 0) this.freeSlots.push(slot);
      this.reclaimed++;
    }
  }

  /** Blocks until the worker has finished `target` submissions, or takes over if it failed or never started. */
  private waitForDone(target: number): void {
    const ctrl = this.ctrl;
    for (;;) {
      const done = Atomics.load(ctrl, RING_CTRL.done);
      if (done >= target) return;
      const state = Atomics.load(ctrl, RING_CTRL.state);
      if (state === RING_WORKER_STATE.failed) {
        this.takeOver(`failed (${this.failureMessage()})`);
        return;
      }
      if (state === RING_WORKER_STATE.starting && performance.now() - this.startedAt > (this.options.startTimeoutMs ?? 2000)
        && Atomics.compareExchange(ctrl, RING_CTRL.state, RING_WORKER_STATE.starting, RING_WORKER_STATE.abandoned) === RING_WORKER_STATE.starting) {
        ctrl[RING_CTRL.failedAt] = -1;
        this.takeOver('did not start in time');
        return;
      }
      Atomics.wait(ctrl, RING_CTRL.done, done, WAIT_SLICE_MS);
    }
  }

  /** Takes over if the worker has failed (a cheap check, made at each hand-over). */
  private checkFailed(): void {
    if (Atomics.load(this.ctrl, RING_CTRL.state) === RING_WORKER_STATE.failed) this.takeOver(`failed (${this.failureMessage()})`);
  }

  private failureMessage(): string {
    const port = this.port;
    if (port === null) return 'it exited';
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
      const report = m.message as RingWorkerReport;
      if (report.t === 'error') return report.message;
      this.adopt(report);
    }
    return 'it exited';
  }

  /**
   * Applies, in-thread and in order, every submission the worker did not finish, from the event it
   * failed at; from then on everything is applied in-thread.
   */
  private takeOver(reason: string): void {
    this.pullReports();
    this.status = 'failed';
    warnOnce(`${reason}`);
    const failedAt = this.ctrl[RING_CTRL.failedAt]!;
    const firstEvent = this.ctrl[RING_CTRL.failedEvent]!;
    for (let k = Atomics.load(this.ctrl, RING_CTRL.done); k < this.submitted; k++) {
      const entry = RING_CTRL.queue + (k % QUEUE_LENGTH) * 3;
      const rings = this.mirrors.get(this.ctrl[entry]!);
      if (rings === undefined) continue;
      const count = this.ctrl[entry + 2]!;
      if (count < 0) {
        rings.clear();
      } else {
        const segment = this.slots[this.ctrl[entry + 1]!]!;
        rings.apply(segment.addr, segment.event, segment.time, k === failedAt ? firstEvent : 0, count);
      }
    }
    this.reclaim();
    this.port?.close();
    this.port = null;
  }

  /** Adopts, into the rings' copies here, every allocation and clear the worker reported. */
  private pullReports(): void {
    const port = this.port;
    if (port === null) return;
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) this.adopt(m.message as RingWorkerReport);
  }

  private adopt(report: RingWorkerReport): void {
    if (report.t === 'error') return;
    const rings = this.mirrors.get(report.id);
    if (rings === undefined) return; // released
    if (report.t === 'page') rings.installPage(report.pageNo, report.cells);
    else if (report.t === 'chunk') rings.installChunk(report.cells);
    else rings.forgetPages();
  }

  /** A history was dropped: forget its rings here and in the worker, and free its segment. */
  private release(handle: RingWorkerHandle): void {
    this.mirrors.delete(handle.id);
    if (this.status !== 'running') return;
    this.post({ t: 'release', id: handle.id });
    this.pullReports(); // drops reports about its rings
    this.held--;
    this.freeSlots.push(handle.segment.slot);
  }
}

let warned = false;
function warnOnce(what: string): void {
  if (warned) return;
  warned = true;
  process.stderr.write(`dmasim: the line-history worker thread ${what}; applying line history on the simulation thread\n`);
}

let shared: RingWorker | null = null;

/** The thread's shared RingWorker (its thread starts only when a history first goes off-thread). */
export function sharedRingWorker(): RingWorker {
  shared ??= new RingWorker();
  return shared;
}
