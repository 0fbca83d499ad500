// A per-origin-host bound on requests in flight, shared by every batch and every job of one worker process
// (FERRY_MAX_CONNS_PER_HOST). `--max-conns` is a job's promise to an origin; an origin that several jobs copy
// from at once needs one for all of them, or N jobs at --max-conns 16 are 16·N connections. Slots are handed
// out first come, first served, so jobs sharing a host progress side by side rather than one after another.
// A GET holds its slot until its body is read or dropped; a request waiting for a slot gives up when its batch
// is cancelled. Per worker process: with W workers the origin sees at most W × the limit (docs/multi-host.md).
// Hand-written because it is a keyed semaphore of a few lines with abort support; p-limit and friends have no
// per-key queue or AbortSignal.

export interface HostLimiter {
  /** The limit per host. */
  readonly limit: number;
  /** Wait for a slot of `url`'s host (host:port); resolves with its release (idempotent). */
  acquire(url: string, signal?: AbortSignal): Promise<() => void>;
  /** Requests in flight to `url`'s host now (tests, metrics). */
  active(url: string): number;
}

export function createHostLimiter(limit: number): HostLimiter {
  const hosts = new Map<string, { active: number; waiting: (() => void)[] }>();
  const keyOf = (url: string) => {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  };
  const slot = (key: string) => {
    let s = hosts.get(key);
    if (!s) hosts.set(key, (s = { active: 0, waiting: [] }));
    return s;
  };
  return {
    limit,
    active: (url) => hosts.get(keyOf(url))?.active ?? 0,
    async acquire(url, signal) {
      const key = keyOf(url);
      const s = slot(key);
      if (s.active >= limit) {
        await new Promise<void>((resolve, reject) => {
          const go = () => {
            signal?.removeEventListener('abort', abort);
            resolve();
          };
          const abort = () => {
            const i = s.waiting.indexOf(go);
            if (i !== -1) s.waiting.splice(i, 1);
            reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
          };
          if (signal?.aborted) return abort();
          signal?.addEventListener('abort', abort, { once: true });
          s.waiting.push(go);
        });
      }
      s.active++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        s.active--;
        const next = s.waiting.shift();
        if (next) next();
        else if (s.active === 0) hosts.delete(key);
      };
    },
  };
}
