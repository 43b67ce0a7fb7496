// A NIC-like driver: an RX ring of kmalloc'd skb buffers mapped FROM_DEVICE (the device writes a packet, the
// driver unmaps, the stack reads it, a fresh buffer is mapped in its place) and TX of kmalloc'd skbs
// mapped TO_DEVICE (the stack writes, the driver maps, the device reads, TX completion unmaps). Under the
// coherent/wc strategies the driver instead allocates both rings with dma_alloc_coherent/_wc and copies
// packets in and out, as copy-based MACs (e.g. ethoc) do: kmalloc memory itself can never be coherent.
import { DmaDirection } from '../../dma/index.ts';
import type { CoherentBuffer, MemType } from '../../dma/index.ts';
import { dma_alloc_coherent, dma_alloc_wc, dma_free_coherent, dma_free_wc, dma_map_single, dma_mapping_error, dma_unmap_single } from '../../dma/mapping.ts';
import { PS_PER_NS } from '../../emulator/kernel/index.ts';
import type { RawCounts } from './metrics.ts';
import { advanceTo, countsOf, deviceTransfer, createDriverRig, NOISE_BYTES, sameBytes } from './driver-machine.ts';
import type { DriverRig } from './driver-machine.ts';

/** Driver parameters (assumptions, stated in docs/benchmarks.md). */
export const NIC_PARAMS = {
  rxRing: 64,
  /** The mapped RX length: a full 1500-B frame plus headers, in a kmalloc-2048 skb head. */
  rxMapBytes: 1536,
  rxAllocBytes: 2048,
  /** Coherent rings: one 2 KiB slot per descriptor. */
  slotBytes: 2048,
  /** 1 Gbit/s line rate: the time a packet takes on the wire paces the loop. */
  linePsPerByte: 8 * PS_PER_NS,
  /** Per-packet overhead on the wire (preamble, FCS, inter-frame gap). */
  wireOverheadBytes: 24,
} as const;

/** An IMIX-like size: 7 parts 64 B, 4 parts 576 B, 1 part 1500 B, plus a uniform 64..1500 B tail (1 in 4). */
export function packetSize(rng: DriverRig['rng']): number {
  if (rng.int(4) === 0) return 64 + rng.int(1500 - 64 + 1);
  const k = rng.int(12);
  return k < 7 ? 64 : k < 11 ? 576 : 1500;
}

export function runNicWorkload(strategy: string, soc: string, seed: number, packets: number): RawCounts {
  const rig = createDriverRig('nic0', 'nic-like', strategy, soc, seed);
  const policy = rig.machine.sys.strategy(strategy).buffers;
  return policy === 'streaming' ? runStreaming(rig, strategy, packets) : runCopying(rig, strategy, packets, policy);
}

function wirePs(size: number): number {
  return (size + NIC_PARAMS.wireOverheadBytes) * NIC_PARAMS.linePsPerByte;
}

function runStreaming(rig: DriverRig, strategy: string, packets: number): RawCounts {
  const { machine, dev, rng, noise } = rig;
  const { sys, sim } = machine;
  const kmalloc = sys.memory.kmalloc;
  const P = NIC_PARAMS;
  const rx: Array<{ buf: number; handle: number }> = [];
  const mapRx = (): { buf: number; handle: number } => {
    const buf = kmalloc.kmalloc(P.rxAllocBytes);
    if (buf < 0) throw new RangeError('bench nic: kmalloc failed for an RX buffer');
    const handle = dma_map_single(dev, buf, P.rxMapBytes, DmaDirection.FROM_DEVICE);
    if (dma_mapping_error(dev, handle)) throw new RangeError(`bench nic: mapping an RX buffer failed under ${strategy}`);
    return { buf, handle };
  };
  for (let i = 0; i < P.rxRing; i++) rx.push(mapRx());
  const scratch = new Uint8Array(P.rxMapBytes);
  let moved = 0;
  let corrupt = 0;
  for (let n = 0; n < packets; n++) {
    const t0 = sim.now;
    // ---- RX: the device fills the next descriptor's buffer ----
    const size = packetSize(rng);
    const src = noise.subarray(rng.int(NOISE_BYTES - size), NOISE_BYTES);
    const slot = rx[n % P.rxRing]!;
    deviceTransfer(rig, slot.handle, src, 0, size, true);
    dma_unmap_single(dev, slot.handle, P.rxMapBytes, DmaDirection.FROM_DEVICE);
    sys.platform.cpuRead(0, slot.buf, scratch, 0, size, 'normal-wb');
    if (!sameBytes(scratch, src, size)) corrupt++;
    kmalloc.kfree(slot.buf);
    rx[n % P.rxRing] = mapRx();
    // ---- TX: the stack hands the driver a freshly written skb ----
    const txSize = packetSize(rng);
    const txSrc = noise.subarray(rng.int(NOISE_BYTES - txSize), NOISE_BYTES);
    const skb = kmalloc.kmalloc(txSize);
    if (skb < 0) throw new RangeError('bench nic: kmalloc failed for a TX skb');
    sys.platform.cpuWrite(0, skb, txSrc, 0, txSize, 'normal-wb');
    const h = dma_map_single(dev, skb, txSize, DmaDirection.TO_DEVICE);
    if (dma_mapping_error(dev, h)) throw new RangeError(`bench nic: mapping a TX skb failed under ${strategy}`);
    deviceTransfer(rig, h, scratch, 0, txSize, false);
    if (!sameBytes(scratch, txSrc, txSize)) corrupt++;
    dma_unmap_single(dev, h, txSize, DmaDirection.TO_DEVICE);
    kmalloc.kfree(skb);
    moved += size + txSize;
    advanceTo(rig, t0 + Math.max(wirePs(size), wirePs(txSize)));
  }
  for (const slot of rx) {
    dma_unmap_single(dev, slot.handle, P.rxMapBytes, DmaDirection.FROM_DEVICE);
    kmalloc.kfree(slot.buf);
  }
  advanceTo(rig, sim.now + 20_000_000 * PS_PER_NS); // 20 ms: lazy IOMMU flush queues drain
  return countsOf(rig, strategy, moved, corrupt);
}

function runCopying(rig: DriverRig, strategy: string, packets: number, policy: 'coherent' | 'wc'): RawCounts {
  const { machine, dev, rng, noise } = rig;
  const { sys, sim } = machine;
  const P = NIC_PARAMS;
  const bytes = P.rxRing * P.slotBytes;
  const alloc = (): CoherentBuffer => {
    const b = policy === 'wc' ? dma_alloc_wc(dev, bytes) : dma_alloc_coherent(dev, bytes);
    if (b === null) throw new RangeError(`bench nic: dma_alloc_${policy === 'wc' ? 'wc' : 'coherent'} of ${bytes} bytes failed`);
    return b;
  };
  const rxRing = alloc();
  const txRing = alloc();
  const type: MemType = policy === 'wc' ? 'write-combine' : 'normal-nc';
  const scratch = new Uint8Array(P.slotBytes);
  let moved = 0;
  let corrupt = 0;
  for (let n = 0; n < packets; n++) {
    const t0 = sim.now;
    const off = (n % P.rxRing) * P.slotBytes;
    const size = packetSize(rng);
    const src = noise.subarray(rng.int(NOISE_BYTES - size), NOISE_BYTES);
    deviceTransfer(rig, rxRing.dmaHandle + off, src, 0, size, true);
    sys.platform.cpuRead(0, rxRing.phys + off, scratch, 0, size, type);
    if (!sameBytes(scratch, src, size)) corrupt++;
    const txSize = packetSize(rng);
    const txSrc = noise.subarray(rng.int(NOISE_BYTES - txSize), NOISE_BYTES);
    sys.platform.cpuWrite(0, txRing.phys + off, txSrc, 0, txSize, type);
    machine.soc.memory.wmb(0); // the driver's wmb() before ringing the doorbell drains the write-combine buffer
    deviceTransfer(rig, txRing.dmaHandle + off, scratch, 0, txSize, false);
    if (!sameBytes(scratch, txSrc, txSize)) corrupt++;
    moved += size + txSize;
    advanceTo(rig, t0 + Math.max(wirePs(size), wirePs(txSize)));
  }
  const counts = countsOf(rig, strategy, moved, corrupt);
  const free = policy === 'wc' ? dma_free_wc : dma_free_coherent;
  free(dev, bytes, rxRing.cpuAddr, rxRing.dmaHandle);
  free(dev, bytes, txRing.cpuAddr, txRing.dmaHandle);
  return counts;
}
