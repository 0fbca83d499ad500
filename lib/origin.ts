// HTTP access to the origin (step 1's file server, or any HTTP server), through a keep-alive pool per client.
//
// No undici RetryAgent here on purpose: retries belong to Temporal's activity retry policy. A copyBatch
// records which objects failed transiently, finishes the rest, then fails so Temporal retries it with
// backoff; the retry skips everything already done. A second retry layer would multiply attempts.
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import type { Hasher } from './checksum.js';
import { httpStatusError } from './classify-error.js';
import { getWhole, type WholeOrStream } from './origin-whole.js';
import { headerOf, originHeadFrom, type OriginHead } from './origin-head.js';
import type { HostLimiter } from './host-limit.js';
import { originAuth } from './origin-auth.js';

export type { OriginHead };

export interface OriginOptions {
  /**
   * A stalled origin must not hold a slot forever: the retry policy takes over. Tests use short values to
   * exercise stalls quickly.
   * @default 60_000
   */
  headersTimeoutMs?: number;
  /** @default 60_000 */
  bodyTimeoutMs?: number;
  /** @default 10_000 */
  connectTimeoutMs?: number;
  /**
   * Sent on every request, so an origin's owner can tell ferry's traffic apart (and write to whoever runs it).
   * The worker passes FERRY_USER_AGENT.
   * @default {@link DEFAULT_USER_AGENT}
   */
  userAgent?: string;
  /** Requests in flight per origin host, across every batch and job of the process (lib/host-limit.ts). */
  hostLimit?: HostLimiter;
  /** More headers on every request (a migration's bearer token, lib/serve-token.ts). */
  headers?: Record<string, string>;
}

/** ferry's version, kept in step with package.json by hand (the CLI's `--version` says the same). */
export const FERRY_VERSION = '0.1.0';
export const DEFAULT_USER_AGENT = `ferry/${FERRY_VERSION}`;

/** GET and HEAD of origin objects over one keep-alive pool. */
export interface Origin {
  get(url: string, signal: AbortSignal): Promise<{ head: OriginHead; body: Dispatcher.ResponseData['body'] }>;
  head(url: string, signal: AbortSignal): Promise<OriginHead>;
  /**
   * A GET that receives the object whole and hashed into `hash` when its Content-Length is at most `max`, with
   * no stream in between (lib/origin-whole.ts); otherwise its head and body stream, as get() returns them.
   */
  getWhole(url: string, signal: AbortSignal, max: number, hash: Hasher): Promise<WholeOrStream>;
  /** A GET with extra request headers (Range, If-Range, If-Match), any status: lib/ranged-get.ts checks it. */
  getRaw(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<Dispatcher.ResponseData>;
  /**
   * A client with a pool of its own, of at most `connections` sockets per origin host, for one copy batch; the
   * batch closes it when it ends. `--max-conns` is a promise to the origin's owner about what they see — open
   * sockets, not only requests in flight: the workflow gives each of its `window` batches ceil(maxConns /
   * window) lanes, and a pool per batch sized to its lanes and closed with it keeps the open sockets of the
   * whole job within the same bound, whichever workers and hosts run the batches. One process-wide pool would
   * keep each worker's idle sockets open after its batches moved elsewhere (three workers: up to 3 × the bound).
   * The price is a new connection per lane per batch (a few per 256 objects).
   */
  forBatch(connections: number, headers?: Record<string, string>): Origin;
  /** Closes the pool's connections. */
  close(): Promise<void>;
}

/**
 * An origin client with its own keep-alive pool, made on first use (a worker that never copies opens none).
 * The worker makes one per process's activities and hands it in (activities/index.ts `ActivityDeps.origin`).
 */
export function createOrigin(opts: OriginOptions = {}, connections = 512): Origin {
  let agent: Dispatcher | undefined;
  const dispatcher = (): Dispatcher =>
    (agent ??= new Agent({
      // Keep idle sockets longer than the gap between two objects of a batch so connections are reused.
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 120_000,
      headersTimeout: opts.headersTimeoutMs ?? 60_000,
      bodyTimeout: opts.bodyTimeoutMs ?? 60_000,
      connectTimeout: opts.connectTimeoutMs ?? 10_000,
      // Per origin host (undici counts per origin).
      connections: opts.hostLimit ? Math.min(connections, opts.hostLimit.limit) : connections,
      // Dataset hosts often redirect to a CDN or a storage node (AIStore answers GET with 301); follow a few.
    }).compose(interceptors.redirect({ maxRedirections: 5 })));
  const over = (more: Record<string, string> | undefined, close: () => Promise<void>): Origin => {
    const headers = { ...opts.headers, ...more, 'user-agent': opts.userAgent ?? DEFAULT_USER_AGENT };
    return {
      get: (url, signal) =>
        limited(opts.hostLimit, url, signal, () => getObject(dispatcher(), url, signal, headers)),
      getWhole: (url, signal, max, hash) =>
        limited(opts.hostLimit, url, signal, () =>
          getWhole(dispatcher(), url, { ...originAuth(url), ...headers }, signal, max, hash),
        ),
      head: (url, signal) =>
        limited(opts.hostLimit, url, signal, () => headObject(dispatcher(), url, signal, headers)),
      getRaw: (url, extra, signal) =>
        limited(opts.hostLimit, url, signal, () =>
          request(url, {
            method: 'GET',
            dispatcher: dispatcher(),
            signal,
            headers: { ...originAuth(url), ...headers, ...extra },
          }),
        ),
      forBatch: (n, more2) =>
        // With a per-host limit every batch shares this process's pool of at most that many sockets per host,
        // so the bound holds for open connections too, not only for requests in flight (idle sockets of
        // per-batch pools would add up across batches and jobs).
        opts.hostLimit
          ? over({ ...more, ...more2 }, async () => undefined)
          : createOrigin(more2 ? { ...opts, headers: { ...opts.headers, ...more2 } } : opts, Math.max(1, n)),
      close,
    };
  };
  return over(undefined, async () => {
    const a = agent;
    agent = undefined;
    // destroy, not close: a batch closes its pool once its lanes returned, and a body a failed put left
    // unread must not keep the close waiting.
    await a?.destroy();
  });
}

/** Join a base URL and an object name, percent-encoding each path segment of the name. */
export function objectUrl(baseUrl: string, name: string): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return base + name.split('/').map(encodeURIComponent).join('/');
}

/** `call` within a slot of `url`'s host; a GET's slot is held until its body closes. */
async function limited<T>(
  limit: HostLimiter | undefined,
  url: string,
  signal: AbortSignal,
  call: () => Promise<T>,
): Promise<T> {
  if (!limit) return call();
  const release = await limit.acquire(url, signal);
  try {
    const r = await call();
    const body = (r as { body?: Dispatcher.ResponseData['body'] }).body;
    if (body && !body.destroyed) body.once('close', release);
    else release();
    return r;
  } catch (err) {
    release();
    throw err;
  }
}

async function getObject(
  dispatcher: Dispatcher,
  url: string,
  signal: AbortSignal,
  headers: Record<string, string>,
): Promise<{ head: OriginHead; body: Dispatcher.ResponseData['body'] }> {
  const res = await request(url, {
    method: 'GET',
    dispatcher,
    signal,
    headers: { ...originAuth(url), ...headers },
  });
  if (res.statusCode !== 200) {
    // Drain so the keep-alive connection can be reused.
    await res.body.dump().catch(() => undefined);
    throw httpStatusError(res.statusCode, url, headerOf(res.headers, 'retry-after'));
  }
  return { head: originHeadFrom(res.headers), body: res.body };
}

async function headObject(
  dispatcher: Dispatcher,
  url: string,
  signal: AbortSignal,
  headers: Record<string, string>,
): Promise<OriginHead> {
  const res = await request(url, {
    method: 'HEAD',
    dispatcher,
    signal,
    headers: { ...originAuth(url), ...headers },
  });
  await res.body.dump().catch(() => undefined);
  if (res.statusCode !== 200)
    throw httpStatusError(res.statusCode, url, headerOf(res.headers, 'retry-after'));
  return originHeadFrom(res.headers);
}
