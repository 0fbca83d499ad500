// A copy batch's lanes as counted slots, so that the extra Range streams of a large object (--streams) borrow idle
// lanes instead of opening connections beyond them: every object being copied holds one slot, a ranged object
// takes up to --streams − 1 more that are free when it starts, and a lane waits for a slot before its next
// object. Requests in flight, and so sockets of the batch's pool, stay within the batch's share of --max-conns.
// (A ranged object does not grow its streams when lanes free up later: its ranges are planned when it starts.)
export class LaneSlots {
  private free: number;
  private readonly waiters: (() => void)[] = [];

  constructor(n: number) {
    this.free = n;
  }

  /** One slot, waiting for it if none is free. */
  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((ok) => this.waiters.push(ok));
  }

  /** Up to `n` free slots, without waiting: how many were taken. */
  borrow(n: number): number {
    const k = Math.max(0, Math.min(n, this.free));
    this.free -= k;
    return k;
  }

  release(n = 1): void {
    for (let i = 0; i < n; i++) {
      const next = this.waiters.shift();
      if (next) next();
      else this.free++;
    }
  }
}
