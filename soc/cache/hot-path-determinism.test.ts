import { describe, it, expect } from 'vitest';
import { createSoc } from '../soc.ts';
import type { Soc } from '../soc.ts';
import type { DataObserver } from './data-observer.ts';
import type { TransferDone } from '../interconnect/index.ts';

// Guard for host-speed work on the memory system's hot paths: a fixed mixed workload must give the
// digest recorded before any optimisation (simulated time, busy cycles, DRAM/cache contents, stats).
// A changed constant here means simulated behaviour changed — that is a bug, not a new baseline.

const MiB = 1024 * 1024;

/** FNV-1a over bytes, folded into a running 32-bit hash. */
function fnv(h: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

function fnvWords(h: number, words: Uint32Array): number {
  return fnv(h, new Uint8Array(words.buffer, words.byteOffset, words.byteLength));
}

function fnvString(h: number, s: string): number {
  return fnv(h, new TextEncoder().encode(s));
}

/** Counts every observer call and stamps increasing versions; folds the versions it is shown into a hash. */
class CountingObserver implements DataObserver {
  calls = 0;
  hash = 0x811c9dc5;
  private next = 1;
  cpuWriteVersion(): number {
    this.calls++;
    return this.next++;
  }
  cpuCopied(_c: number, pa: number, len: number, v: Uint32Array, off: number): void {
    this.calls++;
    this.hash = fnvWords(fnvString(this.hash, `cc${pa}/${len}`), v.subarray(off, off + len));
  }
  deviceWriteVersion(): number {
    this.calls++;
    return this.next++;
  }
  cpuRead(_c: number, pa: number, len: number, v: Uint32Array, off: number): void {
    this.calls++;
    this.hash = fnvWords(fnvString(this.hash, `cr${pa}/${len}`), v.subarray(off, off + len));
  }
  deviceRead(_m: string, pa: number, len: number, v: Uint32Array, off: number): void {
    this.calls++;
    this.hash = fnvWords(fnvString(this.hash, `dr${pa}/${len}`), v.subarray(off, off + len));
  }
  writeBack(la: number, len: number, inc: Uint32Array, inOff: number, ow: Uint32Array, owOff: number, level: string): void {
    this.calls++;
    this.hash = fnvWords(fnvString(this.hash, `wb${la}${level}`), inc.subarray(inOff, inOff + len));
    this.hash = fnvWords(this.hash, ow.subarray(owOff, owOff + len));
  }
  discardDirty(la: number, len: number, d: Uint32Array, dOff: number, m: Uint32Array, mOff: number, level: string): void {
    this.calls++;
    this.hash = fnvWords(fnvString(this.hash, `dd${la}${level}`), d.subarray(dOff, dOff + len));
    this.hash = fnvWords(this.hash, m.subarray(mOff, mOff + len));
  }
}

class Done implements TransferDone {
  ends = 0;
  onTransferDone(end: number): void {
    this.ends += end;
  }
}

/** The fixed workload; returns a digest string of everything it produced. */
function run(withObserver: boolean, preset = 'exynos4412', offset = 8 * MiB): { digest: string; observer: CountingObserver | null } {
  const soc: Soc = createSoc(preset, { seed: 7 });
  const ms = soc.memory;
  const observer = withObserver ? new CountingObserver() : null;
  if (observer !== null) ms.attachObserver(observer);
  const base = soc.preset.dram.base + offset;
  const exec = (core: number, cycles: number): void => void soc.cores[core]!.exec(cycles);
  const buf = new Uint8Array(256 * 1024);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 131 + (i >>> 9)) & 0xff;
  const rd = new Uint8Array(256 * 1024);
  let h = 0x811c9dc5;

  // CPU writes over 4 MiB from every core (L1 and L2 evictions), odd offsets and lengths included.
  for (let i = 0; i < 16; i++) exec(i & 3, ms.cpuWrite(i & 3, base + i * 256 * 1024 + (i * 37) % 64, buf, i, buf.length - 97 * i));
  // Reads back across cores (SCU transfers, shared lines), partial lines.
  for (let i = 0; i < 24; i++) {
    const core = (i + 1) & 3;
    const len = 4096 + i * 5003;
    exec(core, ms.cpuRead(core, base + i * 170_001, rd, 0, len));
    h = fnv(h, rd.subarray(0, len));
  }
  // Copies (4 KiB chunking), overlapping hot and cold data.
  for (let i = 0; i < 8; i++) exec(i & 3, ms.cpuCopy(i & 3, base + 5 * MiB + i * 200_000, base + i * 300_003, 150_000 + i * 1111));
  exec(2, ms.cpuFill(2, base + 6 * MiB + 3, 70_000, 0x5a));
  exec(1, ms.cpuChecksum(1, base + 5 * MiB, 300_000));
  h = fnvString(h, `sum${ms.lastChecksum}`);
  // Uncached, write-combine and device memory.
  exec(3, ms.cpuWrite(3, base + 7 * MiB, buf, 0, 5000, 'normal-nc'));
  exec(3, ms.cpuWrite(3, base + 7 * MiB + 8192, buf, 7, 3000, 'write-combine'));
  exec(3, ms.wmb(3));
  exec(0, ms.cpuRead(0, base + 7 * MiB, rd, 0, 9000, 'normal-nc'));
  h = fnv(h, rd.subarray(0, 9000));
  exec(0, ms.cpuRead(0, base + 7 * MiB + 64, rd, 0, 256, 'device'));
  h = fnv(h, rd.subarray(0, 256));
  // Device traffic in every coherency mode, then the DMA API maintenance around it.
  exec(0, ms.dmaPageCpuToDev(0, base + MiB, 200_000, 'TO_DEVICE'));
  ms.deviceRead('none', base + MiB, rd, 0, 200_000, 'dma0');
  h = fnv(h, rd.subarray(0, 200_000));
  ms.deviceRead('acp', base + 2 * MiB + 5, rd, 0, 100_000, 'dma1');
  h = fnv(h, rd.subarray(0, 100_000));
  ms.deviceRead('ace-lite', base + 3 * MiB + 77, rd, 0, 50_000, 'dma1');
  h = fnv(h, rd.subarray(0, 50_000));
  exec(1, ms.dmaPageCpuToDev(1, base + 2 * MiB + 1, 300_000, 'FROM_DEVICE'));
  ms.deviceWrite('none', base + 2 * MiB + 1, buf, 3, 200_000, 'dma0');
  ms.deviceWrite('acp', base + 3 * MiB + 33, buf, 11, 90_000, 'dma1');
  ms.deviceWrite('ace-lite', base + 4 * MiB + 9, buf, 5, 70_000, 'dma1');
  exec(1, ms.dmaPageDevToCpu(1, base + 2 * MiB + 1, 300_000, 'FROM_DEVICE'));
  exec(2, ms.dmaMapArea(2, base + 9 * MiB, 64 * 1024, 'BIDIRECTIONAL'));
  exec(2, ms.dmaUnmapArea(2, base + 9 * MiB, 64 * 1024, 'FROM_DEVICE'));
  exec(0, ms.outerCleanRange(base, 3 * MiB, 0));
  exec(0, ms.outerInvRange(base + 4 * MiB + 17, 100_000, 0));
  exec(3, ms.outerFlushRange(base + 5 * MiB, 2 * MiB, 3));
  exec(1, ms.l1FlushAll(1));
  exec(2, ms.l1InvAll(2));
  exec(0, ms.l1CleanRange(0, base, 40_000));
  exec(0, ms.prefetch(0, base + 10 * MiB, 8192));
  ms.evict(base + 5 * MiB, 512 * 1024);
  exec(3, ms.outerFlushAll(3));
  exec(3, ms.outerSync());

  // Timing path: two DMA masters and the CPU's atomic accesses competing for the DRAM.
  const ic = soc.interconnect;
  const m0 = ic.addMaster({ name: 'guard-dma0', widthBytes: 8, maxBurstBeats: 16, maxOutstanding: 4 });
  const m1 = ic.addMaster({ name: 'guard-dma1', widthBytes: 4, maxBurstBeats: 8, maxOutstanding: 2 });
  const done = new Done();
  for (let i = 0; i < 20; i++) {
    ic.transfer(i & 1 ? m1 : m0, base + i * 70_001, 3000 + i * 977, (i & 2) !== 0, done, i);
    ic.access(soc.cpuMaster, base + 11 * MiB + i * 4099, 32 + (i % 5) * 64, (i & 1) === 0, soc.sim.now + i * 1000);
  }
  soc.sim.run();
  // More CPU work after the bus has moved on in time.
  for (let i = 0; i < 4; i++) exec(i, ms.cpuRead(i, base + 12 * MiB + i * 65_536, rd, 0, 100_000));
  h = fnv(h, rd.subarray(0, 100_000));

  // Digest: DRAM, every cache's tags/state/data, the counters.
  const dram = new Uint8Array(16 * MiB);
  ms.peekDram(base, dram, 0, dram.length);
  h = fnv(h, dram);
  for (const c of [...ms.l1d, ms.l2.cache]) {
    h = fnv(h, c.state);
    h = fnv(h, new Uint8Array(c.tags.buffer));
    h = fnv(h, c.data);
  }
  const lineEvents = [0, 1, 100, 5000, 40_000, 80_000].map((k) => ms.history.query(base + k * 32));
  h = fnvString(h, JSON.stringify(lineEvents));
  const summary = JSON.stringify({
    now: soc.sim.now,
    busy: soc.cores.map((c) => [c.busyCycles, c.busyUntil]),
    mem: ms.report(),
    bus: ic.report(),
    stats: soc.sim.stats.toJSON(),
    ends: done.ends,
  });
  h = fnvString(h, summary);
  const vh = observer === null ? 0 : fnvString(observer.hash, `calls${observer.calls}`);
  return { digest: `${h.toString(16)}:${vh.toString(16)}:${soc.sim.now}:${soc.cores.map((c) => c.busyCycles).join(',')}`, observer };
}

describe('memory system hot-path determinism guard', () => {
  it('a fixed mixed workload gives the recorded digest', () => {
    expect(run(false).digest).toBe('e31b4ad2:0:46397613000:65091384,65146210,62822733,62877320');
  });

  it('the same workload with a version-plane observer attached gives the recorded digest', () => {
    const r = run(true);
    expect(r.observer!.calls).toBeGreaterThan(100);
    expect(r.digest).toBe('e31b4ad2:87c04d6a:46397613000:65091384,65146210,62822733,62877320');
  });

  it('the workload above 2^31 on the arm64 preset (2 GiB of DRAM) gives the recorded digest', () => {
    expect(run(true, 'arm64-64b', 0x4800_0000).digest).toBe('bb5fe4d7:870b271f:23461793000:42151833,40964094,39520082,40487786');
  });
});
