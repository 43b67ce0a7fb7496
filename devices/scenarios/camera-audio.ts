import { appliedJit } from '../../emulator/host/index.ts';
import { PS_PER_MS, PS_PER_NS, PS_PER_S } from '../../emulator/kernel/index.ts';
import type { Ps } from '../../emulator/kernel/index.ts';
import { MemorySystem } from '../../soc/index.ts';
import type { Soc } from '../../soc/index.ts';
import { DmaAttr, IO_TLB_SEGSIZE, IO_TLB_SIZE } from '../../dma/index.ts';
import { createDmaMachine } from '../../dma/machine.ts';
import type { Device, Violation } from '../../dma/index.ts';
import { DeviceError } from '../common/bus-port.ts';
import { Pl330, Pl330DmaEngine } from '../pl330/index.ts';
import { Fimc } from '../camera/fimc.ts';
import { FimcCapture } from '../camera/fimc-capture.ts';
import { FrameConsumer } from '../camera/frame-consumer.ts';
import type { CpuReadFn } from '../camera/frame-consumer.ts';
import type { PixelFormat } from '../camera/formats.ts';
import { I2s } from '../audio/i2s.ts';
import { PcmStream } from '../audio/pcm.ts';
import { AudioApp } from '../audio/audio-app.ts';
import { SocDmaPort } from '../drivers/soc-port.ts';
import { allocPcmBuffer } from '../drivers/pcm-dma-buffer.ts';
import type { PcmBufferType } from '../drivers/pcm-dma-buffer.ts';
import { createContigMemops, createSgMemops } from '../drivers/vb2-dma-memops.ts';
import type { PcmBuffer } from '../audio/pcm-buffer.ts';
import type { ScenarioObserver } from './observer.ts';

/** Everything a scenario run can be told; every field has a stated default. */
export interface CameraAudioOptions {
  seconds?: number;
  strategy?: string;
  soc?: string;
  seed?: number;
  onProgress?: (simulatedSeconds: number, totalSeconds: number) => void;
  /** ARMv7 speculative line fills (soc SpeculationEngine): off by default, on to hunt coherency bugs. */
  speculation?: boolean;
  /** The coherency checker (stale-cpu-read etc.); default true. */
  checker?: boolean;
  /** Trace recorder and/or Perfetto timeline (traces/ScenarioTrace); default none (no cost). */
  observer?: ScenarioObserver;
  /** Camera: 1920×1080 NV12 at 30 fps by default. */
  camera?: {
    enabled?: boolean;
    width?: number;
    height?: number;
    format?: PixelFormat;
    fps?: number;
    buffers?: number;
    linesPerGroup?: number;
    verify?: 'full' | 'sampled';
    /** Bug variant: the driver skips the finish memop (sync_for_cpu). */
    skipFinish?: boolean;
    /** Bug variant: the consumer never requeues its buffers. */
    noRequeue?: boolean;
    /** MMAP buffers allocated with NO_KERNEL_MAPPING (coherent/wc strategies; default true: 4 × 3 MB exceed the 2 MB consistent remap area, the seed's reason for the attribute). */
    noKernelMapping?: boolean;
  };
  /** Audio: 48 kHz stereo S16 playback, 4 periods of 1024 frames by default. */
  audio?: {
    enabled?: boolean;
    sampleRate?: number;
    periodFrames?: number;
    periods?: number;
    /** 'playback' (default) or 'capture' (I2S RX → memory; the application reads and verifies each period). */
    direction?: 'playback' | 'capture';
    /** Starve the application from `atMs` for `forMs`. */
    stall?: { atMs: number; forMs: number };
  };
}

export interface ScenarioResult {
  scenario: string;
  soc: string;
  strategy: string;
  seed: number;
  simulatedNs: number;
  hostMs: number;
  frames: number;
  framesDropped: number;
  framesCorrupt: number;
  periods: number;
  xruns: number;
  violations: Violation[];
  stats: Record<string, unknown>;
}

/** Device parameters not in the SoC preset (REFERENCE §1); stated as assumptions in the report. */
export const DEVICE_DEFAULTS = {
  pdma0: { widthBytes: 4, mfifoBytes: 32 * 4, channels: 8, maxOutstanding: 4, peripheralAccessPs: 40 * PS_PER_NS, memcpyBurstLen: 4 },
  /** The memory-to-memory controller (not used by this scenario; its parameters for memcpy users). */
  mdma1: { widthBytes: 8, mfifoBytes: 64 * 8, channels: 8, maxOutstanding: 8, memcpyBurstLen: 8 },
  fimcPort: { widthBytes: 8, maxBurstBeats: 16, maxOutstanding: 8, burstGroup: 4 },
  i2s0: { fifoWords: 64, txPeriph: 12, rxPeriph: 11, txFifoAddr: 0x0383_0010, rxFifoAddr: 0x0383_0014 },
  /** CPU cycles of an interrupt entry/exit plus the driver's handler, beyond the DMA API calls it makes. */
  irqCycles: 1500,
  cores: { irq: 0, camera: 1, audio: 2 },
} as const;

type BufferPolicy = 'streaming' | 'coherent' | 'wc';

export function runCameraAudio(opts: CameraAudioOptions = {}): ScenarioResult {
  const hostStart = performance.now();
  const seconds = opts.seconds ?? 2;
  if (!(seconds > 0 && seconds <= 3600)) throw new DeviceError(`camera-audio: seconds must be in (0, 3600], got ${seconds}`);
  const strategy = opts.strategy ?? 'direct';
  const socName = opts.soc ?? 'exynos4412';
  const seed = opts.seed ?? 1;
  const machine = createDmaMachine(socName, {
    seed,
    strategy,
    checker: opts.checker ?? checkerSupported(),
    ...(opts.speculation !== undefined ? { speculation: opts.speculation } : {}),
  });
  const soc: Soc = machine.soc;
  const sim = soc.sim;
  const sys = machine.sys;
  const iommuFor = (dev: Device) => (dev.ops.name.startsWith('iommu') ? machine.iommuOf(dev) : null);
  const policy: BufferPolicy = sys.strategy(strategy).buffers;
  const C = DEVICE_DEFAULTS.cores;
  const core = (i: number) => soc.cores[Math.min(i, soc.cores.length - 1)]!;
  const charge = (i: number, cycles: number): Ps => (cycles > 0 ? core(i).exec(Math.round(cycles)) : Math.max(sim.now, core(i).busyUntil));
  const runIrq = (handler: () => void) => {
    sys.core = C.irq;
    charge(C.irq, DEVICE_DEFAULTS.irqCycles);
    handler();
  };
  const obs = opts.observer ?? null;
  obs?.attach(machine, { scenario: 'camera-audio', soc: socName, strategy, seed });
  // With an observer, each device's interrupt is reported before its handler runs.
  const runIrqOf = (dev: Device) =>
    obs === null
      ? runIrq
      : (handler: () => void) => {
          sys.core = C.irq;
          const start = Math.max(sim.now, core(C.irq).busyUntil);
          const end = charge(C.irq, DEVICE_DEFAULTS.irqCycles);
          obs.interrupt(dev, C.irq, start, end - start);
          handler();
        };
  const cpuRead = (i: number, pa: number, dst: Uint8Array, off: number, len: number, type: Parameters<MemorySystem['cpuRead']>[5]): number => {
    if (obs === null) return soc.memory.cpuRead(i, pa, dst, off, len, type);
    const start = Math.max(sim.now, core(i).busyUntil);
    const c = soc.memory.cpuRead(i, pa, dst, off, len, type);
    obs.cpuAccess(i, pa, len, false, start, soc.cpuClock.cyclesToPs(c));
    return c;
  };

  // ---- camera ----
  const cam = opts.camera ?? {};
  let capture: FimcCapture | undefined;
  let consumer: FrameConsumer | undefined;
  let fimc: Fimc | undefined;
  let camPort: SocDmaPort | undefined;
  if (cam.enabled !== false) {
    const dev: Device = sys.addDevice({ name: '11800000.fimc', driver: 'exynos4-fimc', coherency: 'none' });
    camPort = new SocDmaPort(soc, dev, { name: 'fimc0', ...DEVICE_DEFAULTS.fimcPort }, iommuFor(dev));
    camPort.tap = obs;
    fimc = new Fimc(sim, camPort, {
      name: 'fimc0',
      format: cam.format ?? 'NV12',
      width: cam.width ?? 1920,
      height: cam.height ?? 1080,
      fps: cam.fps ?? 30,
      linesPerGroup: cam.linesPerGroup ?? 32,
    });
    const streaming = policy === 'streaming';
    const attrs = (policy === 'wc' ? DmaAttr.WRITE_COMBINE : 0) | ((cam.noKernelMapping ?? true) ? DmaAttr.NO_KERNEL_MAPPING : 0);
    // dma_max_mapping_size: swiotlb bounces at most IO_TLB_SEGSIZE slots per segment, so vb2 splits the
    // user pages into segments of that size (sg_alloc_table_from_pages_segment); others take one segment.
    const maxSegment = strategy === 'swiotlb' ? IO_TLB_SEGSIZE * IO_TLB_SIZE : 0;
    const memops = streaming ? createSgMemops(dev, null, maxSegment) : createContigMemops(dev, null, attrs);
    capture = new FimcCapture(fimc, memops, { skipFinish: cam.skipFinish ?? false, runIrq: runIrqOf(dev) });
    const nbuf = cam.buffers ?? 4;
    sys.core = C.camera;
    capture.queue.reqbufs(nbuf, streaming ? 'USERPTR' : 'MMAP');
    const userptrs: number[][] = [];
    if (streaming) {
      for (let i = 0; i < nbuf; i++) {
        userptrs.push(fimc.layout.planes.map((p) => {
          const pa = sys.memory.allocPages(p.size);
          if (pa < 0) throw new DeviceError(`camera-audio: no memory for a ${p.size}-B user buffer`);
          return pa;
        }));
      }
    }
    // The consumer reads ~100,000 times per simulated 2 s: without an observer, its reads and charges go
    // straight to the memory system and its core (one call each, no wrappers).
    const mem = soc.memory;
    const consumerCore = core(C.camera);
    const consumerRead: CpuReadFn =
      obs === null ? (pa, dst, off, len, type) => mem.cpuRead(C.camera, pa, dst, off, len, type) : (pa, dst, off, len, type) => cpuRead(C.camera, pa, dst, off, len, type);
    consumer = new FrameConsumer(sim, capture, consumerRead, {
      verify: cam.verify ?? 'sampled',
      requeue: !(cam.noRequeue ?? false),
      userptrs,
      beforeQbuf: () => (sys.core = C.camera),
      charge: (cycles) => (cycles > 0 ? consumerCore.exec(Math.round(cycles)) : Math.max(sim.now, consumerCore.busyUntil)),
      ...(obs === null ? { readStrided: (pa, stride, count, len, dst, dstOff, type) => mem.cpuReadStrided(C.camera, pa, stride, count, len, dst, dstOff, type) } : {}),
    });
    sys.core = C.camera;
    for (let i = 0; i < nbuf; i++) capture.queue.qbuf(i, streaming ? userptrs[i] : undefined);
  }

  // ---- audio ----
  const au = opts.audio ?? {};
  let pcm: PcmStream | undefined;
  let i2s: I2s | undefined;
  let app: AudioApp | undefined;
  let pdma: Pl330 | undefined;
  if (au.enabled !== false) {
    const P = DEVICE_DEFAULTS.pdma0;
    const dev: Device = sys.addDevice({ name: '12680000.pdma', driver: 'dma-pl330', coherency: 'none' });
    const port = new SocDmaPort(soc, dev, { name: 'pdma0', widthBytes: P.widthBytes, maxBurstBeats: 16, maxOutstanding: P.maxOutstanding }, iommuFor(dev));
    port.tap = obs;
    pdma = new Pl330(sim, port, { name: 'pdma0', channels: P.channels, mfifoBytes: P.mfifoBytes, maxOutstanding: P.maxOutstanding, peripheralAccessPs: P.peripheralAccessPs });
    const engine = new Pl330DmaEngine(pdma, { memcpyBurstLen: P.memcpyBurstLen, runIrq: runIrqOf(dev) });
    const I = DEVICE_DEFAULTS.i2s0;
    i2s = new I2s(sim, pdma, { name: 'i2s0', sampleRate: au.sampleRate ?? 48_000, frameBytes: 4, ...I });
    pdma.attachPeripheral(I.txPeriph, i2s.tx);
    pdma.attachPeripheral(I.rxPeriph, i2s.rx);
    const periodBytes = (au.periodFrames ?? 1024) * 4;
    const periods = au.periods ?? 4;
    const type: PcmBufferType = policy === 'streaming' ? 'NONCOHERENT' : policy === 'wc' ? 'DEV_WC' : 'DEV';
    const ring = allocPcmBuffer(soc, dev, C.audio, type, periodBytes * periods);
    const buf = obs === null ? ring : observedPcm(ring, obs, C.audio, () => Math.max(sim.now, core(C.audio).busyUntil), (c) => soc.cpuClock.cyclesToPs(c));
    pcm = new PcmStream(sim, engine.requestChannel(), i2s, buf, { direction: au.direction ?? 'playback', periodBytes, periods, burstLen: 1 });
    const stall = au.stall ? { atPs: au.stall.atMs * PS_PER_MS, forPs: au.stall.forMs * PS_PER_MS } : undefined;
    app = new AudioApp(sim, pcm, { ...(stall ? { stall } : {}), charge: (c) => charge(C.audio, c) - sim.now });
  }

  // ---- start: once the set-up work (allocation, zeroing, mapping, first syncs) is done on every core ----
  const t0 = Math.max(sim.now, ...soc.cores.map((c) => c.busyUntil));
  sim.scheduleAt(t0, () => {
    capture?.queue.streamon();
    sys.core = C.audio;
    app?.start();
  });

  // ---- run ----
  const span = Math.round(seconds * PS_PER_S);
  const end = t0 + span;
  const step = Math.min(span, 100 * PS_PER_MS);
  for (let t = t0 + step; ; t += step) {
    sim.run(Math.min(t, end));
    opts.onProgress?.((Math.min(t, end) - t0) / PS_PER_S, seconds);
    if (t >= end) break;
  }
  obs?.finish(end);
  machine.release();
  const hostMs = performance.now() - hostStart;

  // ---- results ----
  const report = soc.interconnect.report();
  const counter = (n: string) => (sim.stats.counter(n).value);
  const allStats = sim.stats.toJSON();
  const busBytes = report.masters.reduce((s, m) => s + m.bytes, 0);
  const master = (n: string) => report.masters.find((m) => m.name === n);
  const stats: Record<string, unknown> = {
    dmaApiCalls: counter('dma.calls'),
    dmaApiCycles: counter('dma.cycles'),
    dmaApiCpuMs: (counter('dma.cycles') / soc.cpuClock.hz) * 1e3,
    bytesCleaned: counter('dma.bytesCleaned'),
    bytesInvalidated: counter('dma.bytesInvalidated'),
    bytesFlushed: counter('dma.bytesFlushed'),
    bytesBounced: counter('dma.bytesBounced'),
    cpuBusyMs: soc.cores.map((c) => (c.busyCycles / soc.cpuClock.hz) * 1e3),
    busBytes,
    busBytesPerSec: busBytes / seconds,
    busUtilisation: busBytes / seconds / report.dram.peakBytesPerSec,
    dramUtilisation: soc.dramTiming.utilisation(end),
    dramRowHits: report.dram.rowHits,
    dramRowMisses: report.dram.rowMisses + report.dram.rowConflicts,
    // Payload bytes each device moved over its bus port (IOMMU table walks are counted on sysmmu-* masters).
    cameraDeviceBytes: master('fimc0')?.bytes ?? 0,
    audioDeviceBytes: master('pdma0')?.bytes ?? 0,
    cameraBusLatencyPs: master('fimc0')?.latencyPs ?? null,
    audioBusLatencyPs: master('pdma0')?.latencyPs ?? null,
    cameraBadLines: consumer?.badLines ?? 0,
    cameraFramesProduced: fimc?.framesProduced ?? 0,
    cameraGroupsOverflowed: fimc?.groupsOverflowed ?? 0,
    cameraConsumerCpuMs: consumer ? (consumer.cpuCycles / soc.cpuClock.hz) * 1e3 : 0,
    audioUnderrunWords: i2s?.txUnderrunWords ?? 0,
    audioWrongWords: i2s?.txWrongWords ?? 0,
    audioWordsPlayed: i2s?.txWordsPlayed ?? 0,
    audioOverrunWords: i2s?.rxOverrunWords ?? 0,
    audioBadCaptureBlocks: app?.badCaptureBlocks ?? 0,
    // IOTLB lookups of every IOMMU (iommu.<master>.tlb_hits/_misses) and the DRAM's traffic from all masters.
    iotlbHits: sumCounters(allStats, '.tlb_hits'),
    iotlbMisses: sumCounters(allStats, '.tlb_misses'),
    dramBytes: soc.dramTiming.bytesRead + soc.dramTiming.bytesWritten,
    audioAppCpuMs: app ? (app.cpuCycles / soc.cpuClock.hz) * 1e3 : 0,
    pl330BurstLatencyPs: pdma ? pdma.latency.summary() : null,
    realtimeFactor: (seconds * 1e3) / Math.max(hostMs, 1e-3),
    // How V8 compiled this process (a host fact beside the host time, like realtimeFactor).
    jit: appliedJit(),
    checker: machine.checker !== null,
    setupNs: Math.round(t0 / PS_PER_NS),
  };
  return {
    scenario: 'camera-audio',
    soc: socName,
    strategy,
    seed,
    simulatedNs: Math.round(span / PS_PER_NS),
    hostMs,
    frames: consumer?.frames ?? 0,
    framesDropped: fimc?.framesDropped ?? 0,
    framesCorrupt: consumer?.framesCorrupt ?? 0,
    periods: pcm?.periodsElapsed ?? 0,
    xruns: pcm?.xruns ?? 0,
    violations: [...sys.violations],
    stats,
  };
}

/** The PCM ring with its CPU accesses reported to the observer (the application's reads and writes). */
function observedPcm(ring: PcmBuffer, obs: ScenarioObserver, coreId: number, start: () => Ps, toPs: (cycles: number) => Ps): PcmBuffer {
  const pa = ring.cpuPhys;
  if (pa === undefined) return ring;
  return {
    bytes: ring.bytes,
    dmaAddr: ring.dmaAddr,
    needsSync: ring.needsSync,
    cpuPhys: pa,
    cpuWrite: (off, src, so, len) => {
      const t = start();
      const c = ring.cpuWrite(off, src, so, len);
      obs.cpuAccess(coreId, pa + off, len, true, t, toPs(c));
      return c;
    },
    cpuRead: (off, dst, d, len) => {
      const t = start();
      const c = ring.cpuRead(off, dst, d, len);
      obs.cpuAccess(coreId, pa + off, len, false, t, toPs(c));
      return c;
    },
    syncForDevice: (off, len, toDev) => ring.syncForDevice(off, len, toDev),
    syncForCpu: (off, len, toDev) => ring.syncForCpu(off, len, toDev),
    free: () => ring.free(),
  };
}

/** Sum of the iommu.* counters whose name ends with `suffix`. */
function sumCounters(all: Record<string, unknown>, suffix: string): number {
  let total = 0;
  for (const [name, v] of Object.entries(all)) if (name.startsWith('iommu.') && name.endsWith(suffix) && typeof v === 'number') total += v;
  return total;
}

/** True once the memory system can feed the coherency checker (MemorySystem.attachObserver). */
export function checkerSupported(): boolean {
  return typeof (MemorySystem.prototype as unknown as { attachObserver?: unknown }).attachObserver === 'function';
}

/** The strategies the DMA layer offers on this SoC (what `--strategy` accepts). */
export function availableStrategies(socName = 'exynos4412'): string[] {
  return createDmaMachine(socName, { seed: 1, checker: false }).sys.strategyNames();
}
