export { SocDmaPort } from './soc-port.ts';
export type { SocPortConfig, DeviceAccessTap } from './soc-port.ts';
export { allocPcmBuffer, cpuView } from './pcm-dma-buffer.ts';
export type { PcmBufferType } from './pcm-dma-buffer.ts';
export { createContigMemops, createSgMemops } from './vb2-dma-memops.ts';
