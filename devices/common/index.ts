export { DeviceError } from './bus-port.ts';
export type { DmaBusPort, TransferSink } from './bus-port.ts';
export { FlatMemoryPort } from './flat-memory-port.ts';
