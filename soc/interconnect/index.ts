export { Interconnect, InterconnectError } from './interconnect.ts';
export type { MasterId, TransferDone, InterconnectConfig, MasterConfig, MasterReport } from './interconnect.ts';
