// A bounce buffer (swiotlb slot, dmabounce safe buffer) stands in for the driver's buffer while a
// mapping lives: the device's accesses to it are logically accesses to the original. The checker keeps
// its expectations at the original addresses, so it translates device addresses through this table.

interface Alias {
  bounce: number;
  orig: number;
  len: number;
}

export class BounceAliases {
  private readonly live: Alias[] = [];

  add(bouncePa: number, origPa: number, len: number): void {
    this.live.push({ bounce: bouncePa, orig: origPa, len });
  }

  remove(bouncePa: number): void {
    const i = this.live.findIndex((a) => a.bounce === bouncePa);
    if (i >= 0) this.live.splice(i, 1);
  }

  /** The original address standing behind physical `pa`, or `pa` itself when it is no bounce buffer. */
  logical(pa: number): number {
    for (const a of this.live) {
      if (pa >= a.bounce && pa < a.bounce + a.len) return a.orig + (pa - a.bounce);
    }
    return pa;
  }

  /** Bytes from `pa` to the end of its alias (or Infinity), so callers can split a range at alias edges. */
  runLength(pa: number): number {
    for (const a of this.live) {
      if (pa >= a.bounce && pa < a.bounce + a.len) return a.bounce + a.len - pa;
    }
    let next = Infinity;
    for (const a of this.live) if (a.bounce > pa && a.bounce - pa < next) next = a.bounce - pa;
    return next;
  }

  get size(): number {
    return this.live.length;
  }
}
