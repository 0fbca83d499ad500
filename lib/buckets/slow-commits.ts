// When a local bucket commits small objects synchronously (lib/buckets/local.ts) and when it stops doing so.
//
// A synchronous commit blocks every other transfer of the process for as long as it takes. On a slow filesystem
// (NFS, a saturated disk) that is too long, so small objects then take the asynchronous path for a while. But one
// slow commit does not make a slow filesystem: on a loaded CPU any code is sometimes preempted, and the commit's
// wall time then counts the wait for a core. Measured under load ~20 on 2 vCPU (10,000 × 64 KiB): switching on a
// single commit over 20 ms kept a copy on the asynchronous path nearly all the time, which costs several times
// the CPU per object (a stream pipeline, an fs.WriteStream and eight threadpool round trips). So the switch
// needs most of the latest commits to be slow, which preemption (a minority of commits) does not produce.

/** A commit slower than this blocks the other transfers of the process for too long. */
const SLOW_MS = 20;
/** How many of the latest commits are looked at, and how many of them must be slow. */
const WINDOW = 8;
const MAJORITY = 5;
/** How long small objects then take the asynchronous path before the synchronous one is tried again. */
const BACKOFF_MS = 60_000;

export class SlowCommits {
  /** Durations (ms) of the latest synchronous commits, a ring of WINDOW; `commits` counts them. */
  private readonly recent = new Float64Array(WINDOW);
  private commits = 0;
  /** Until this time (ms epoch) small objects take the asynchronous path. */
  private asyncUntil = 0;

  /** Whether small objects take the asynchronous path now. */
  asyncNow(now = Date.now()): boolean {
    return now < this.asyncUntil;
  }

  /** One synchronous commit took `ms`. */
  note(ms: number, now = Date.now()): void {
    this.recent[this.commits++ % WINDOW] = ms;
    if (ms <= SLOW_MS || this.commits < WINDOW) return;
    let slow = 0;
    for (const d of this.recent) if (d > SLOW_MS) slow++;
    if (slow < MAJORITY) return;
    this.asyncUntil = now + BACKOFF_MS;
    this.commits = 0; // back on the synchronous path, the window starts afresh
  }
}
