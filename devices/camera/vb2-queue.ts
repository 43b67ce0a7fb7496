import { DeviceError } from '../common/bus-port.ts';

// A videobuf2-like buffer queue: REQBUFS / QBUF / DQBUF / STREAMON / STREAMOFF over pluggable memory ops,
// with vb2's ownership rules: a queued buffer belongs to the driver/device until it is done; `prepare` runs
// at every QBUF (cache maintenance for the device), `finish` when the driver marks the buffer done (back to
// the CPU), as vb2_buffer_done does.

export type Vb2Memory = 'MMAP' | 'USERPTR' | 'DMABUF_SG';
export type Vb2BufState = 'dequeued' | 'queued' | 'active' | 'done' | 'error';

/** One plane's memory as the memops see it. */
export interface Vb2Plane {
  /** DMA address the device writes. */
  dmaAddr: number;
  size: number;
  /** Physical address of the CPU's view (for reading the data back), null without a kernel/user mapping. */
  cpuPhys: number | null;
  /** Memory type the CPU reads the buffer with. */
  cpuMemType: 'normal-wb' | 'normal-nc' | 'write-combine' | 'device';
  /** Memops-private state (allocation record, sg table…). */
  priv: unknown;
}

/** The memory operations vb2 calls (vb2_mem_ops): allocation or user-pointer pinning, and the syncs. */
export interface Vb2MemOps {
  readonly name: string;
  alloc?(size: number): Vb2Plane;
  put?(plane: Vb2Plane): void;
  getUserptr?(userPhys: number, size: number): Vb2Plane;
  putUserptr?(plane: Vb2Plane): void;
  prepare(plane: Vb2Plane): void;
  finish(plane: Vb2Plane): void;
}

/** What the driver implements (vb2_ops). */
export interface Vb2Driver {
  /** Plane sizes for the current format (queue_setup). */
  planeSizes(): number[];
  /** A buffer is handed to the driver (buf_queue) while streaming. */
  bufQueue(buf: Vb2Buffer): void;
  startStreaming(): void;
  /** Must return every active buffer through bufferDone before returning (stop_streaming). */
  stopStreaming(): void;
}

export interface Vb2Buffer {
  readonly index: number;
  state: Vb2BufState;
  planes: Vb2Plane[];
  /** Frame sequence number set by the driver at done time. */
  sequence: number;
  /** User pointers of USERPTR planes (re-pinned only when they change). */
  userptrs: number[];
}

export interface Vb2QueueOptions {
  /** Skip the finish (sync_for_cpu) memop: the buggy-driver variant (as NO_CACHE_INVALIDATE misused). */
  skipFinish?: boolean;
  /** Smallest number of queued buffers before streaming starts (min_buffers_needed). */
  minBuffersNeeded?: number;
}

export class Vb2Queue {
  memory: Vb2Memory | null = null;
  streaming = false;
  readonly buffers: Vb2Buffer[] = [];
  private doneList: Vb2Buffer[] = [];
  private queuedBeforeStream: Vb2Buffer[] = [];
  private started = false;

  constructor(
    readonly name: string,
    private readonly driver: Vb2Driver,
    private readonly memops: Vb2MemOps,
    private readonly opts: Vb2QueueOptions = {},
  ) {}

  /** VIDIOC_REQBUFS: (re)allocates `count` buffers; 0 frees them all. Returns the number allocated. */
  reqbufs(count: number, memory: Vb2Memory): number {
    if (this.streaming) throw new DeviceError(`${this.name}: REQBUFS while streaming (EBUSY)`);
    if (!Number.isInteger(count) || count < 0 || count > 32) throw new DeviceError(`${this.name}: REQBUFS count must be 0..32, got ${count}`);
    for (const b of this.buffers) this.releasePlanes(b);
    this.buffers.length = 0;
    this.doneList = [];
    this.queuedBeforeStream = [];
    this.memory = count === 0 ? null : memory;
    if (count === 0) return 0;
    const sizes = this.driver.planeSizes();
    for (let i = 0; i < count; i++) {
      const b: Vb2Buffer = { index: i, state: 'dequeued', planes: [], sequence: -1, userptrs: [] };
      if (memory === 'MMAP') {
        if (!this.memops.alloc) throw new DeviceError(`${this.name}: memops ${this.memops.name} cannot allocate MMAP buffers`);
        for (const s of sizes) b.planes.push(this.memops.alloc(s));
      } else if (!this.memops.getUserptr) {
        throw new DeviceError(`${this.name}: memops ${this.memops.name} cannot take USERPTR buffers`);
      }
      this.buffers.push(b);
    }
    return count;
  }

  /** VIDIOC_QBUF. For USERPTR, `userptrs` gives each plane's user memory (physical address here). */
  qbuf(index: number, userptrs?: number[]): void {
    const b = this.buffer(index, 'QBUF');
    if (b.state !== 'dequeued') throw new DeviceError(`${this.name}: QBUF of buffer ${index} in state ${b.state} (EINVAL)`);
    if (this.memory !== 'MMAP') {
      const sizes = this.driver.planeSizes();
      if (!userptrs || userptrs.length !== sizes.length) {
        throw new DeviceError(`${this.name}: QBUF ${this.memory} buffer ${index} needs ${sizes.length} plane pointer(s)`);
      }
      const changed = userptrs.some((p, i) => p !== b.userptrs[i]);
      if (changed) {
        this.releasePlanes(b);
        b.planes = userptrs.map((p, i) => this.memops.getUserptr!(p, sizes[i]!));
        b.userptrs = [...userptrs];
      }
    }
    for (const p of b.planes) this.memops.prepare(p);
    b.state = 'queued';
    if (this.started) {
      b.state = 'active';
      this.driver.bufQueue(b);
    } else this.queuedBeforeStream.push(b);
    if (this.streaming && !this.started) this.maybeStart();
  }

  /** VIDIOC_DQBUF: the oldest done buffer, or null (EAGAIN) when none is ready. */
  dqbuf(): Vb2Buffer | null {
    const b = this.doneList.shift();
    if (!b) return null;
    b.state = 'dequeued';
    return b;
  }

  get doneCount(): number {
    return this.doneList.length;
  }

  streamon(): void {
    if (this.memory === null) throw new DeviceError(`${this.name}: STREAMON without buffers (REQBUFS first)`);
    if (this.streaming) return;
    this.streaming = true;
    this.maybeStart();
  }

  streamoff(): void {
    if (!this.streaming) return;
    this.streaming = false;
    if (this.started) this.driver.stopStreaming();
    this.started = false;
    for (const b of this.buffers) {
      if (b.state === 'active') throw new DeviceError(`${this.name}: driver left buffer ${b.index} active after stop_streaming`);
      b.state = 'dequeued';
    }
    this.doneList = [];
    this.queuedBeforeStream = [];
  }

  /** vb2_buffer_done: the driver hands a buffer back (finish memop per plane, unless the bug variant skips it). */
  bufferDone(b: Vb2Buffer, state: 'done' | 'error', sequence: number): void {
    if (b.state !== 'active') throw new DeviceError(`${this.name}: buffer_done of buffer ${b.index} in state ${b.state}`);
    if (!this.opts.skipFinish) for (const p of b.planes) this.memops.finish(p);
    b.state = state;
    b.sequence = sequence;
    this.doneList.push(b);
  }

  private maybeStart(): void {
    if (this.queuedBeforeStream.length < (this.opts.minBuffersNeeded ?? 1)) return;
    this.started = true;
    const q = this.queuedBeforeStream;
    this.queuedBeforeStream = [];
    for (const b of q) {
      b.state = 'active';
      this.driver.bufQueue(b);
    }
    this.driver.startStreaming();
  }

  private buffer(index: number, what: string): Vb2Buffer {
    const b = this.buffers[index];
    if (!b) throw new DeviceError(`${this.name}: ${what} index ${index} out of range (have ${this.buffers.length} buffers)`);
    return b;
  }

  private releasePlanes(b: Vb2Buffer): void {
    for (const p of b.planes) {
      if (this.memory === 'MMAP') this.memops.put?.(p);
      else this.memops.putUserptr?.(p);
    }
    b.planes = [];
    b.userptrs = [];
  }
}
