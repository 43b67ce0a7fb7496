// Every write the checker sees gets a version: a number that names who wrote, at which trace operation
// and when. Versions only grow, so "older" is a plain comparison. Version 0 is memory never written.

/** Agent index 0 is the CPU; devices get 1, 2, … in order of first appearance. */
export const CPU_AGENT = 0;

export class WriteLog {
  private agentOf = new Int32Array(1024);
  private opOf = new Int32Array(1024);
  private timeOf = new Float64Array(1024);
  private next = 1;
  private readonly agentNames: string[] = ['cpu'];
  private readonly agentIndex = new Map<string, number>([['cpu', CPU_AGENT]]);

  /** Index of a named agent ('cpu' or a device name), created on first use. */
  agent(name: string): number {
    let a = this.agentIndex.get(name);
    if (a === undefined) {
      a = this.agentNames.length;
      this.agentNames.push(name);
      this.agentIndex.set(name, a);
    }
    return a;
  }

  agentName(agent: number): string {
    return this.agentNames[agent] ?? `agent${agent}`;
  }

  /** A new version for a write by `agent` during trace operation `op` at `timePs`. */
  record(agent: number, op: number, timePs: number): number {
    const v = this.next++;
    if (v === 0xffffffff) throw new RangeError('checker: more than 2^32 - 2 versioned writes');
    if (v >= this.agentOf.length) this.grow();
    this.agentOf[v] = agent;
    this.opOf[v] = op;
    this.timeOf[v] = timePs;
    return v;
  }

  writerOf(version: number): number {
    return version === 0 ? -1 : this.agentOf[version]!;
  }

  opOfVersion(version: number): number {
    return version === 0 ? -1 : this.opOf[version]!;
  }

  timeOfVersion(version: number): number {
    return version === 0 ? 0 : this.timeOf[version]!;
  }

  /** "write #5 (dev_write by fimc at op 6, 1.234 µs)" — or "the initial contents". */
  describe(version: number): string {
    if (version === 0) return 'the initial contents (never written)';
    const who = this.agentName(this.agentOf[version]!);
    const op = this.opOf[version]!;
    const at = op >= 0 ? ` at op ${op}` : '';
    return `write #${version} by ${who}${at}, t=${formatNs(this.timeOf[version]!)}`;
  }

  private grow(): void {
    const n = this.agentOf.length * 2;
    const a = new Int32Array(n);
    a.set(this.agentOf);
    this.agentOf = a;
    const o = new Int32Array(n);
    o.set(this.opOf);
    this.opOf = o;
    const t = new Float64Array(n);
    t.set(this.timeOf);
    this.timeOf = t;
  }
}

export function formatNs(ps: number): string {
  const ns = ps / 1000;
  return ns >= 1000 ? `${(ns / 1000).toFixed(3)} µs` : `${ns.toFixed(0)} ns`;
}
