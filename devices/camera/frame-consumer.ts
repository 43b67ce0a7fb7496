import type { Ps, Simulator } from '../../emulator/kernel/index.ts';
import type { FimcCapture } from './fimc-capture.ts';
import type { Vb2Buffer } from './vb2-queue.ts';
import { LINE_HEADER_BYTES, LINE_MARKER, countBadLines } from './pattern.ts';

/** CPU reads as the memory system offers them: returns CPU cycles. */
export type CpuReadFn = (pa: number, dst: Uint8Array, dstOff: number, len: number, type: 'normal-wb' | 'normal-nc' | 'write-combine' | 'device') => number;

export interface FrameConsumerOptions {
  /** 'full' reads and checks every byte; 'sampled' checks every line's header and one full line group per frame. */
  verify: 'full' | 'sampled';
  /** Lines per full-check chunk (also the rotating group of 'sampled'). Default 64 for 'full', 16 for 'sampled'. */
  chunkLines?: number;
  /** Requeue each buffer after checking it (false: the "forgot to QBUF" bug — frames then drop). */
  requeue: boolean;
  /** USERPTR pointers per buffer index (reused at each QBUF). */
  userptrs?: number[][];
  /** Scheduler latency between the frame interrupt and the task running. Default 100 us. */
  wakeLatencyPs?: number;
  /** Runs before each QBUF (e.g. to make the DMA API calls of the ioctl run on the consumer's CPU). */
  beforeQbuf?: () => void;
  /** Charges CPU cycles to the consumer's core; returns when that work is done. */
  charge: (cycles: number) => Ps;
}

/**
 * The user task consuming frames: DQBUF, read the frame through its CPU mapping (so stale cache lines are
 * seen as such), count lines that are not the expected pattern, QBUF again.
 */
export class FrameConsumer {
  frames = 0;
  framesCorrupt = 0;
  badLines = 0;
  cpuCycles = 0;
  private readonly scratch: Uint8Array;
  private readonly ref: Uint8Array;
  private readonly hdr = new Uint8Array(LINE_HEADER_BYTES);
  private busy = false;
  private doneAt = 0;
  private rotor = 0;

  constructor(
    private readonly sim: Simulator,
    private readonly cap: FimcCapture,
    private readonly read: CpuReadFn,
    private readonly opts: FrameConsumerOptions,
  ) {
    const chunk = this.chunk();
    const stride = Math.max(...cap.fimc.layout.regions.map((r) => r.stride));
    this.scratch = new Uint8Array(chunk * stride);
    this.ref = new Uint8Array(chunk * stride);
    cap.onFrameDone(() => this.wake());
  }

  private chunk(): number {
    return this.opts.chunkLines ?? (this.opts.verify === 'full' ? 64 : 16);
  }

  private wake(): void {
    if (this.busy) return;
    this.busy = true;
    this.sim.schedule(this.opts.wakeLatencyPs ?? 100_000_000, () => this.service());
  }

  private service(): void {
    const q = this.cap.queue;
    const b = q.dqbuf();
    if (!b) {
      this.busy = false;
      return;
    }
    this.doneAt = this.sim.now;
    if (b.state !== 'error') this.check(b);
    const doneAt = this.doneAt;
    this.sim.scheduleAt(Math.max(doneAt, this.sim.now), () => {
      if (this.opts.requeue && q.streaming) {
        this.opts.beforeQbuf?.();
        q.qbuf(b.index, this.opts.userptrs?.[b.index]);
      }
      // More frames may have completed meanwhile.
      this.service();
    });
  }

  /** One CPU read, charged to the core at once so the next read starts after it (its memory traffic too). */
  private rd(pa: number, dst: Uint8Array, off: number, len: number, type: Parameters<CpuReadFn>[4]): number {
    const c = this.read(pa, dst, off, len, type);
    this.cpuCycles += c;
    this.doneAt = this.opts.charge(c);
    return c;
  }

  /** Verifies one frame; returns CPU cycles spent reading it. */
  private check(b: Vb2Buffer): number {
    const L = this.cap.fimc.layout;
    const chunk = this.chunk();
    const frame = b.sequence;
    let cycles = 0;
    let bad = 0;
    let firstLine = 0;
    const full = this.opts.verify === 'full';
    const sampleRegionLine = this.rotor;
    for (const r of L.regions) {
      const p = b.planes[r.plane]!;
      if (p.cpuPhys === null) return cycles;
      const base = p.cpuPhys + r.offset;
      if (full) {
        for (let l = 0; l < r.lines; l += chunk) {
          const n = Math.min(chunk, r.lines - l);
          cycles += this.rd(base + l * r.stride, this.scratch, 0, n * r.stride, p.cpuMemType);
          bad += countBadLines(this.scratch, 0, this.ref, r.stride, n, frame, firstLine + l);
        }
      } else {
        for (let l = 0; l < r.lines; l++) {
          cycles += this.rd(base + l * r.stride, this.hdr, 0, LINE_HEADER_BYTES, p.cpuMemType);
          if (!headerOk(this.hdr, frame, firstLine + l)) bad++;
        }
        const l0 = (sampleRegionLine * chunk) % r.lines;
        const n = Math.min(chunk, r.lines - l0);
        cycles += this.rd(base + l0 * r.stride, this.scratch, 0, n * r.stride, p.cpuMemType);
        bad += countBadLines(this.scratch, 0, this.ref, r.stride, n, frame, firstLine + l0);
      }
      firstLine += r.lines;
    }
    this.rotor++;
    this.frames++;
    this.badLines += bad;
    if (bad > 0) this.framesCorrupt++;
    return cycles;
  }
}

function headerOk(h: Uint8Array, frame: number, line: number): boolean {
  return (
    h[0] === LINE_MARKER &&
    h[2] === (line & 0xff) &&
    h[3] === ((line >>> 8) & 0xff) &&
    h[4] === (frame & 0xff) &&
    h[5] === ((frame >>> 8) & 0xff) &&
    h[6] === ((frame >>> 16) & 0xff) &&
    h[7] === ((frame >>> 24) & 0xff)
  );
}
