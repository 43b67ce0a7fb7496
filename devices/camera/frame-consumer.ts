import type { Ps, Simulator } from '../../emulator/kernel/index.ts';
import type { FimcCapture } from './fimc-capture.ts';
import type { Vb2Buffer } from './vb2-queue.ts';
import { LINE_HEADER_BYTES, LINE_MARKER, countBadLines } from './pattern.ts';

type CpuMemType = 'normal-wb' | 'normal-nc' | 'write-combine' | 'device';
/** CPU reads as the memory system offers them: returns CPU cycles. */
export type CpuReadFn = (pa: number, dst: Uint8Array, dstOff: number, len: number, type: CpuMemType) => number;
/**
 * `count` reads of `len` bytes at pa, pa + stride, ... into dst (dstOff, dstOff + len, ...), each charged to
 * the consumer's core before the next starts, as `count` CpuReadFn calls each followed by `charge` would be
 * (MemorySystem.cpuReadStrided); returns the cycles of all of them.
 */
export type CpuReadStridedFn = (pa: number, stride: number, count: number, len: number, dst: Uint8Array, dstOff: number, type: CpuMemType) => number;

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
  /** The line-header scan of 'sampled' in one call (same reads, same charges) when the reads need no wrapper. */
  readStrided?: CpuReadStridedFn;
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
  // Every line header of a region, for a strided scan.
  private headers = new Uint8Array(0);
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
  private rd(pa: number, dst: Uint8Array, off: number, len: number, type: CpuMemType): void {
    const c = this.read(pa, dst, off, len, type);
    this.cpuCycles += c;
    this.doneAt = this.opts.charge(c);
  }

  /** Reads the header of each of `lines` lines (charged as it goes) and counts those not of this frame. */
  private scanHeaders(base: number, stride: number, lines: number, frame: number, firstLine: number, type: CpuMemType): number {
    let bad = 0;
    const strided = this.opts.readStrided;
    if (strided !== undefined) {
      const n = lines * LINE_HEADER_BYTES;
      if (this.headers.length < n) this.headers = new Uint8Array(n);
      this.cpuCycles += strided(base, stride, lines, LINE_HEADER_BYTES, this.headers, 0, type);
      // The core is busy until the last read ends (each was charged as it completed).
      this.doneAt = this.opts.charge(0);
      for (let l = 0; l < lines; l++) if (!headerOk(this.headers, frame, firstLine + l, l * LINE_HEADER_BYTES)) bad++;
      return bad;
    }
    for (let l = 0; l < lines; l++) {
      this.rd(base + l * stride, this.hdr, 0, LINE_HEADER_BYTES, type);
      if (!headerOk(this.hdr, frame, firstLine + l, 0)) bad++;
    }
    return bad;
  }

  /** Verifies one frame (its reads charged to the core and counted in cpuCycles). */
  private check(b: Vb2Buffer): void {
    const L = this.cap.fimc.layout;
    const chunk = this.chunk();
    const frame = b.sequence;
    let bad = 0;
    let firstLine = 0;
    const full = this.opts.verify === 'full';
    const sampleRegionLine = this.rotor;
    for (const r of L.regions) {
      const p = b.planes[r.plane]!;
      if (p.cpuPhys === null) return;
      const base = p.cpuPhys + r.offset;
      if (full) {
        for (let l = 0; l < r.lines; l += chunk) {
          const n = Math.min(chunk, r.lines - l);
          this.rd(base + l * r.stride, this.scratch, 0, n * r.stride, p.cpuMemType);
          bad += countBadLines(this.scratch, 0, this.ref, r.stride, n, frame, firstLine + l);
        }
      } else {
        bad += this.scanHeaders(base, r.stride, r.lines, frame, firstLine, p.cpuMemType);
        const l0 = (sampleRegionLine * chunk) % r.lines;
        const n = Math.min(chunk, r.lines - l0);
        this.rd(base + l0 * r.stride, this.scratch, 0, n * r.stride, p.cpuMemType);
        bad += countBadLines(this.scratch, 0, this.ref, r.stride, n, frame, firstLine + l0);
      }
      firstLine += r.lines;
    }
    this.rotor++;
    this.frames++;
    this.badLines += bad;
    if (bad > 0) this.framesCorrupt++;
  }
}

function headerOk(h: Uint8Array, frame: number, line: number, at: number): boolean {
  return (
    h[at] === LINE_MARKER &&
    h[at + 2] === (line & 0xff) &&
    h[at + 3] === ((line >>> 8) & 0xff) &&
    h[at + 4] === (frame & 0xff) &&
    h[at + 5] === ((frame >>> 8) & 0xff) &&
    h[at + 6] === ((frame >>> 16) & 0xff) &&
    h[at + 7] === ((frame >>> 24) & 0xff)
  );
}
