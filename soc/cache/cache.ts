import type { Rng } from '../../emulator/kernel/rng.ts';
import { CacheConfigError, makeGeometry } from './geometry.ts';
import type { CacheGeometry } from './geometry.ts';
import { createReplacement } from './replacement.ts';
import type { ReplacementKind, ReplacementPolicy } from './replacement.ts';
import { hexAddr } from '../memory/memory-target.ts';

/** Line state bits. L1 uses MESI: M = VALID|DIRTY|EXCLUSIVE, E = VALID|EXCLUSIVE, S = VALID, I = 0. */
export const LINE_VALID = 1;
export const LINE_DIRTY = 2;
export const LINE_EXCLUSIVE = 4;
export const MESI_M = LINE_VALID | LINE_DIRTY | LINE_EXCLUSIVE;
export const MESI_E = LINE_VALID | LINE_EXCLUSIVE;
export const MESI_S = LINE_VALID;
export const MESI_I = 0;

export type MesiState = 'M' | 'E' | 'S' | 'I';

/** A cacheable access above the tag range (tags are held in an Int32Array). */
export class CacheAddressError extends RangeError {
  constructor(where: string, pa: number, max: number) {
    super(`${where}: physical address ${hexAddr(pa)} is not cacheable here (limit ${hexAddr(max)})`);
    this.name = 'CacheAddressError';
  }
}

export interface CacheOptions {
  name: string;
  sizeBytes: number;
  ways: number;
  lineBytes: number;
  replacement: ReplacementKind;
  rng: Rng;
}

/**
 * A set-associative cache that holds data: tags (Int32Array), state (Uint8Array) and ONE data slab.
 * Slots are laid out way-major (slot = way * sets + set) so the lines of consecutive sets in one way are
 * contiguous in the slab: a run of hits in the same way is copied with a single TypedArray.set.
 * This class is the storage and lookup only; policies (MESI, write-back, maintenance) live in the
 * memory system and the outer cache.
 */
export class Cache {
  readonly name: string;
  readonly geometry: CacheGeometry;
  readonly lineBytes: number;
  readonly sets: number;
  readonly ways: number;
  readonly tags: Int32Array;
  readonly state: Uint8Array;
  readonly data: Uint8Array;
  /** One precomputed view per slot so whole-line copies allocate nothing. */
  readonly lineViews: Uint8Array[];
  readonly replacement: ReplacementPolicy;
  private readonly wayBytes: number;
  private readonly maxAddress: number;
  // Reciprocals of powers of two: multiplying by them is exact and avoids float division and fmod.
  private readonly invLine: number;
  private readonly invWay: number;
  private readonly setMask: number;

  constructor(opts: CacheOptions) {
    this.name = opts.name;
    this.geometry = makeGeometry(`Cache ${opts.name}`, opts.sizeBytes, opts.ways, opts.lineBytes);
    this.lineBytes = this.geometry.lineBytes;
    this.sets = this.geometry.sets;
    this.ways = this.geometry.ways;
    this.wayBytes = this.geometry.wayBytes;
    this.maxAddress = this.geometry.maxAddress;
    this.invLine = 1 / this.lineBytes;
    this.invWay = 1 / this.wayBytes;
    this.setMask = this.sets - 1;
    const slots = this.sets * this.ways;
    this.tags = new Int32Array(slots);
    this.state = new Uint8Array(slots);
    this.data = new Uint8Array(slots * this.lineBytes);
    this.lineViews = new Array<Uint8Array>(slots);
    for (let i = 0; i < slots; i++) this.lineViews[i] = this.data.subarray(i * this.lineBytes, (i + 1) * this.lineBytes);
    this.replacement = createReplacement(opts.replacement, this.sets, this.ways, opts.rng);
    if (!Number.isFinite(this.maxAddress)) throw new CacheConfigError(`Cache ${opts.name}: bad geometry`);
  }

  get slots(): number {
    return this.sets * this.ways;
  }

  /** Set index of a (line-aligned or not) physical address. */
  setOf(pa: number): number {
    // ToInt32 (`| 0`) truncates and reduces modulo 2^32, exactly, for any pa < 2^53: the low bits of the line number.
    return ((pa * this.invLine) | 0) & this.setMask;
  }

  /** Slot holding the line of `pa`, or -1. */
  lookup(pa: number): number {
    if (pa >= this.maxAddress || pa < 0) throw new CacheAddressError(`Cache ${this.name}.lookup`, pa, this.maxAddress);
    const set = this.setOf(pa);
    const tag = Math.floor(pa * this.invWay);
    const sets = this.sets;
    const tags = this.tags;
    const state = this.state;
    for (let w = 0, slot = set; w < this.ways; w++, slot += sets) {
      if (tags[slot] === tag && state[slot]! !== 0) return slot;
    }
    return -1;
  }

  /** The slot a fill of `pa` would use: an invalid way first, else the replacement policy's victim. */
  victimSlot(pa: number): number {
    const set = this.setOf(pa);
    const sets = this.sets;
    for (let w = 0, slot = set; w < this.ways; w++, slot += sets) {
      if (this.state[slot] === 0) return slot;
    }
    return this.replacement.victim(set) * sets + set;
  }

  /** Makes `slot` hold the line of `pa` in `state` (data is the caller's business). */
  install(slot: number, pa: number, state: number): void {
    if (pa >= this.maxAddress || pa < 0) throw new CacheAddressError(`Cache ${this.name}.install`, pa, this.maxAddress);
    this.tags[slot] = Math.floor(pa * this.invWay);
    this.state[slot] = state;
    this.touch(slot);
  }

  touch(slot: number): void {
    const set = slot & this.setMask;
    this.replacement.touch(set, (slot - set) / this.sets);
  }

  /** Line-aligned physical address held by a valid slot. */
  lineAddr(slot: number): number {
    const set = slot & this.setMask;
    return this.tags[slot]! * this.wayBytes + set * this.lineBytes;
  }

  /** Byte offset of a slot's line in the data slab. */
  dataOffset(slot: number): number {
    return slot * this.lineBytes;
  }

  isValid(slot: number): boolean {
    return (this.state[slot]! & LINE_VALID) !== 0;
  }

  isDirty(slot: number): boolean {
    return (this.state[slot]! & LINE_DIRTY) !== 0;
  }

  /** MESI name of the line of `pa` (I if absent). */
  mesi(pa: number): MesiState {
    const slot = this.lookup(pa);
    if (slot < 0) return 'I';
    const s = this.state[slot]!;
    if (s === MESI_M) return 'M';
    if (s === MESI_E) return 'E';
    if (s & LINE_DIRTY) return 'M';
    return 'S';
  }

  /** Number of valid lines (for stats and tests; walks the state array). */
  validLines(): number {
    let n = 0;
    for (let i = 0; i < this.state.length; i++) if (this.state[i] !== 0) n++;
    return n;
  }

  /** Drops every line without writing anything back (reset / power-on). */
  clear(): void {
    this.state.fill(0);
  }
}
