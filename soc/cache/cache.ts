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
  /** The slab as 32-bit words (a line is a whole number of aligned words), for copyLineFrom. */
  readonly words: Int32Array;
  private readonly lineWords: number;
  /**
   * The tags again, set-major (set * ways + way): a lookup compares one contiguous run instead of
   * `ways` words a way apart (a host cache miss each on a large L2). Written only by install, with tags.
   */
  private readonly setTags: Int32Array;
  readonly replacement: ReplacementPolicy;
  /** Whether the policy needs touch (hits and fills); random replacement does not. */
  private readonly tracksUse: boolean;
  /** Bytes covered by one way: lineAddr(slot) = tags[slot] * wayBytes + (slot & setMask) * lineBytes. */
  readonly wayBytes: number;
  private readonly maxAddress: number;
  // Reciprocals of powers of two: multiplying by them is exact and avoids float division and fmod.
  private readonly invLine: number;
  private readonly invWay: number;
  readonly setMask: number;
  /** log2(sets): a slot's way is slot >>> setShift (sets are a power of two; slots fit 31 bits). */
  private readonly setShift: number;
  /** sets * ways, as a field (read in host walks over every slot). */
  readonly slotCount: number;

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
    this.setShift = 31 - Math.clz32(this.sets);
    const slots = this.sets * this.ways;
    this.slotCount = slots;
    this.tags = new Int32Array(slots);
    this.setTags = new Int32Array(slots);
    this.state = new Uint8Array(slots);
    this.data = new Uint8Array(slots * this.lineBytes);
    this.words = new Int32Array(this.data.buffer, this.data.byteOffset, this.data.length >>> 2);
    this.lineWords = this.lineBytes >>> 2;
    this.replacement = createReplacement(opts.replacement, this.sets, this.ways, opts.rng);
    this.tracksUse = this.replacement.kind !== 'random';
    if (!Number.isFinite(this.maxAddress)) throw new CacheConfigError(`Cache ${opts.name}: bad geometry`);
  }

  get slots(): number {
    return this.slotCount;
  }

  /**
   * The bytes of `slot` as a new view, for the rare paths that need one (an unaligned destination, a store
   * racing a background maintenance op); hot paths copy words (copyLineFrom, readWords) instead. Views are
   * not kept per slot: a slab has tens of thousands of slots, and making them all cost every run ~40K
   * allocations at set-up.
   */
  lineView(slot: number): Uint8Array {
    return this.data.subarray(slot * this.lineBytes, (slot + 1) * this.lineBytes);
  }

  /** Set index of a (line-aligned or not) physical address. */
  setOf(pa: number): number {
    // ToInt32 (`| 0`) truncates and reduces modulo 2^32, exactly, for any pa < 2^53: the low bits of the line number.
    return ((pa * this.invLine) | 0) & this.setMask;
  }

  /** The error of an address above the tag range (built here, out of the lookups V8 inlines). */
  private rejectAddress(where: string, pa: number): never {
    throw new CacheAddressError(`Cache ${this.name}.${where}`, pa, this.maxAddress);
  }

  /** Slot holding the line of `pa`, or -1. */
  lookup(pa: number): number {
    if (pa >= this.maxAddress || pa < 0) this.rejectAddress('lookup', pa);
    // pa < maxAddress = 2^31 * wayBytes, so the tag is below 2^31 and `| 0` is floor in tagOf.
    return this.lookupSetTag(((pa * this.invLine) | 0) & this.setMask, (pa * this.invWay) | 0);
  }

  /** Tag of an address below the cache's limit (the caller has checked it, e.g. by a lookup). */
  tagOf(pa: number): number {
    return (pa * this.invWay) | 0;
  }

  /**
   * Slot holding (set, tag), or -1: lookup without the address arithmetic and range check, for a snoop
   * of several caches of one geometry, where set and tag are the same in each.
   */
  lookupSetTag(set: number, tag: number): number {
    const ways = this.ways;
    const setTags = this.setTags;
    const first = set * ways;
    // An invalid way may still hold the same (stale) tag: only a valid match counts, lowest way first.
    for (let w = 0; w < ways; w++) {
      if (setTags[first + w] === tag) {
        const slot = w * this.sets + set;
        if (this.state[slot]! !== 0) return slot;
      }
    }
    return -1;
  }

  /** The slot a fill of `pa` would use: an invalid way first, else the replacement policy's victim. */
  victimSlot(pa: number): number {
    const set = ((pa * this.invLine) | 0) & this.setMask;
    const sets = this.sets;
    const state = this.state;
    for (let w = 0, slot = set; w < this.ways; w++, slot += sets) {
      if (state[slot] === 0) return slot;
    }
    return this.replacement.victim(set) * sets + set;
  }

  /** Makes `slot` hold the line of `pa` in `state` (data is the caller's business). */
  install(slot: number, pa: number, state: number): void {
    if (pa >= this.maxAddress || pa < 0) this.rejectAddress('install', pa);
    const tag = (pa * this.invWay) | 0; // < 2^31 (checked above): floor
    const set = slot & this.setMask;
    this.tags[slot] = tag;
    this.setTags[set * this.ways + (slot >>> this.setShift)] = tag;
    this.state[slot] = state;
    this.touch(slot);
  }

  touch(slot: number): void {
    // Random replacement keeps no state: every hit and fill skips the call (and its way division).
    if (!this.tracksUse) return;
    const set = slot & this.setMask;
    this.replacement.touch(set, slot >>> this.setShift);
  }

  /** Line-aligned physical address held by a valid slot. */
  lineAddr(slot: number): number {
    const set = slot & this.setMask;
    return this.tags[slot]! * this.wayBytes + set * this.lineBytes;
  }

  /**
   * Copies the whole line in `srcSlot` of `src` (same line size) into `slot`. A few word moves beat a
   * TypedArray.set call at 16–256 bytes; this is the refill and SCU-transfer path, run per line.
   */
  copyLineFrom(slot: number, src: Cache, srcSlot: number): void {
    const n = this.lineWords;
    if (src.lineWords !== n) throw new CacheConfigError(`Cache ${this.name}.copyLineFrom: ${src.name} has ${src.lineBytes} B lines, expected ${this.lineBytes}`);
    const dst = this.words;
    const from = src.words;
    const d = slot * n;
    const s = srcSlot * n;
    for (let k = 0; k < n; k++) dst[d + k] = from[s + k]!;
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
