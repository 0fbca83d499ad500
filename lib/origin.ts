// HTTP access to the origin (step 1's file server, or any HTTP server). One keep-alive pool per process.
//
// No undici RetryAgent here on purpose: retries belong to Temporal's activity retry policy. A copyBatch
// records which objects failed transiently, finishes the rest, then fails so Temporal retries it with
// backoff; the retry skips everything already done. A second retry layer would multiply attempts.
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { httpStatusError } from './classify-error.js';
import { ferryEnv } from './env.js';

let agent: Dispatcher | undefined;

export function originAgent(): Dispatcher {
  const env = ferryEnv();
  agent ??= new Agent({
    // Keep idle sockets longer than the gap between two batches so connections are reused across them.
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 120_000,
    // A stalled origin must not hold a slot forever: the retry policy takes over. Overridable (tests use short
    // values to exercise stalls quickly).
    headersTimeout: env.httpHeadersTimeoutMs(),
    bodyTimeout: env.httpBodyTimeoutMs(),
    connectTimeout: env.httpConnectTimeoutMs(),
    connections: 512,
    // Dataset hosts often redirect to a CDN or a storage node (AIStore answers GET with 301); follow a few.
  }).compose(interceptors.redirect({ maxRedirections: 5 }));
  return agent;
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

export async function getObject(
  url: string,
  signal: AbortSignal,
): Promise<{ head: OriginHead; body: Dispatcher.ResponseData['body'] }> {
  const res = await request(url, { method: 'GET', dispatcher: originAgent(), signal });
  if (res.statusCode !== 200) {
    // Drain so the keep-alive connection can be reused.
    await res.body.dump().catch(() => undefined);
    throw httpStatusError(res.statusCode, url);
  }
  return { head: originHeadFrom(res.headers), body: res.body };
}

export async function headObject(url: string, signal: AbortSignal): Promise<OriginHead> {
  const res = await request(url, { method: 'HEAD', dispatcher: originAgent(), signal });
  await res.body.dump().catch(() => undefined);
  if (res.statusCode !== 200) throw httpStatusError(res.statusCode, url);
  return originHeadFrom(res.headers);
}
