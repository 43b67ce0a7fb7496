import { describe, it, expect } from 'vitest';
import { CoherencyChecker } from './checker.ts';
import { DmaDirection } from '../types.ts';
import type { Violation } from '../violation.ts';

const BASE = 0x40000000;

function setup() {
  const violations: Violation[] = [];
  let now = 0;
  const checker = new CoherencyChecker({
    dramBase: BASE,
    dramSize: 1 << 24,
    lineBytes: 32,
    now: () => now,
    report: (v) => violations.push(v),
  });
  return { checker, violations, tick: (ps: number) => (now += ps) };
}

/** What a memory system would have returned: `len` bytes all of version `v`. */
function seen(len: number, v: number): Uint32Array {
  return new Uint32Array(len).fill(v);
}

describe('CoherencyChecker', () => {
  it('accepts a CPU read that sees the latest write', () => {
    const { checker, violations } = setup();
    const v = checker.cpuWriteVersion(0, BASE, 64);
    checker.cpuRead(0, BASE, 64, seen(64, v), 0);
    expect(violations).toEqual([]);
  });

  it('reports stale-cpu-read when the CPU sees an older version than the device wrote, even if bytes are equal', () => {
    const { checker, violations } = setup();
    const old = checker.cpuWriteVersion(0, BASE, 64);
    checker.deviceWriteVersion('fimc', BASE, 64);
    checker.cpuRead(0, BASE + 32, 32, seen(32, old), 0);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.kind).toBe('stale-cpu-read');
    expect(violations[0]!.dev).toBe('fimc');
    expect(violations[0]!.addr).toBe(BASE + 32);
    expect(violations[0]!.size).toBe(32);
  });

  it('reports stale-device-read when the device misses the CPU data still in a cache', () => {
    const { checker, violations } = setup();
    const old = checker.deviceWriteVersion('dma0', BASE, 16);
    checker.cpuWriteVersion(0, BASE, 16);
    checker.deviceRead('dma0', BASE, 16, seen(16, old), 0);
    expect(violations.map((v) => v.kind)).toEqual(['stale-device-read']);
    expect(violations[0]!.hint).toMatch(/dma_sync_single_for_device|dma_map_single/);
  });

  it('reports cpu-access-device-owned between map and sync_for_cpu, and not after', () => {
    const { checker, violations } = setup();
    checker.onMap('fimc', 0x1000, BASE, 4096, DmaDirection.FROM_DEVICE);
    checker.cpuWriteVersion(0, BASE + 100, 4);
    expect(violations.map((v) => v.kind)).toEqual(['cpu-access-device-owned']);
    checker.onSyncForCpu('fimc', 0x1000);
    checker.cpuWriteVersion(0, BASE + 100, 4);
    expect(violations).toHaveLength(1);
    checker.onSyncForDevice('fimc', 0x1000);
    checker.onUnmap('fimc', 0x1000);
    checker.cpuWriteVersion(0, BASE + 100, 4);
    expect(violations).toHaveLength(1);
  });

  it('reports lost-device-write when a dirty line is written back over newer device data', () => {
    const { checker, violations } = setup();
    const cpu = checker.cpuWriteVersion(0, BASE, 32);
    const dev = checker.deviceWriteVersion('usb', BASE + 4, 28);
    const dram = new Uint32Array(32).fill(dev);
    dram.fill(cpu, 0, 4);
    checker.writeBack(BASE, 32, seen(32, cpu), 0, dram, 0, 'L2');
    expect(violations.map((v) => v.kind)).toEqual(['lost-device-write']);
    expect(violations[0]!.addr).toBe(BASE + 4);
    expect(violations[0]!.size).toBe(28);
  });

  it('reports lost-cpu-write when an invalidate drops the latest CPU data', () => {
    const { checker, violations } = setup();
    const cpu = checker.cpuWriteVersion(0, BASE, 4);
    // An invalidate issued for the DMA buffer [BASE+8, BASE+32) that also drops the line's first bytes.
    checker.discardDirty(BASE, 32, seen(32, cpu), 0, seen(32, 0), 0, 'L1', BASE + 8, BASE + 32);
    expect(violations.map((v) => v.kind)).toEqual(['lost-cpu-write']);
    expect(violations[0]!.size).toBe(4);
  });

  it('does not report CPU bytes inside the invalidated range: the DMA API gives them to the device', () => {
    const { checker, violations } = setup();
    checker.cpuWriteVersion(0, BASE, 32);
    checker.discardDirty(BASE, 32, seen(32, 1), 0, seen(32, 0), 0, 'L1', BASE, BASE + 32);
    expect(violations).toEqual([]);
  });

  it('checks device accesses to a bounce buffer against the original buffer', () => {
    const { checker, violations } = setup();
    const orig = BASE + 0x10000;
    const bounce = BASE + 0x800000;
    const cpu = checker.cpuWriteVersion(0, orig, 64);
    checker.onBounceStart(bounce, orig, 64);
    // The bounce copy carried the CPU's version: the device sees the right data.
    checker.deviceRead('sdhci', bounce, 64, seen(64, cpu), 0);
    expect(violations).toEqual([]);
    // A device write to the bounce buffer is a write of the original buffer: without the copy back, the
    // CPU's view of the original is stale.
    checker.deviceWriteVersion('sdhci', bounce, 64);
    checker.onBounceEnd(bounce);
    checker.cpuRead(0, orig, 64, seen(64, cpu), 0);
    expect(violations.map((v) => v.kind)).toEqual(['stale-cpu-read']);
  });

  it('does not check or record logical writes for kernel-internal copies', () => {
    const { checker, violations } = setup();
    checker.onMap('fimc', 0x1000, BASE, 64, DmaDirection.TO_DEVICE);
    checker.asInternal(() => {
      checker.cpuWriteVersion(0, BASE, 64);
      checker.cpuRead(0, BASE, 64, seen(64, 0), 0);
    });
    expect(violations).toEqual([]);
  });
});

describe('CoherencyChecker reads shown as one version', () => {
  /** Runs `script` on two checkers: one shown per-byte versions, one shown the one version; returns both violation lists. */
  function both(script: (c: CoherencyChecker, read: (reader: 'cpu' | 'dev', pa: number, len: number, v: number) => void) => void): [Violation[], Violation[]] {
    const perByte = setup();
    const uniform = setup();
    script(perByte.checker, (reader, pa, len, v) =>
      reader === 'cpu' ? perByte.checker.cpuRead(0, pa, len, seen(len, v), 0) : perByte.checker.deviceRead('dma0', pa, len, seen(len, v), 0),
    );
    script(uniform.checker, (reader, pa, len, v) =>
      reader === 'cpu' ? uniform.checker.cpuReadUniform(0, pa, len, v) : uniform.checker.deviceReadUniform('dma0', pa, len, v),
    );
    return [perByte.violations, uniform.violations];
  }

  it('accepts a one-version read of the latest write, short or long', () => {
    const [a, b] = both((c, read) => {
      const v = c.deviceWriteVersion('fimc', BASE, 30720);
      read('cpu', BASE + 100, 8, v);
      read('cpu', BASE, 30720, v);
      read('dev', BASE + 4096, 4, v);
    });
    expect(a).toEqual([]);
    expect(b).toEqual([]);
  });

  it('reports exactly what the per-byte read reports when one byte of a one-version read is stale', () => {
    const [a, b] = both((c, read) => {
      const old = c.deviceWriteVersion('fimc', BASE, 8192);
      c.cpuWriteVersion(0, BASE + 4100, 1); // one newer byte inside the uniform-looking range
      read('cpu', BASE + 4096, 8, old);
      read('cpu', BASE, 8192, old);
      read('dev', BASE + 4100, 4, old);
    });
    expect(a.map((v) => v.kind)).toEqual(['lost-cpu-write', 'lost-cpu-write', 'stale-device-read']);
    expect(b).toEqual(a);
  });

  it('reports a one-version read of a whole stale range, and an access to a device-owned buffer, like per-byte reads', () => {
    const [a, b] = both((c, read) => {
      const old = c.cpuWriteVersion(0, BASE, 64);
      c.deviceWriteVersion('fimc', BASE, 64);
      read('cpu', BASE, 64, old);
      c.onMap('fimc', 0x1000, BASE, 64, DmaDirection.FROM_DEVICE);
      read('cpu', BASE, 64, old);
    });
    expect(a.map((v) => v.kind)).toEqual(['stale-cpu-read', 'cpu-access-device-owned', 'stale-cpu-read']);
    expect(b).toEqual(a);
  });

  it('checks a one-version device read of a bounce buffer against the original buffer', () => {
    const [a, b] = both((c, read) => {
      const orig = BASE + 0x10000;
      const bounce = BASE + 0x800000;
      const cpu = c.cpuWriteVersion(0, orig, 64);
      c.onBounceStart(bounce, orig, 64);
      read('dev', bounce, 64, cpu); // the bounce copy carried the CPU's version
      read('dev', bounce, 64, 0); // a read that missed the copy
    });
    expect(a.map((v) => v.kind)).toEqual(['stale-device-read']);
    expect(b).toEqual(a);
  });
});
