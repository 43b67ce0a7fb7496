export { Interconnect, InterconnectError, MAX_BURST_GROUP } from './interconnect.ts';
export type { MasterId, TransferDone, InterconnectConfig, MasterConfig, MasterReport } from './interconnect.ts';
