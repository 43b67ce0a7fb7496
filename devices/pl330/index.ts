export { Op, Reg, Cond, OP_BYTES, MAX_BURST_BEATS, MAX_LOOP_ITERATIONS, MAX_LOOP_BODY_BYTES, PERIPHERALS, EVENTS, encodeCcr, decodeCcr, srcBurstBytes, dstBurstBytes } from './isa.ts';
export type { OpCode, RegName, CondCode, ChannelControl } from './isa.ts';
export { Pl330Assembler } from './assembler.ts';
export { emitRepeated, memcpyProgram, peripheralProgram } from './programs.ts';
export type { MemcpyProgramOptions, PeripheralProgramOptions } from './programs.ts';
export { Pl330, Pl330Channel } from './pl330.ts';
export type { Pl330Config, PeripheralEndpoint, ChannelState } from './pl330.ts';
export { Pl330DmaEngine, DmaChan } from './dmaengine.ts';
export type { SlaveConfig, SgSegment, DmaDescriptor, EngineOptions, TransferDirection, TxStatus } from './dmaengine.ts';
