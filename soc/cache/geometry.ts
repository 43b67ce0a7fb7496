/** Thrown when a cache is configured with a geometry real hardware cannot have. */
export class CacheConfigError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'CacheConfigError';
  }
}

/** Size, associativity and line size of one cache, with the derived indexing constants. */
export interface CacheGeometry {
  readonly sizeBytes: number;
  readonly ways: number;
  readonly lineBytes: number;
  readonly sets: number;
  /** Bytes covered by one way (sets * lineBytes): the tag is floor(pa / wayBytes). */
  readonly wayBytes: number;
  /** Largest cacheable physical address + 1: tags must fit an Int32Array. */
  readonly maxAddress: number;
}

function isPow2(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

export function makeGeometry(where: string, sizeBytes: number, ways: number, lineBytes: number): CacheGeometry {
  if (!isPow2(lineBytes) || lineBytes < 16 || lineBytes > 256) {
    throw new CacheConfigError(`${where}: lineBytes must be a power of two in 16..256, got ${lineBytes}`);
  }
  if (!Number.isSafeInteger(ways) || ways < 1 || ways > 32) {
    throw new CacheConfigError(`${where}: ways must be an integer in 1..32, got ${ways}`);
  }
  const sets = sizeBytes / (ways * lineBytes);
  if (!isPow2(sizeBytes) || !isPow2(sets)) {
    throw new CacheConfigError(
      `${where}: sizeBytes must be a power of two giving a power-of-two set count, got ${sizeBytes} B / ${ways} ways / ${lineBytes} B lines`,
    );
  }
  const wayBytes = sets * lineBytes;
  return { sizeBytes, ways, lineBytes, sets, wayBytes, maxAddress: 2 ** 31 * wayBytes };
}
