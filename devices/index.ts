// devices/: the PL330-like DMA engine, the FIMC-like camera with its vb2-like queue, I2S/PCM audio, the
// drivers that bind them to the public dma/ API, and the built-in scenarios.
export * from './common/index.ts';
export * from './pl330/index.ts';
export * from './camera/index.ts';
export * from './audio/index.ts';
export * from './drivers/index.ts';
export * from './scenarios/index.ts';
