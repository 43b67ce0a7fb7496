import type { Ps } from '../../emulator/kernel/index.ts';

/** A DRAM timing parameter: nanoseconds, or cycles of the DRAM clock (as datasheets give them). */
export type DramDelay = { readonly ns: number } | { readonly cycles: number };

/**
 * Geometry and timing of a DRAM controller and its devices.
 *
 * Address mapping (the default, "row:bank:column:port"): the physical address is cut into
 * `portInterleaveBytes` chunks dealt round-robin to the ports (chunk k goes to port k mod ports), so a
 * sequential stream keeps every port busy. Within a port, the port-local address (the chunks it owns,
 * packed) splits into column = low log2(rowBytes) bits, bank = the next log2(banks) bits, row = the rest.
 * So consecutive rows of a sequential stream land in successive banks, and the stride that returns to
 * the same bank of the same port with a new row is rowBytes × banks × ports.
 */
export interface DramTimingConfig {
  readonly name: string;
  /** Independent channels (ports), each with its own data bus and banks. */
  readonly ports: number;
  readonly portWidthBytes: number;
  /** Data transfers per second per pin, in millions (DDR: twice the clock). */
  readonly dataRateMTps: number;
  /** The DRAM clock, for parameters given in cycles. */
  readonly clockHz: number;
  readonly banks: number;
  /** Bytes of one row (page) of one bank of one port: 2^columnBits × portWidthBytes. */
  readonly rowBytes: number;
  /** Granularity of port interleaving, bytes (power of two). */
  readonly portInterleaveBytes: number;
  /** Beats per burst; the minimum data transfer on a port is one burst. */
  readonly burstLength: number;
  /** ACTIVATE to READ/WRITE. */
  readonly tRCD: DramDelay;
  /** PRECHARGE (all-bank for LPDDR2 tRPab) to ACTIVATE. */
  readonly tRP: DramDelay;
  /** Read latency (CL / RL): READ command to first data. */
  readonly CL: DramDelay;
  /** Write latency (WL): WRITE command to first data. */
  readonly WL: DramDelay;
  /** ACTIVATE to PRECHARGE minimum. */
  readonly tRAS: DramDelay;
  /** Write recovery: end of write data to PRECHARGE. */
  readonly tWR: DramDelay;
  /** Refresh cycle time: the port is blocked this long per refresh. */
  readonly tRFC: DramDelay;
  /** Average refresh interval. */
  readonly tREFI: DramDelay;
}

/**
 * Exynos4412-class LPDDR2 (REFERENCE.md §1): 400 MHz clock, 800 MT/s, two 32-bit ports = 6.4 GB/s peak,
 * 8 banks, 10 column bits × 4 bytes = 4 KiB rows per port, BL8, RL 6 and WL 3 cycles, tRCD 18 ns,
 * tRPab 21 ns, tWR 15 ns, tRAS 42 ns, tRFCab 130 ns.
 * Assumptions: tREFI 3.9 µs is the LPDDR2 standard value (JESD209-2), not a measured Exynos value;
 * WL 3 is the JESD209-2 value for RL 6; the 32-byte port interleave (one BL8 burst) is assumed — the
 * Exynos4 DMC "interleaved chips" setting was not decoded at that granularity.
 */
export const lpddr2_800_2x32: DramTimingConfig = {
  name: 'lpddr2_800_2x32',
  ports: 2,
  portWidthBytes: 4,
  dataRateMTps: 800,
  clockHz: 400_000_000,
  banks: 8,
  rowBytes: 1024 * 4,
  portInterleaveBytes: 32,
  burstLength: 8,
  tRCD: { ns: 18 },
  tRP: { ns: 21 },
  CL: { cycles: 6 },
  WL: { cycles: 3 },
  tRAS: { ns: 42 },
  tWR: { ns: 15 },
  tRFC: { ns: 130 },
  tREFI: { ns: 3900 },
};

/** A DramTimingConfig that cannot describe a DRAM (zero ports, non-power-of-two geometry, ...). */
export class DramConfigError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'DramConfigError';
  }
}

/** Converts a delay to ps: ns rounded to the nearest ps, cycles as floor(cycles × 10^12 / clockHz). */
export function delayToPs(d: DramDelay, clockHz: number, what: string): Ps {
  const ps = 'ns' in d ? Math.round(d.ns * 1000) : Math.floor((d.cycles * 1e12) / clockHz);
  if (!Number.isSafeInteger(ps) || ps < 0) throw new DramConfigError(`DRAM ${what}: expected a non-negative delay, got ${JSON.stringify(d)}`);
  return ps;
}

function isPow2(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** Throws DramConfigError naming the first field that is unusable. */
export function validateDramConfig(c: DramTimingConfig): void {
  const where = `DramTimingConfig ${c.name}`;
  for (const [k, v] of [['ports', c.ports], ['portWidthBytes', c.portWidthBytes], ['banks', c.banks], ['rowBytes', c.rowBytes], ['portInterleaveBytes', c.portInterleaveBytes]] as const) {
    if (!isPow2(v)) throw new DramConfigError(`${where}: ${k} must be a power of two, got ${v}`);
  }
  if (!(c.dataRateMTps > 0)) throw new DramConfigError(`${where}: dataRateMTps must be positive, got ${c.dataRateMTps}`);
  if (!Number.isSafeInteger(c.clockHz) || c.clockHz <= 0) throw new DramConfigError(`${where}: clockHz must be a positive integer, got ${c.clockHz}`);
  if (!Number.isSafeInteger(c.burstLength) || c.burstLength <= 0) throw new DramConfigError(`${where}: burstLength must be a positive integer, got ${c.burstLength}`);
  if (c.portInterleaveBytes > c.rowBytes) throw new DramConfigError(`${where}: portInterleaveBytes (${c.portInterleaveBytes}) must not exceed rowBytes (${c.rowBytes})`);
}
