// The memory behind a PCM ring as the PCM core sees it: the DMA address for the engine, CPU access for the
// application, and the syncs the ALSA core issues for non-coherent buffers (no-ops for coherent/WC ones).
// drivers/ implements it with the public dma/ API; tests may use a plain memory.

export interface PcmBuffer {
  readonly bytes: number;
  readonly dmaAddr: number;
  /** True when the ALSA core must sync (SNDRV_DMA_TYPE_NONCOHERENT). */
  readonly needsSync: boolean;
  /** Physical address of the CPU's view (for the trace recorder), when the memory is simulated DRAM. */
  readonly cpuPhys?: number;
  /** CPU write into the buffer; returns CPU cycles spent. */
  cpuWrite(off: number, src: Uint8Array, srcOff: number, len: number): number;
  /** CPU read from the buffer; returns CPU cycles spent. */
  cpuRead(off: number, dst: Uint8Array, dstOff: number, len: number): number;
  /** dma_sync_single_for_device(TO_DEVICE or FROM_DEVICE) over [off, off+len); returns CPU cycles. */
  syncForDevice(off: number, len: number, toDevice: boolean): number;
  /** dma_sync_single_for_cpu over [off, off+len); returns CPU cycles. */
  syncForCpu(off: number, len: number, toDevice: boolean): number;
  free(): void;
}
