export { BLOCK_BYTES, blockFillWord, expectedWord, writeStream, countBadBlocks } from './sample-pattern.ts';
export { I2s } from './i2s.ts';
export type { I2sConfig } from './i2s.ts';
export type { PcmBuffer } from './pcm-buffer.ts';
export { PcmStream } from './pcm.ts';
export type { PcmConfig, PcmDirection } from './pcm.ts';
export { AudioApp } from './audio-app.ts';
export type { AudioAppOptions } from './audio-app.ts';
