// HTTP access to the origin (step 1's file server, or any HTTP server), through a keep-alive pool per client.
//
// No undici RetryAgent here on purpose: retries belong to Temporal's activity retry policy. A copyBatch
// records which objects failed transiently, finishes the rest, then fails so Temporal retries it with
// backoff; the retry skips everything already done. A second retry layer would multiply attempts.
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { httpStatusError } from './classify-error.js';

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
}

/** GET and HEAD of origin objects over one keep-alive pool. */
export interface Origin {
  get(url: string, signal: AbortSignal): Promise<{ head: OriginHead; body: Dispatcher.ResponseData['body'] }>;
  head(url: string, signal: AbortSignal): Promise<OriginHead>;
  /** Closes the pool's connections. */
  close(): Promise<void>;
}

/**
 * An origin client with its own keep-alive pool, made on first use (a worker that never copies opens none).
 * The worker makes one per process's activities and hands it in (activities/index.ts `ActivityDeps.origin`).
 */
export function createOrigin(opts: OriginOptions = {}): Origin {
  let agent: Dispatcher | undefined;
  const dispatcher = (): Dispatcher =>
    (agent ??= new Agent({
      // Keep idle sockets longer than the gap between two batches so connections are reused across them.
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 120_000,
      headersTimeout: opts.headersTimeoutMs ?? 60_000,
      bodyTimeout: opts.bodyTimeoutMs ?? 60_000,
      connectTimeout: opts.connectTimeoutMs ?? 10_000,
      connections: 512,
      // Dataset hosts often redirect to a CDN or a storage node (AIStore answers GET with 301); follow a few.
    }).compose(interceptors.redirect({ maxRedirections: 5 })));
  return {
    get: (url, signal) => getObject(dispatcher(), url, signal),
    head: (url, signal) => headObject(dispatcher(), url, signal),
    async close() {
      const a = agent;
      agent = undefined;
      await a?.close();
    },
  };
}

/** Join a base URL and an object name, percent-encoding each path segment of the name. */
export function objectUrl(baseUrl: string, name: string): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return base + name.split('/').map(encodeURIComponent).join('/');
}

export interface OriginHead {
  size: number | undefined;
  etag?: string;
  lastModified?: string;
  contentType?: string;
}

function headerOf(h: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

export function originHeadFrom(headers: Dispatcher.ResponseData['headers']): OriginHead {
  const cl = headerOf(headers, 'content-length');
  const size = cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : undefined;
  const out: OriginHead = { size };
  const etag = headerOf(headers, 'etag');
  if (etag) out.etag = etag;
  const lm = headerOf(headers, 'last-modified');
  if (lm) out.lastModified = lm;
  const ct = headerOf(headers, 'content-type');
  if (ct) out.contentType = ct;
  return out;
}

async function getObject(
  dispatcher: Dispatcher,
  url: string,
  signal: AbortSignal,
): Promise<{ head: OriginHead; body: Dispatcher.ResponseData['body'] }> {
  const res = await request(url, { method: 'GET', dispatcher, signal });
  if (res.statusCode !== 200) {
    // Drain so the keep-alive connection can be reused.
    await res.body.dump().catch(() => undefined);
    throw httpStatusError(res.statusCode, url);
  }
  return { head: originHeadFrom(res.headers), body: res.body };
}

async function headObject(dispatcher: Dispatcher, url: string, signal: AbortSignal): Promise<OriginHead> {
  const res = await request(url, { method: 'HEAD', dispatcher, signal });
  await res.body.dump().catch(() => undefined);
  if (res.statusCode !== 200) throw httpStatusError(res.statusCode, url);
  return originHeadFrom(res.headers);
}
