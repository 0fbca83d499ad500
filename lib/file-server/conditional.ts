// Conditional and partial GETs: validators (If-None-Match, If-Modified-Since, If-Range) and one byte range.
import type { Stats } from 'node:fs';
import type { IncomingMessage } from 'node:http';

/** Any real single-range header fits; longer ones are multi-range or hostile and are ignored (RFC 9110 14.2). */
const MAX_RANGE_HEADER = 200;

/** Strong validator of a file: size, mtime and inode, so a rewrite of the same size still changes it. */
export function etagOf(st: Stats): string {
  return `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}-${st.ino.toString(16)}"`;
}

/** RFC 9110 13.1.2-3: If-None-Match (weak comparison) wins over If-Modified-Since. */
export function notModified(req: IncomingMessage, etag: string, mtimeMs: number): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) {
    if (inm.trim() === '*') return true;
    const ours = etag;
    for (const candidate of inm.split(',')) {
      let tag = candidate.trim();
      if (tag.startsWith('W/')) tag = tag.slice(2);
      if (tag === ours) return true;
    }
    return false;
  }
  const ims = req.headers['if-modified-since'];
  if (ims === undefined) return false;
  const since = Date.parse(ims);
  // HTTP dates have whole seconds: compare against the truncated mtime or a file would never be "unmodified".
  return !Number.isNaN(since) && Math.floor(mtimeMs / 1000) * 1000 <= since;
}

/** RFC 9110 13.1.5: a Range is honoured only if If-Range (when sent) matches exactly (strong comparison). */
export function ifRangeHolds(
  ifRange: string | string[] | undefined,
  etag: string,
  lastModified: string,
): boolean {
  if (ifRange === undefined) return true;
  if (typeof ifRange !== 'string') return false; // sent twice: ambiguous, so serve the whole file
  const v = ifRange.trim();
  return v === etag || v === lastModified;
}

export type ByteRange = { start: number; end: number };

const RANGE_RE = /^bytes=[ \t]*(\d{0,16})[ \t]*-[ \t]*(\d{0,16})[ \t]*$/i;

/**
 * Parses a single byte range. Returns undefined when the header is to be ignored (the response is then a
 * plain 200): multiple ranges, other units, syntax errors, numbers beyond 2^53. Multi-range responses
 * (multipart/byteranges) are legal to refuse this way and no downloader we serve needs them.
 */
export function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header.length > MAX_RANGE_HEADER) return undefined;
  const m = RANGE_RE.exec(header);
  if (m === null) return undefined;
  const a = m[1] ?? '';
  const b = m[2] ?? '';
  if (a === '' && b === '') return undefined;
  const first = a === '' ? undefined : Number(a);
  const last = b === '' ? undefined : Number(b);
  if (
    (first !== undefined && !Number.isSafeInteger(first)) ||
    (last !== undefined && !Number.isSafeInteger(last))
  ) {
    return undefined;
  }
  if (first === undefined) {
    // Suffix range: the last `last` bytes. Zero of them, or of an empty file, cannot be satisfied.
    if (last === undefined || last === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - last), end: size - 1 };
  }
  if (last !== undefined && last < first) return undefined; // invalid, not unsatisfiable
  if (first >= size) return 'unsatisfiable';
  return { start: first, end: last === undefined ? size - 1 : Math.min(last, size - 1) };
}
