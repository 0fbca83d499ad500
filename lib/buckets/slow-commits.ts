// When the local bucket's synchronous small-object commit (local.ts commitSmall) should give way to the
// asynchronous one. A synchronous commit blocks every other transfer of the process while it runs, which is
// right on a local disk (tens of microseconds; 2–3× the objects/s of the threadpool path) and wrong on a slow
// filesystem (NFS, a saturated disk), where each commit takes milliseconds.
//
// The rule used to be "one commit slower than 20 ms switches to the asynchronous path for a minute". One is not a
// filesystem: a garbage collection that lands inside the commit, or one journal flush, is enough, and then a
// whole minute of objects ran at less than half the speed. Profiled on 300,000 × 64 B into tmpfs with the
// default 192 MiB worker heap: the switch hit after 150,000 objects and the rate fell from 3,570 to 1,519
// objects/s (sync commit calls gone from the profile, FileHandle open/write/close/stat in their place). So the
// rule now looks at the commits' moving average (weight 1/8), each commit counted at most 4× the threshold: a
// filesystem whose commits are slow switches within a dozen commits; a stall, however long, does not by itself
// (memory reclaim and journal flushes stall a local disk's commits for hundreds of milliseconds now and then, and
// the threadpool path stalls on them just the same).

/** Average synchronous commit time above which small objects take the asynchronous path. */
export const SLOW_SYNC_COMMIT_MS = 20;
/** How long they do before the synchronous path is tried again. */
export const SYNC_BACKOFF_MS = 60_000;
/** Weight of the newest commit in the moving average. */
const WEIGHT = 1 / 8;
/** The most one commit counts for: one stall alone (≤ 4 × 20 × 1/8 = 10 ms of average) never switches. */
const MAX_SAMPLE_MS = 4 * SLOW_SYNC_COMMIT_MS;

export class SlowCommits {
  private avgMs = 0;
  private asyncUntil = 0;
  /** Times the asynchronous path was chosen (a diagnostic for bench/data-path.ts and the tests). */
  switches = 0;

  /**
   * @param onSwitch told the average when small objects leave the synchronous path (FERRY_TRACE prints it).
   * @param now the clock (tests).
   */
  constructor(
    private readonly onSwitch: (avgMs: number) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether small objects take the asynchronous path now. */
  asyncNow(): boolean {
    return this.now() < this.asyncUntil;
  }

  /** A synchronous commit took `ms` (wall time, the event loop blocked for as long). */
  record(ms: number): void {
    this.avgMs += (Math.min(ms, MAX_SAMPLE_MS) - this.avgMs) * WEIGHT;
    if (this.avgMs > SLOW_SYNC_COMMIT_MS) {
      this.asyncUntil = this.now() + SYNC_BACKOFF_MS;
      this.switches++;
      this.onSwitch(this.avgMs);
      // The next try starts from nothing: a filesystem still slow then switches again within a dozen commits.
      this.avgMs = 0;
    }
  }
}
