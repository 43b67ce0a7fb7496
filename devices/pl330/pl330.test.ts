import { describe, it, expect } from 'vitest';
import { Simulator } from '../../emulator/kernel/index.ts';
import { FlatMemoryPort } from '../common/flat-memory-port.ts';
import { Pl330Assembler } from './assembler.ts';
import { Cond } from './isa.ts';
import { Pl330 } from './pl330.ts';
import type { PeripheralEndpoint } from './pl330.ts';
import { Pl330DmaEngine } from './dmaengine.ts';

function setup(mfifo = 128, width = 4) {
  const sim = new Simulator({ seed: 1 });
  const port = new FlatMemoryPort(sim, { size: 1 << 20, widthBytes: width, latencyPs: 100_000, psPerByte: 1000 });
  const ctl = new Pl330(sim, port, { name: 'pdma0', channels: 8, mfifoBytes: mfifo, maxOutstanding: 4, peripheralAccessPs: 20_000 });
  return { sim, port, ctl };
}

const ccr4x4 = { srcInc: true, srcBeatBytes: 4, srcBurstLen: 4, dstInc: true, dstBeatBytes: 4, dstBurstLen: 4 };

describe('PL330 interpreter', () => {
  it('runs a nested loop of 16-byte bursts and copies exactly the bytes it was told to', () => {
    const { sim, port, ctl } = setup();
    for (let i = 0; i < 4096; i++) port.mem[0x1000 + i] = (i * 7) & 0xff;
    const asm = new Pl330Assembler().mov('SAR', 0x1000).mov('DAR', 0x8000).ccr(ccr4x4);
    asm.lp(16).lp(8).ld().st().lpend().lpend().end();
    let done = false;
    ctl.channel(0).start(asm.build(), () => (done = true));
    sim.run();
    expect(done).toBe(true);
    expect(port.transfers).toBe(2 * 16 * 8);
    expect(Buffer.compare(port.mem.subarray(0x8000, 0x8000 + 2048), port.mem.subarray(0x1000, 0x1000 + 2048))).toBe(0);
    expect(port.mem[0x8000 + 2048]).toBe(0);
    expect(ctl.channel(0).sar).toBe(0x1000 + 2048);
  });

  it('refuses loops over 256 iterations, three-deep nesting and bodies over 255 bytes', () => {
    expect(() => new Pl330Assembler().lp(257)).toThrow(/1\.\.256/);
    expect(() => new Pl330Assembler().lp(2).lp(2).lp(2)).toThrow(/two deep/);
    const a = new Pl330Assembler().lp(2);
    for (let i = 0; i < 43; i++) a.mov('SAR', 0);
    expect(() => a.lpend()).toThrow(/258 bytes/);
  });

  it('waits for a peripheral request at DMAWFP and resumes when it arrives', () => {
    const { sim, ctl, port } = setup();
    const got: number[] = [];
    const ep: PeripheralEndpoint = { fifoAddr: 0x3000_0000, push: (s, o) => got.push(s[o]!), pop: () => {} };
    ctl.attachPeripheral(12, ep);
    port.mem.set([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0], 0x100);
    const asm = new Pl330Assembler().mov('SAR', 0x100).mov('DAR', 0x3000_0000);
    asm.ccr({ srcInc: true, srcBeatBytes: 4, srcBurstLen: 1, dstInc: false, dstBeatBytes: 4, dstBurstLen: 1 });
    asm.lp(3).wfp(12).ld().stp(12).lpend().sev(0).end();
    let irq = -1;
    ctl.onInterrupt((e) => (irq = e));
    ctl.channel(0).start(asm.build());
    sim.run();
    expect(ctl.channel(0).state).toBe('waiting');
    expect(got).toEqual([]);
    ctl.request(12);
    sim.run();
    expect(got).toEqual([1]);
    ctl.request(12);
    ctl.request(12);
    sim.run();
    expect(got).toEqual([1, 2, 3]);
    expect(irq).toBe(0);
    expect(ctl.channel(0).state).toBe('stopped');
  });

  it('hands a request to the lowest waiting channel, not to killed ones, and keeps it pending with no waiter', () => {
    const { sim, ctl } = setup();
    const got: number[] = [];
    ctl.attachPeripheral(12, { fifoAddr: 0x3000_0000, push: (s, o) => got.push(s[o]!), pop: () => {} });
    const prog = () => {
      const asm = new Pl330Assembler().mov('SAR', 0x100).mov('DAR', 0x3000_0000);
      asm.ccr({ srcInc: true, srcBeatBytes: 4, srcBurstLen: 1, dstInc: false, dstBeatBytes: 4, dstBurstLen: 1 });
      return asm.wfp(12).ld().stp(12).end().build();
    };
    for (const i of [0, 1, 2]) ctl.channel(i).start(prog());
    ctl.channel(0).kill();
    ctl.request(12);
    sim.run();
    expect(ctl.channel(1).state).toBe('stopped');
    expect(ctl.channel(2).state).toBe('waiting');
    ctl.request(12);
    sim.run();
    expect(ctl.channel(2).state).toBe('stopped');
    ctl.request(12); // nobody waits: the request stays pending for the next DMAWFP
    expect(ctl.pendingRequests(12)).toBe(1);
    ctl.channel(3).start(prog());
    sim.run();
    expect(ctl.channel(3).state).toBe('stopped');
    expect(ctl.pendingRequests(12)).toBe(0);
    expect(got.length).toBe(3);
  });

  it('skips burst-conditional loads after a single request', () => {
    const { sim, ctl, port } = setup();
    port.mem[0x10] = 9;
    const asm = new Pl330Assembler().mov('SAR', 0x10).mov('DAR', 0x20);
    asm.ccr({ srcInc: true, srcBeatBytes: 1, srcBurstLen: 1, dstInc: true, dstBeatBytes: 1, dstBurstLen: 1 });
    asm.wfp(3, Cond.SINGLE).ld(Cond.BURST).ld(Cond.SINGLE).st().end();
    ctl.request(3);
    ctl.channel(0).start(asm.build());
    sim.run();
    expect(ctl.channel(0).state).toBe('stopped');
    expect(port.mem[0x20]).toBe(9);
    expect(ctl.channel(0).sar).toBe(0x11);
  });

  it('faults on a store with an empty MFIFO and on a burst larger than the MFIFO', () => {
    const { sim, ctl } = setup(64);
    ctl.channel(0).start(new Pl330Assembler().ccr(ccr4x4).st().end().build());
    sim.run();
    expect(ctl.channel(0).state).toBe('fault');
    expect(ctl.channel(0).faultReason).toMatch(/MFIFO/);
    const big = { ...ccr4x4, srcBeatBytes: 8, srcBurstLen: 16 };
    ctl.channel(1).start(new Pl330Assembler().ccr(big).ld().end().build());
    expect(ctl.channel(1).state).toBe('fault');
  });

  it('keeps loads in flight up to the outstanding limit (pipelined, not one burst at a time)', () => {
    const { sim, ctl } = setup();
    const asm = new Pl330Assembler().mov('SAR', 0).mov('DAR', 0x10000).ccr(ccr4x4).lp(64).ld().st().lpend().end();
    ctl.channel(0).start(asm.build());
    sim.run();
    // 128 transfers of 16 B at 16 ns each on the bus plus 100 ns latency: pipelined ≈ 2.1 us, serial ≈ 14.8 us.
    expect(sim.now).toBeLessThan(5_000_000);
  });
});

describe('dmaengine API', () => {
  it('memcpy of an odd length completes with residue 0 and calls back once', () => {
    const { sim, ctl, port } = setup(512, 8);
    const eng = new Pl330DmaEngine(ctl, { memcpyBurstLen: 8 });
    const ch = eng.requestChannel();
    for (let i = 0; i < 1000; i++) port.mem[0x2000 + i] = i & 0xff;
    const d = ch.prepMemcpy(0x9000, 0x2000, 1000);
    let calls = 0;
    d.callback = () => calls++;
    const cookie = ch.submit(d);
    expect(ch.txStatus(cookie)).toEqual({ status: 'in-progress', residue: 1000 });
    ch.issuePending();
    sim.run();
    expect(calls).toBe(1);
    expect(ch.txStatus(cookie)).toEqual({ status: 'complete', residue: 0 });
    expect(Buffer.compare(port.mem.subarray(0x9000, 0x9000 + 1000), port.mem.subarray(0x2000, 0x3000 - 3096))).toBe(0);
  });

  it('reports a shrinking residue while a scatter-gather transfer waits on its peripheral', () => {
    const { sim, ctl } = setup();
    const sink: number[] = [];
    ctl.attachPeripheral(5, { fifoAddr: 0x4000_0000, push: (s, o, l) => sink.push(...s.subarray(o, o + l)), pop: () => {} });
    const eng = new Pl330DmaEngine(ctl, { memcpyBurstLen: 4 });
    const ch = eng.requestChannel();
    const cfg = { periph: 5, fifoAddr: 0x4000_0000, beatBytes: 4, burstLen: 1 };
    const cookie = ch.submit(ch.prepSlaveSg([{ addr: 0, len: 16 }, { addr: 0x100, len: 8 }], 'MEM_TO_DEV', cfg));
    ch.issuePending();
    for (let i = 0; i < 4; i++) ctl.request(5);
    sim.run();
    expect(ch.txStatus(cookie)).toEqual({ status: 'in-progress', residue: 8 });
    // The second segment's DMAFLUSHP cleared request state: requests now count from zero.
    ctl.request(5);
    sim.run();
    expect(ch.txStatus(cookie)).toEqual({ status: 'in-progress', residue: 4 });
    ctl.request(5);
    sim.run();
    expect(ch.txStatus(cookie).status).toBe('complete');
    expect(sink.length).toBe(24);
  });

  it('cyclic transfers raise one interrupt per period and wrap around the buffer', () => {
    const { sim, ctl } = setup();
    let pushed = 0;
    ctl.attachPeripheral(12, { fifoAddr: 0x5000_0000, push: (_s, _o, l) => (pushed += l), pop: () => {} });
    const eng = new Pl330DmaEngine(ctl, { memcpyBurstLen: 4 });
    const ch = eng.requestChannel();
    const d = ch.prepDmaCyclic(0x1000, 64, 16, 'MEM_TO_DEV', { periph: 12, fifoAddr: 0x5000_0000, beatBytes: 4, burstLen: 1 });
    let periods = 0;
    d.callback = () => periods++;
    ch.submit(d);
    ch.issuePending();
    for (let i = 0; i < 40; i++) {
      ctl.request(12);
      sim.run();
    }
    expect(pushed).toBe(160);
    expect(periods).toBe(10);
    expect(ch.position()).toBe(32);
    ch.terminateAll();
    ctl.request(12);
    sim.run();
    expect(pushed).toBe(160);
  });
  it('sends a store to the endpoint whose register it hits (lowest request line first), others to memory', () => {
    const { sim, ctl, port } = setup();
    const hits: string[] = [];
    const ep = (name: string, fifoAddr: number): PeripheralEndpoint => ({ fifoAddr, push: () => hits.push(name), pop: () => {} });
    // Registers 4 bytes apart answer 8 bytes each (as I2S TX/RX): 0x14 is in both spans; line 11 wins.
    ctl.attachPeripheral(12, ep('tx-old', 0x8010));
    ctl.attachPeripheral(12, ep('tx', 0x8010)); // re-attaching a line replaces its endpoint
    ctl.attachPeripheral(11, ep('rx', 0x8014));
    const ccr = { srcInc: false, srcBeatBytes: 4, srcBurstLen: 1, dstInc: false, dstBeatBytes: 4, dstBurstLen: 1 };
    port.mem.set([9, 8, 7, 6], 0x100);
    for (const dar of [0x8010, 0x8014, 0x8017, 0x801c, 0x2000]) {
      ctl.channel(0).start(new Pl330Assembler().mov('SAR', 0x100).mov('DAR', dar).ccr(ccr).ld().st().end().build());
      sim.run();
    }
    expect(hits).toEqual(['tx', 'rx', 'rx']);
    // 0x801c and 0x2000 are no FIFO register: both stores went to memory over the bus (one load each too).
    expect(port.transfers).toBe(5 + 2);
    expect([...port.mem.subarray(0x801c, 0x8020)]).toEqual([9, 8, 7, 6]);
    expect([...port.mem.subarray(0x2000, 0x2004)]).toEqual([9, 8, 7, 6]);
    expect([...port.mem.subarray(0x8010, 0x801c)]).toEqual(new Array(12).fill(0));
  });
});
