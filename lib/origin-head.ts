// What a response's headers say about the object (size, version, type, Range support): one parser for every
// GET and HEAD of lib/origin.ts, lib/origin-whole.ts and lib/ranged-get.ts.
import type { Dispatcher } from 'undici';

export interface OriginHead {
  size: number | undefined;
  etag?: string;
  lastModified?: string;
  contentType?: string;
  /** The origin said `Accept-Ranges: bytes`: it serves Range requests (lib/ranged-get.ts). */
  acceptRanges?: boolean;
}

/** A response header's first value (undici gives repeated headers as an array). */
export function headerOf(h: Dispatcher.ResponseData['headers'], name: string): string | undefined {
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
  if (/\bbytes\b/i.test(headerOf(headers, 'accept-ranges') ?? '')) out.acceptRanges = true;
  return out;
}
