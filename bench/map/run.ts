// The simulated dma_map_benchmark: one DmaMachine (the preset, the strategy) with a benchmark device whose
// mask is `-b` bits, and `-t` kernel threads, each a Simulator process on a core (round-robin when there
// are more threads than cores). A thread owns its core for a whole loop and gives it up at the loop's end
// (cond_resched), so threads sharing a core take turns and never overlap. One loop: fill the buffer
// (memset 0x66 through the caches) unless FROM_DEVICE, time dma_map_single, busy-wait the transfer delay
// (ndelay), time dma_unmap_single. A call's latency is the simulated time the core spent in it: the cycles
// the DMA layer charged (overhead, cache maintenance, bounce copies, page-table writes, waiting for IOTLB
// invalidation). The run ends when `-s` simulated seconds have passed or every thread has done its
// iteration cap, whichever comes first.
import type { Ps, SimEvent } from '../../emulator/kernel/index.ts';
import { PS_PER_NS, PS_PER_S } from '../../emulator/kernel/index.ts';
import { createDmaMachine } from '../../dma/machine.ts';
import { dma_map_single, dma_unmap_single } from '../../dma/mapping.ts';
import { DMA_MAPPING_ERROR } from '../../dma/types.ts';
import type { DmaDirection } from '../../dma/types.ts';
import type { CpuCore } from '../../soc/cpu/cpu-core.ts';
import { Latency100ns } from './kernel-stats.ts';
import { MAP_BENCH_DIRECTIONS } from './options.ts';
import type { MapBenchOptions } from './options.ts';

/** The byte the kernel thread fills its buffer with (memset(buf, 0x66, size)). */
const FILL_BYTE = 0x66;
const DEVICE_NAME = 'dma-map-benchmark';

export interface MapBenchLatency {
  /** What the tool prints: avg_*_100ns / 10.0 and *_stddev / 10.0. */
  meanUs: number;
  stddevUs: number;
  /** The kernel's integer figures in 100 ns units. */
  mean100ns: number;
  stddev100ns: number;
  /** Untruncated mean in ns (sub-100-ns differences the tool's units hide). */
  exactMeanNs: number;
}

export interface MapBenchResult {
  options: MapBenchOptions;
  dirName: (typeof MAP_BENCH_DIRECTIONS)[number];
  /** Loops done by all threads together (the kernel's `loops`). */
  loops: number;
  /** Loops done by each thread. */
  loopsPerThread: number[];
  /** True when the iteration cap, not the simulated seconds, ended the run. */
  capped: boolean;
  /** Simulated time from the start until the last thread stopped, s. */
  simulatedSeconds: number;
  /** Threads that stopped on a failed dma_map_single (out of mask, no IOVA, …). */
  mapFailures: number;
  /** Threads that could not get their buffer (alloc_pages_exact failed: -ENOMEM). */
  allocFailures: number;
  map: MapBenchLatency;
  unmap: MapBenchLatency;
  /** Bytes the threads memset before mapping (0 for FROM_DEVICE), untimed in the latencies as in the kernel. */
  filledBytes: number;
  /** Kernel log lines of the run (pr_err of failed threads, the DMA layer's dev_warn …). */
  dmesg: string[];
}

/** A core given to one thread at a time, handed to the waiting threads in FIFO order. */
class CoreSlot {
  owner = -1;
  readonly waiters: { thread: number; ev: SimEvent<void> }[] = [];
}

function latencyOf(acc: Latency100ns, totalPs: number): MapBenchLatency {
  const { mean100ns, stddev100ns } = acc.summary();
  return {
    meanUs: mean100ns / 10,
    stddevUs: stddev100ns / 10,
    mean100ns,
    stddev100ns,
    exactMeanNs: acc.loops === 0 ? 0 : totalPs / acc.loops / PS_PER_NS,
  };
}

export function runMapBench(opts: MapBenchOptions): MapBenchResult {
  const machine = createDmaMachine(opts.soc, { seed: opts.seed, strategy: opts.strategy, checker: false, debug: false });
  const { soc, sys } = machine;
  const { sim, cores, memory, cpuClock } = soc;
  const dev = machine.addDevice({ name: DEVICE_NAME, driver: 'dma_map_benchmark', dmaMaskBits: opts.bits, coherency: opts.coherency });
  const dir = opts.dir as DmaDirection;
  const size = opts.granule * sys.params.pageSize;
  const endPs: Ps = opts.seconds * PS_PER_S;
  const delayPs: Ps = opts.delayNs * PS_PER_NS;
  let delayCycles = cpuClock.psToCycles(delayPs);
  if (cpuClock.cyclesToPs(delayCycles) < delayPs) delayCycles++;

  const slots = cores.map(() => new CoreSlot());
  const mapAcc = new Latency100ns();
  const unmapAcc = new Latency100ns();
  let mapPsTotal = 0;
  let unmapPsTotal = 0;
  const loopsPerThread = new Array<number>(opts.threads).fill(0);
  let lastStop: Ps = 0;
  let mapFailures = 0;
  let allocFailures = 0;
  let anyCapped = false;
  let filledBytes = 0;

  /** Waits until thread `t` owns the core and the core is idle. */
  function* acquire(slot: CoreSlot, core: CpuCore, t: number): Generator<Ps | SimEvent<void>, void> {
    if (slot.owner === -1) slot.owner = t;
    else if (slot.owner !== t) {
      const ev = sim.event<void>();
      slot.waiters.push({ thread: t, ev });
      yield ev;
    }
    if (core.busyUntil > sim.now) yield core.busyUntil - sim.now;
  }

  function release(slot: CoreSlot): void {
    const next = slot.waiters.shift();
    if (next === undefined) slot.owner = -1;
    else {
      slot.owner = next.thread;
      next.ev.succeed(undefined);
    }
  }

  /** Occupies the core for `cycles` and waits until they are done; returns the ps they took. */
  function* busy(core: CpuCore, cycles: number): Generator<Ps, Ps> {
    if (cycles <= 0) return 0;
    const start = core.startTime();
    core.exec(cycles);
    const took = core.busyUntil - start;
    yield core.busyUntil - sim.now;
    return took;
  }

  function* thread(t: number): Generator<Ps | SimEvent<void>, void> {
    const coreId = t % cores.length;
    const core = cores[coreId]!;
    const slot = slots[coreId]!;
    const buf = sys.memory.allocPages(size);
    if (buf < 0) {
      allocFailures++;
      sys.dmesg(null, `dma_map_benchmark: thread ${t}: alloc_pages_exact(${size}) failed: -ENOMEM`);
      return;
    }
    let loops = 0;
    for (;;) {
      yield* acquire(slot, core, t);
      if (sim.now >= endPs) break; // kthread_should_stop()
      if (loops >= opts.iterations) {
        anyCapped = true;
        break;
      }
      if (opts.dir !== 2) {
        filledBytes += size;
        yield* busy(core, memory.cpuFill(coreId, buf, size, FILL_BYTE));
      }

      sys.core = coreId;
      const mapStart = core.startTime();
      const violationsBefore = sys.violations.length;
      const handle = dma_map_single(dev, buf, size, dir);
      const mapPs = Math.max(0, core.busyUntil - mapStart);
      const refused = handle === DMA_MAPPING_ERROR || (sys.violations.length !== violationsBefore && sys.violations.slice(violationsBefore).some((v) => v.kind === 'out-of-mask'));
      if (refused) {
        // dma-direct returns DMA_MAPPING_ERROR for a buffer the mask cannot reach; our layer reports the
        // overflow instead, so undo the mapping (untimed) and stop the thread as the kernel's does.
        if (handle !== DMA_MAPPING_ERROR) dma_unmap_single(dev, handle, size, dir);
        mapFailures++;
        sys.dmesg(null, `dma_map_benchmark: dma_map_single failed on ${DEVICE_NAME}`);
        break;
      }
      if (mapPs > 0) yield core.busyUntil - sim.now;

      if (delayCycles > 0) yield* busy(core, delayCycles); // ndelay(dma_trans_ns) spins on the CPU

      sys.core = coreId;
      const unmapStart = core.startTime();
      dma_unmap_single(dev, handle, size, dir);
      const unmapPs = Math.max(0, core.busyUntil - unmapStart);
      if (unmapPs > 0) yield core.busyUntil - sim.now;

      mapAcc.add(mapPs);
      unmapAcc.add(unmapPs);
      mapPsTotal += mapPs;
      unmapPsTotal += unmapPs;
      loops++;
      loopsPerThread[t] = loops;
      release(slot); // cond_resched()
    }
    release(slot);
    sys.memory.freePages(buf);
    if (sim.now > lastStop) lastStop = sim.now;
  }

  for (let t = 0; t < opts.threads; t++) sim.process(thread(t));
  // The lazy flush queue's timer may still be pending after the threads stop; it runs (uncharged) and ends.
  sim.run();

  return {
    options: opts,
    dirName: MAP_BENCH_DIRECTIONS[opts.dir],
    loops: mapAcc.loops,
    loopsPerThread,
    capped: anyCapped,
    simulatedSeconds: lastStop / PS_PER_S,
    mapFailures,
    allocFailures,
    map: latencyOf(mapAcc, mapPsTotal),
    unmap: latencyOf(unmapAcc, unmapPsTotal),
    filledBytes,
    dmesg: [...sys.dmesgLog],
  };
}
