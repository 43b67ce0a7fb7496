import type { Ps } from '../../emulator/kernel/index.ts';
import { delayToPs, validateDramConfig } from './dram-timing-config.ts';
import type { DramTimingConfig } from './dram-timing-config.ts';

/** Indexes of DramTiming.io. */
export const DRAM_ARRIVE = 0;
export const DRAM_STEP = 1;
export const DRAM_END = 2;
const DRAM_SHARE_END = 3;
const DRAM_CHUNK = 4;
const DRAM_RANGE_END = 5;

/**
 * DRAM timing by reservation: no events, just "free at" times. Each port has a data bus free time;
 * each bank an open row, the time of its last ACTIVATE, the time it can take its next column command
 * and the end of its last write data. `service` walks a request chunk by chunk over the port
 * interleave, reserving those resources, and returns when the last data beat leaves the DRAM.
 *
 * Per chunk (one port, one bank):
 * - row hit: column command as soon as the bank is ready, data after CL (reads) or WL (writes);
 * - bank closed: ACTIVATE, then tRCD, then the column command;
 * - other row open: PRECHARGE no earlier than tRAS after its ACTIVATE and tWR after its last write
 *   data, then tRP, ACTIVATE, tRCD, column command;
 * - data waits for the port's data bus and occupies it ceil(bytes / burst) × burst time (a burst is the
 *   smallest transfer, as with BL8 on LPDDR2).
 * Refresh: an all-bank refresh starts at every multiple of tREFI, blocks the port for tRFC and closes
 * its rows; it is found analytically from the request time, not scheduled. Simplifications: a refresh
 * that would fall inside an already reserved data transfer is taken as postponed (controllers do
 * postpone), tRRD/tFAW/tWTR/tRTP are not modelled, and requests reserve in the order they are made.
 * Streaming runs (serviceBursts): a port's share is reserved in closed form over each range of bursts
 * that are all row hits within one refresh interval (closedFormBursts), and chunk by chunk only for the
 * bursts that open a row, take a refresh or cross a row end — with the same reservations, statistics
 * and times as one chunk at a time.
 */
export class DramTiming {
  readonly config: DramTimingConfig;
  /** Peak data rate over all ports, bytes per second. */
  readonly peakBytesPerSec: number;
  /** Physical-address stride that returns to the same port and bank with a different row. */
  readonly sameBankRowStrideBytes: number;

  // Statistics, read directly (plain numbers, updated without allocation).
  bytesRead = 0;
  bytesWritten = 0;
  rowHits = 0;
  /** Row misses: activations of a closed bank plus row conflicts. */
  rowMisses = 0;
  /** The subset of row misses that first had to precharge another open row. */
  rowConflicts = 0;
  refreshes = 0;
  /** Per port: ps its data bus carried data. */
  readonly busyPs: Float64Array;
  /**
   * Time registers of the allocation-free entry `serve` (ps values exceed V8's small integers, so passing
   * them as arguments or results would box each one): the caller writes arrival and step, `serve` writes
   * the end. Indexes: DRAM_ARRIVE, DRAM_STEP, DRAM_END (and three private ones for serve's own steps).
   */
  readonly io = new Float64Array(6);

  private readonly ports: number;
  private readonly banks: number;
  private readonly rowBytes: number;
  private readonly interleave: number;
  private readonly burstBytes: number;
  private readonly burstPs: Ps;
  private readonly tRCD: Ps;
  private readonly tRP: Ps;
  private readonly CL: Ps;
  private readonly WL: Ps;
  private readonly tRAS: Ps;
  private readonly tWR: Ps;
  private readonly tRFC: Ps;
  private readonly tREFI: Ps;
  // Reciprocals of the power-of-two geometry (validated): multiplying by them is exact, so floor(x * inv)
  // is floor(x / d) for every integer address below 2^53, without a float division or fmod per chunk.
  private readonly invInterleave: number;
  private readonly invPorts: number;
  private readonly invRowBytes: number;
  private readonly invBanks: number;
  // The same geometry as shifts, for addresses below 2^31 (int32 arithmetic).
  private readonly rowShift: number;
  private readonly bankShift: number;
  private readonly interleaveShift: number;
  private readonly portShift: number;
  /** Data time of one whole interleave chunk: ceil(interleave / burst) bursts. */
  private readonly chunkDataPs: Ps;

  // Results of locate() besides the bank index.
  private locRowIndex = 0;
  private locRow = 0;

  private readonly portFree: Float64Array;
  private readonly lastRefresh: Float64Array;
  private readonly openRow: Float64Array;
  private readonly activatedAt: Float64Array;
  private readonly bankReady: Float64Array;
  private readonly writeDataEnd: Float64Array;

  constructor(config: DramTimingConfig) {
    validateDramConfig(config);
    this.config = config;
    const hz = config.clockHz;
    this.ports = config.ports;
    this.banks = config.banks;
    this.rowBytes = config.rowBytes;
    this.interleave = config.portInterleaveBytes;
    this.invInterleave = 1 / this.interleave;
    this.invPorts = 1 / this.ports;
    this.invRowBytes = 1 / this.rowBytes;
    this.invBanks = 1 / this.banks;
    this.rowShift = Math.log2(this.rowBytes);
    this.bankShift = Math.log2(this.banks);
    this.interleaveShift = Math.log2(this.interleave);
    this.portShift = Math.log2(this.ports);
    this.burstBytes = config.portWidthBytes * config.burstLength;
    // A beat is 10^6 / MTps ps (1250 ps at 800 MT/s).
    this.burstPs = Math.round((config.burstLength * 1e6) / config.dataRateMTps);
    this.chunkDataPs = Math.ceil(this.interleave / this.burstBytes) * this.burstPs;
    this.tRCD = delayToPs(config.tRCD, hz, 'tRCD');
    this.tRP = delayToPs(config.tRP, hz, 'tRP');
    this.CL = delayToPs(config.CL, hz, 'CL');
    this.WL = delayToPs(config.WL, hz, 'WL');
    this.tRAS = delayToPs(config.tRAS, hz, 'tRAS');
    this.tWR = delayToPs(config.tWR, hz, 'tWR');
    this.tRFC = delayToPs(config.tRFC, hz, 'tRFC');
    this.tREFI = delayToPs(config.tREFI, hz, 'tREFI');
    this.peakBytesPerSec = config.ports * config.portWidthBytes * config.dataRateMTps * 1e6;
    this.sameBankRowStrideBytes = config.rowBytes * config.banks * config.ports;
    const nb = this.ports * this.banks;
    this.busyPs = new Float64Array(this.ports);
    this.portFree = new Float64Array(this.ports);
    this.lastRefresh = new Float64Array(this.ports);
    this.openRow = new Float64Array(nb).fill(-1);
    this.activatedAt = new Float64Array(nb);
    this.bankReady = new Float64Array(nb);
    this.writeDataEnd = new Float64Array(nb).fill(-Infinity);
  }

  /**
   * Reserves the DRAM for a request of `bytes` at `addr` arriving at the controller at `arrive` and
   * returns the time its last data beat completes. Chunks on different ports proceed in parallel.
   */
  service(addr: number, bytes: number, isWrite: boolean, arrive: Ps): Ps {
    return this.serviceBursts(addr, bytes, isWrite, arrive, bytes, 0);
  }

  /**
   * A run of back-to-back bursts of one master, reserved in one call: burst i covers
   * [addr + i·burstBytes, +burstBytes) (the last may be shorter) and arrives at arrive + i·stepPs. The
   * result equals one `service` call per burst in order (ports share no state, and within a port the
   * chunks are taken in address order either way); it returns the latest data end of them all.
   */
  serviceBursts(addr: number, bytes: number, isWrite: boolean, arrive: Ps, burstBytes: number, stepPs: Ps): Ps {
    const io = this.io;
    io[DRAM_ARRIVE] = arrive;
    io[DRAM_STEP] = stepPs;
    this.serve(addr, bytes, isWrite, burstBytes);
    return io[DRAM_END]!;
  }

  /** serviceBursts with the arrival and step in io[DRAM_ARRIVE], io[DRAM_STEP]; the end lands in io[DRAM_END]. */
  serve(addr: number, bytes: number, isWrite: boolean, burstBytes: number): void {
    const io = this.io;
    const addrEnd = addr + bytes;
    let firstChunk: number;
    let lastChunk: number;
    let firstInPort: number;
    let port: number;
    if (addrEnd <= 0x80000000) {
      // Shifts and masks while the request lies below 2^31 (the float path gives the same for any address).
      firstChunk = addr >>> this.interleaveShift;
      lastChunk = (addrEnd - 1) >>> this.interleaveShift;
      firstInPort = firstChunk >>> this.portShift;
      port = firstChunk & (this.ports - 1);
    } else {
      firstChunk = Math.floor(addr * this.invInterleave);
      lastChunk = Math.floor((addrEnd - 1) * this.invInterleave);
      firstInPort = Math.floor(firstChunk * this.invPorts);
      // `| 0`: a small non-negative integer, so the typed-array indexes are int32, not doubles.
      port = (firstChunk - firstInPort * this.ports) | 0;
    }
    if (lastChunk !== firstChunk || bytes > burstBytes) {
      this.serveSpan(addr, bytes, isWrite, burstBytes);
      return;
    }
    // One chunk in one burst (a CPU line, a peripheral word): one port, one bank. The most frequent
    // request, so this entry is kept small (V8 inlines it into the interconnect's reserve).
    io[DRAM_CHUNK] = io[DRAM_ARRIVE]!;
    this.serveChunk(port, firstInPort * this.interleave + (addr - firstChunk * this.interleave), bytes, isWrite);
    if (isWrite) this.bytesWritten += bytes;
    else this.bytesRead += bytes;
    io[DRAM_END] = io[DRAM_CHUNK]!;
  }

  /** serve() for a request over several chunks, or of several bursts: burst by burst, or port share by share. */
  private serveSpan(addr: number, bytes: number, isWrite: boolean, burstBytes: number): void {
    const io = this.io;
    const arrive = io[DRAM_ARRIVE]!;
    const stepPs = io[DRAM_STEP]!;
    const il = this.interleave;
    const invIl = this.invInterleave;
    const ports = this.ports;
    const firstChunk = Math.floor(addr * invIl);
    const addrEnd = addr + bytes;
    const lastChunk = Math.floor((addrEnd - 1) * invIl);
    const firstInPort = Math.floor(firstChunk * this.invPorts);
    // `| 0`: small non-negative integers, so the typed-array indexes below are int32, not doubles.
    const firstPort = (firstChunk - firstInPort * ports) | 0;
    let end = arrive;
    // Alignment tests by exact power-of-two reciprocals (no float modulo on the hot path).
    const chunkAligned = firstChunk * il === addr;
    const chunksPerBurst = burstBytes * invIl;
    if (bytes > burstBytes && (!chunkAligned || Math.floor(chunksPerBurst) !== chunksPerBurst)) {
      // Chunk and burst boundaries disagree (a chunk would hold parts of two bursts, or several bursts):
      // burst by burst.
      for (let off = 0, a = arrive; off < bytes; off += burstBytes, a += stepPs) {
        io[DRAM_ARRIVE] = a;
        io[DRAM_STEP] = 0;
        const n = Math.min(burstBytes, bytes - off);
        this.serve(addr + off, n, isWrite, n);
        if (io[DRAM_END]! > end) end = io[DRAM_END]!;
      }
      io[DRAM_END] = end;
      return;
    }
    // Whole chunks per burst, k per port on every port, and a request of whole chunks: a port's share of
    // the run is a run of bursts of its own (serveShare), where ranges of bursts may go in closed form.
    const k = chunksPerBurst * this.invPorts;
    const uniform = chunkAligned && Math.floor(bytes * invIl) * il === bytes && Math.floor(k) === k;
    // Ports share no state (each has its own data bus, banks and refresh), so each port's chunks are
    // taken together, in address order.
    for (let j = 0; j < ports; j++) {
      let c = firstChunk + j;
      if (c > lastChunk) break;
      let port = firstPort + j;
      let chunkInPort = firstInPort;
      if (port >= ports) {
        port -= ports;
        chunkInPort++;
      }
      const nChunks = Math.floor((lastChunk - c) * this.invPorts) + 1;
      if (uniform) {
        this.serveShare(port, chunkInPort * il, nChunks, k, isWrite);
        if (io[DRAM_SHARE_END]! > end) end = io[DRAM_SHARE_END]!;
        continue;
      }
      for (let m = 0; m < nChunks; m++, c += ports, chunkInPort++) {
        const chunkBase = c * il;
        const lo = c === firstChunk ? addr : chunkBase;
        const n = (c === lastChunk ? addrEnd : chunkBase + il) - lo;
        // The chunk's burst arrives stepPs after the previous burst.
        io[DRAM_CHUNK] = stepPs === 0 ? arrive : arrive + Math.floor((lo - addr) / burstBytes) * stepPs;
        this.serveChunk(port, chunkInPort * il + (lo - chunkBase), n, isWrite);
        if (io[DRAM_CHUNK]! > end) end = io[DRAM_CHUNK]!;
      }
    }
    if (isWrite) this.bytesWritten += bytes;
    else this.bytesRead += bytes;
    io[DRAM_END] = end;
  }

  /**
   * Chunks per port of each burst when a burst of `burstBytes` is a whole number k ≥ 1 of rounds of the
   * port interleave (burstBytes = k · interleave · ports), else 0. With k > 0, streams of such bursts from
   * burst-aligned addresses may use serveStream.
   */
  streamChunksPerPort(burstBytes: number): number {
    const k = burstBytes / (this.interleave * this.ports);
    return Number.isSafeInteger(k) && k >= 1 ? k : 0;
  }

  /**
   * serve() for the common streaming request, with the arrival and step in io as for serve: `addr` is a
   * multiple of the burst (k · interleave · ports bytes, k = streamChunksPerPort(burst) > 0) and `bytes` a
   * multiple of the interleave. Then the request starts on port 0 at port-local addr / ports and deals each
   * port k chunks per burst, so serve's alignment tests and chunk arithmetic are known in advance; the
   * reservations and the result are serve's. The caller guarantees the alignment (it knows its bursts)
   * and a request below 2^31 bytes (the interconnect's runs are at most MAX_BURST_GROUP × 4 KiB). Each
   * port's share starts at the same port-local address, so the bank, row and room in the row are found
   * once, and the usual share (row open, no refresh due) is reserved here in closed form without a call.
   */
  serveStream(addr: number, bytes: number, isWrite: boolean, k: number): void {
    const io = this.io;
    const ports = this.ports;
    // Exact: both are whole multiples of the power-of-two divisors.
    const local = addr * this.invPorts;
    // `| 0`: a run is at most MAX_BURST_GROUP × 4 KiB, so the chunk counts below are small integers (int32
    // arithmetic in the loop).
    const chunks = (bytes * this.invInterleave) | 0;
    const arrive = io[DRAM_ARRIVE]!;
    const stepPs = io[DRAM_STEP]!;
    let end = arrive;
    // Every port's share starts at the same port-local address: the same bank and row on each port, and
    // the same room left in that row. Found once for all ports.
    const bankInPort = this.locate(0, local);
    const row = this.locRow;
    const chunksInRow = (((this.locRowIndex + 1) * this.rowBytes - local) * this.invInterleave) | 0;
    const tREFI = this.tREFI;
    const lat = isWrite ? this.WL : this.CL;
    const chunkPs = this.chunkDataPs;
    for (let port = 0; port < ports && port < chunks; port++) {
      // Chunks port, port + ports, ... of the request are this port's.
      const nChunks = ((chunks - 1 - port) >> this.portShift) + 1;
      const b = port * this.banks + bankInPort;
      // The usual share: all of it in the open row, no refresh due before its last command. Then it is
      // closedFormBursts' range over the whole share (same formula, inline: no call, no locate per port);
      // any other share goes by serveShare, which finds the same or splits it.
      if (this.openRow[b] === row && nChunks <= chunksInRow) {
        const count = ((nChunks + k - 1) / k) | 0;
        const kLast = nChunks - (count - 1) * k;
        const ready = this.bankReady[b]!;
        let t = arrive > ready ? arrive : ready;
        let intervalEnd = Infinity;
        let refreshOk = true;
        if (tREFI > 0) {
          const last = this.lastRefresh[port]!;
          const refStart = last * tREFI;
          intervalEnd = refStart + tREFI;
          if (t >= intervalEnd || (last > 0 && t < refStart)) refreshOk = false;
          else if (last > 0 && t < refStart + this.tRFC) t = refStart + this.tRFC;
        }
        if (refreshOk) {
          const pf = this.portFree[port]!;
          const dataStart = t + lat > pf ? t + lat : pf;
          const byBus = dataStart + nChunks * chunkPs;
          const byArrival = arrive + (count - 1) * stepPs + lat + kLast * chunkPs;
          const dataEnd = byBus > byArrival ? byBus : byArrival;
          if (dataEnd - chunkPs - lat < intervalEnd) {
            this.bankReady[b] = dataEnd - lat;
            if (isWrite) this.writeDataEnd[b] = dataEnd;
            this.portFree[port] = dataEnd;
            this.busyPs[port] = this.busyPs[port]! + nChunks * chunkPs;
            this.rowHits += nChunks;
            if (dataEnd > end) end = dataEnd;
            continue;
          }
        }
      }
      this.serveShare(port, local, nChunks, k, isWrite);
      if (io[DRAM_SHARE_END]! > end) end = io[DRAM_SHARE_END]!;
    }
    if (isWrite) this.bytesWritten += bytes;
    else this.bytesRead += bytes;
    io[DRAM_END] = end;
  }

  /**
   * The bank index (port * banks + bank) of port-local address `local`; its row-sized block number and its
   * row go to locRowIndex and locRow (small integers: fields, not a result object).
   */
  private locate(port: number, local: number): number {
    let rowIndex: number;
    let row: number;
    if (local <= 0x7fffffff) {
      // Shifts while the address fits 31 bits (the float path below gives the same for any address).
      rowIndex = local >>> this.rowShift;
      row = rowIndex >>> this.bankShift;
    } else {
      rowIndex = Math.floor(local * this.invRowBytes);
      row = Math.floor(rowIndex * this.invBanks);
    }
    this.locRowIndex = rowIndex;
    this.locRow = row;
    return (port * this.banks + (rowIndex - row * this.banks)) | 0;
  }

  /**
   * One chunk of `n` bytes at port-local address `local` of `port`, arriving at io[DRAM_CHUNK]: waits for
   * its bank and any refresh, opens its row if needed, then takes the port's data bus. Its data end goes
   * to io[DRAM_CHUNK]. (Times stay in locals and registers: a ps argument or result would be boxed.)
   *
   * Refresh: an all-bank refresh starts at every multiple k·tREFI and blocks the port for tRFC; the
   * interval of the last one accounted for on the port is kept, so only a request in a later interval
   * counts the refreshes since (each precharged every bank). Row miss: ACTIVATE after tRP following a
   * PRECHARGE, itself no earlier than tRAS after the bank's ACTIVATE and tWR after its last write data.
   */
  private serveChunk(port: number, local: number, n: number, isWrite: boolean): void {
    const io = this.io;
    const arrive = io[DRAM_CHUNK]!;
    const b = this.locate(port, local);
    const row = this.locRow;
    const ready = this.bankReady[b]!;
    let t = arrive > ready ? arrive : ready;
    const tREFI = this.tREFI;
    const openRow = this.openRow;
    if (tREFI > 0) {
      const last = this.lastRefresh[port]!;
      let refStart = last * tREFI;
      let inInterval = last > 0 && t >= refStart && t < refStart + tREFI;
      if (!inInterval) {
        // k = floor(t / tREFI) is exact for integers below 2^53 - tREFI. Mostly t lies in the interval after
        // the last one accounted for, and k is last + 1 without a division.
        const next = refStart + tREFI;
        const k = t >= next && t < next + tREFI ? last + 1 : Math.floor(t / tREFI);
        if (k > 0) {
          if (k > last) {
            this.refreshes += k - last;
            this.lastRefresh[port] = k;
            // A few banks: an inlined loop beats a call into TypedArray.fill once per tREFI per port.
            for (let i = port * this.banks, end = i + this.banks; i < end; i++) openRow[i] = -1;
          }
          refStart = k * tREFI;
          inInterval = true;
        }
      }
      if (inInterval) {
        const refreshEnd = refStart + this.tRFC;
        if (t < refreshEnd) t = refreshEnd;
      }
    }
    let colCmd = t;
    if (openRow[b] === row) {
      this.rowHits++;
    } else {
      this.rowMisses++;
      let act = t;
      if (openRow[b]! >= 0) {
        this.rowConflicts++;
        let pre = t;
        const rasDone = this.activatedAt[b]! + this.tRAS;
        if (rasDone > pre) pre = rasDone;
        const wrDone = this.writeDataEnd[b]! + this.tWR;
        if (wrDone > pre) pre = wrDone;
        act = pre + this.tRP;
      }
      openRow[b] = row;
      this.activatedAt[b] = act;
      colCmd = act + this.tRCD;
    }
    const lat = isWrite ? this.WL : this.CL;
    const dataTime = n === this.interleave ? this.chunkDataPs : Math.ceil(n / this.burstBytes) * this.burstPs;
    let dataStart = colCmd + lat;
    const pf = this.portFree[port]!;
    if (pf > dataStart) dataStart = pf;
    const dataEnd = dataStart + dataTime;
    this.portFree[port] = dataEnd;
    // The next column command to this bank can follow this one by the burst time (back-to-back bursts).
    this.bankReady[b] = dataStart - lat + dataTime;
    if (isWrite) this.writeDataEnd[b] = dataEnd;
    this.busyPs[port] = this.busyPs[port]! + dataTime;
    io[DRAM_CHUNK] = dataEnd;
  }

  /**
   * One port's share of a uniform streaming run: `nChunks` whole chunks from port-local `local`, k per
   * burst, burst i arriving at io[DRAM_ARRIVE] + i·io[DRAM_STEP]. Ranges of bursts go in closed form
   * (closedFormBursts) as far as that is exact; a burst where it is not (a row to open, a refresh to take, a
   * row boundary inside the burst) goes chunk by chunk, and the closed form is tried again on the bursts
   * after it. The share's data end goes to io[DRAM_SHARE_END].
   */
  private serveShare(port: number, local: number, nChunks: number, k: number, isWrite: boolean): void {
    const io = this.io;
    const il = this.interleave;
    let end = io[DRAM_ARRIVE]!;
    let burst = 0;
    // Until every burst is served: burst · k < nChunks (a multiply, not the division of ceil(nChunks / k)).
    while (burst * k < nChunks) {
      const served = this.closedFormBursts(port, local + burst * k * il, burst, nChunks, k, isWrite);
      if (served > 0) {
        burst += served;
        if (io[DRAM_RANGE_END]! > end) end = io[DRAM_RANGE_END]!;
        continue;
      }
      const chunkArrive = io[DRAM_ARRIVE]! + burst * io[DRAM_STEP]!;
      for (let m = burst * k, mEnd = Math.min(nChunks, m + k); m < mEnd; m++) {
        io[DRAM_CHUNK] = chunkArrive;
        this.serveChunk(port, local + m * il, il, isWrite);
        if (io[DRAM_CHUNK]! > end) end = io[DRAM_CHUNK]!;
      }
      burst++;
    }
    io[DRAM_SHARE_END] = end;
  }

  /**
   * Closed form for the bursts of a share from burst `first` on (its chunks from port-local `local`), as
   * many as it is exact for; returns how many it served (0: none, nothing reserved), their data end in
   * io[DRAM_RANGE_END]. Exact while the bursts stay in one row that is already open and no refresh falls
   * due. Then every chunk is a row hit, the bank and the port's bus are free again exactly when the previous
   * chunk's data ends (bankReady = dataEnd − latency), and the first chunk starts its data at
   * S = max(bus free, command time + latency). Each burst's chunks take the bus back to back from
   * max(its arrival + latency, previous burst's end), which unrolls to: burst i ends at
   *   E_i = max(S + n_i·chunk, A_i + latency + k_i·chunk)
   * (n_i chunks from the first to the end of burst i, k_i in burst i; the other arrivals A_j add
   * j·(step − k·chunk), linear in j, so only the first and the last can give the maximum). A chunk's
   * command time is its data start minus the latency, so the last chunk of burst i commands at
   * E_i − chunk − latency: bursts qualify while that stays inside the current refresh interval.
   */
  private closedFormBursts(port: number, local: number, first: number, nChunks: number, k: number, isWrite: boolean): number {
    const b = this.locate(port, local);
    const rowIndex = this.locRowIndex;
    const row = this.locRow;
    if (this.openRow[b] !== row) return 0;
    // The bursts wholly in this row: all the rest of the share, or the whole bursts before the row ends.
    const chunksLeft = nChunks - first * k;
    const chunksInRow = ((rowIndex + 1) * this.rowBytes - local) * this.invInterleave;
    let count = Math.ceil(chunksLeft / k);
    let kLast = chunksLeft - (count - 1) * k;
    if (chunksInRow < chunksLeft) {
      count = Math.floor(chunksInRow / k);
      kLast = k;
      if (count === 0) return 0;
    }
    const io = this.io;
    const stepPs = io[DRAM_STEP]!;
    const arrive = io[DRAM_ARRIVE]! + first * stepPs;
    // The first chunk's command time and the refresh interval it falls in (as serveChunk finds them).
    const ready = this.bankReady[b]!;
    let t = arrive > ready ? arrive : ready;
    let intervalEnd = Infinity;
    const tREFI = this.tREFI;
    if (tREFI > 0) {
      const last = this.lastRefresh[port]!;
      const refStart = last * tREFI;
      intervalEnd = refStart + tREFI;
      // A refresh due first, or a command before the interval already accounted for: serveChunk's cases.
      if (t >= intervalEnd || (last > 0 && t < refStart)) return 0;
      const blockEnd = last > 0 ? refStart + this.tRFC : 0;
      if (t < blockEnd) t = blockEnd;
    }
    const lat = isWrite ? this.WL : this.CL;
    const chunkPs = this.chunkDataPs;
    const pf = this.portFree[port]!;
    const dataStart = t + lat > pf ? t + lat : pf;
    let chunks = (count - 1) * k + kLast;
    let lastArrive = arrive + (count - 1) * stepPs;
    let dataEnd = Math.max(dataStart + chunks * chunkPs, lastArrive + lat + kLast * chunkPs);
    if (dataEnd - chunkPs - lat >= intervalEnd) {
      // The refresh falls due inside the range: keep the whole bursts i whose last chunk commands before
      // it, i.e. both terms of E_i − chunk − latency < intervalEnd (each bound on i is linear). The last
      // burst fails, so those kept are whole ones.
      const byBus = Math.ceil((intervalEnd - dataStart + chunkPs + lat) / (k * chunkPs)) - 1;
      const arrivalRoom = intervalEnd - arrive - (k - 1) * chunkPs;
      const byArrival = stepPs > 0 ? Math.ceil(arrivalRoom / stepPs) : arrivalRoom > 0 ? count : 0;
      count = Math.min(byBus, byArrival, count - 1);
      if (count <= 0) return 0;
      chunks = count * k;
      lastArrive = arrive + (count - 1) * stepPs;
      dataEnd = Math.max(dataStart + chunks * chunkPs, lastArrive + lat + k * chunkPs);
    }
    this.bankReady[b] = dataEnd - lat;
    if (isWrite) this.writeDataEnd[b] = dataEnd;
    this.portFree[port] = dataEnd;
    this.busyPs[port] = this.busyPs[port]! + chunks * chunkPs;
    this.rowHits += chunks;
    io[DRAM_RANGE_END] = dataEnd;
    return count;
  }

  /** Port that serves `addr`. */
  portOf(addr: number): number {
    return Math.floor(addr / this.interleave) % this.ports;
  }

  /** Bank (within its port) that serves `addr`. */
  bankOf(addr: number): number {
    return Math.floor(this.portLocal(addr) / this.rowBytes) % this.banks;
  }

  /** Row (within its bank) that serves `addr`. */
  rowOf(addr: number): number {
    return Math.floor(this.portLocal(addr) / (this.rowBytes * this.banks));
  }

  /** Fraction of the total port data-bus time that carried data over `elapsedPs`. */
  utilisation(elapsedPs: Ps): number {
    if (elapsedPs <= 0) return 0;
    let busy = 0;
    for (let p = 0; p < this.ports; p++) busy += this.busyPs[p]!;
    return busy / (this.ports * elapsedPs);
  }

  /** Plain-object snapshot of the statistics. */
  report(elapsedPs?: Ps): {
    bytesRead: number; bytesWritten: number; rowHits: number; rowMisses: number; rowConflicts: number;
    refreshes: number; busyPs: number[]; utilisation?: number; peakBytesPerSec: number;
  } {
    const r = {
      bytesRead: this.bytesRead, bytesWritten: this.bytesWritten, rowHits: this.rowHits, rowMisses: this.rowMisses,
      rowConflicts: this.rowConflicts, refreshes: this.refreshes, busyPs: Array.from(this.busyPs),
      peakBytesPerSec: this.peakBytesPerSec,
    };
    return elapsedPs === undefined ? r : { ...r, utilisation: this.utilisation(elapsedPs) };
  }

  private portLocal(addr: number): number {
    const il = this.interleave;
    const chunk = Math.floor(addr / il);
    return Math.floor(chunk / this.ports) * il + (addr % il);
  }
}
