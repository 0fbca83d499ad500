// Parallel Range GETs of one large object (--streams N): the object is cut into N ranges fetched at once, each
// written in place by the bucket (offsets of a local temp file; lib/buckets/types.ts RangedWriter).
//
// Safety, in the order a response is checked:
// - Every range is pinned to the version the first response described: `If-Range` (its strong ETag, else its
//   Last-Modified) and `If-Match` / `If-Unmodified-Since`. A file changed mid-copy answers 200 (If-Range failed:
//   the whole new file) or 412, never a range of the new version: the object fails with SourceChanged (retryable;
//   the retry fetches the new version from its start). An object is never stitched from two versions.
// - Each range must answer 206 with a Content-Range of exactly the bytes asked for and the same total length
//   (rclone #6980: a CDN that answered other ranges than asked produced corrupt files). Another range →
//   SourceRejected; another total → SourceChanged.
// - Each range must deliver exactly its length (LengthMismatch otherwise).
// Origins without ranges (no `Accept-Ranges: bytes`, no validator) are copied as one stream by the caller.
//
// Checksums: crc32c and crc64nvme are computed per range and combined (lib/checksum.ts combineCrc), so ranges
// need not arrive in order. sha256 and md5 cannot be combined; objects under those take one stream (hashing the
// file again after the copy would re-read every byte: sha256 runs at ~820 MiB/s here, well below what parallel
// ranges deliver, so it would cost more than the ranges gain).
import type { Readable } from 'node:stream';
import { ErrorType } from '../common/errors.js';
import type { ChecksumAlgo } from '../common/schemas.js';
import type { ObjectInfo, RangedWriter } from './buckets/types.js';
import { combineCrc, createHasher, recorded } from './checksum.js';
import { FerryError, httpStatusError, redactUrl } from './classify-error.js';
import type { Origin, OriginHead } from './origin.js';
import type { RateLimiter } from './streams.js';

/** Ranges are whole MiB, and never smaller than this. */
const MIN_RANGE = 8 * 1024 * 1024;
const MiB = 1024 * 1024;

/**
 * Whether an object can and should be fetched in ranges: at least `threshold` bytes (FERRY_RANGE_THRESHOLD,
 * default 64 MiB: each of 4 ranges still moves 16 MiB, far more than a request and a connection cost).
 */
export function rangeable(
  head: OriginHead,
  streams: number,
  algo: ChecksumAlgo,
  threshold: number,
): head is OriginHead & { size: number } {
  return (
    streams > 1 &&
    head.size !== undefined &&
    head.size >= threshold &&
    head.acceptRanges === true &&
    (strongEtag(head.etag) !== undefined || head.lastModified !== undefined) &&
    (algo === 'crc32c' || algo === 'crc64nvme' || algo === 'none')
  );
}

/** [start, end] (inclusive) of each range: at most `streams`, whole MiB and multiples of `align`. */
export function rangePlan(size: number, streams: number, align = 1): { start: number; end: number }[] {
  const unit = Math.max(MiB, align);
  const len = Math.ceil(Math.max(MIN_RANGE, size / streams) / unit) * unit;
  const out: { start: number; end: number }[] = [];
  for (let start = 0; start < size; start += len) out.push({ start, end: Math.min(size, start + len) - 1 });
  return out;
}

export interface RangedCopy {
  origin: Origin;
  url: string;
  head: OriginHead & { size: number };
  /** The body of the first, plain GET: it serves the first range, then is closed. */
  first: Readable;
  writer: RangedWriter;
  streams: number;
  algo: ChecksumAlgo;
  limiter?: RateLimiter | undefined;
  signal: AbortSignal;
  /**
   * A check of the whole object before it is committed (a manifest line's checksum, lib/manifest/verify.ts): `algo`
   * is hashed per range beside the job's own (when it differs) and combined; `check` throws to abort the object.
   */
  verify?: { algo: ChecksumAlgo; check: (hex: string) => void } | undefined;
}

/** Fetches the object in ranges into `writer` and commits it; aborts the writer on any failure. */
export async function copyRanged(c: RangedCopy): Promise<ObjectInfo> {
  const { head, writer, algo } = c;
  const size = head.size;
  const plan = rangePlan(size, c.streams, writer.align);
  const ac = new AbortController();
  const signal = AbortSignal.any([ac.signal, c.signal]);
  const etag = strongEtag(head.etag);
  const pin: Record<string, string> = etag
    ? { 'if-range': etag, 'if-match': etag }
    : { 'if-range': head.lastModified!, 'if-unmodified-since': head.lastModified! };
  try {
    const extra = c.verify && c.verify.algo !== algo ? c.verify.algo : undefined;
    const digests = await Promise.all(
      plan.map(async (r, i) => {
        try {
          const body = i === 0 ? c.first : await fetchRange(c, r, size, pin, signal);
          const hasher = await createHasher(algo);
          const other = extra ? await createHasher(extra) : undefined;
          const update = other
            ? (b: Buffer) => {
                hasher.update(b);
                other.update(b);
              }
            : hasher.update.bind(hasher);
          await writer.writeRange(r.start, counted(body, r.end - r.start + 1, c, update));
          return { job: hasher.digest(), other: other?.digest() ?? '' };
        } catch (err) {
          ac.abort(err); // the other ranges stop at once
          throw err;
        } finally {
          if (i === 0) c.first.destroy();
        }
      }),
    );
    const hex = combined(
      algo,
      plan,
      digests.map((d) => d.job),
    );
    c.verify?.check(
      extra
        ? combined(
            extra,
            plan,
            digests.map((d) => d.other),
          )
        : hex,
    );
    return await writer.commit({ bytes: size, ...recorded(algo, hex) });
  } catch (err) {
    c.first.destroy();
    await writer.abort();
    throw err;
  }
}

// --- internal ---

/** The whole object's digest from its ranges' (crc32c, crc64nvme); a lone range's digest as it is. */
function combined(algo: ChecksumAlgo, plan: { start: number; end: number }[], digests: string[]): string {
  let hex = digests[0]!;
  if (algo === 'crc32c' || algo === 'crc64nvme')
    for (let i = 1; i < plan.length; i++)
      hex = combineCrc(algo, hex, digests[i]!, plan[i]!.end - plan[i]!.start + 1);
  return hex;
}

/** A strong ETag (If-Match and If-Range compare strongly: a weak one never matches). */
function strongEtag(etag: string | undefined): string | undefined {
  return etag && !etag.startsWith('W/') ? etag : undefined;
}

async function fetchRange(
  c: RangedCopy,
  r: { start: number; end: number },
  size: number,
  pin: Record<string, string>,
  signal: AbortSignal,
): Promise<Readable> {
  const where = redactUrl(c.url);
  const res = await c.origin.getRaw(c.url, { range: `bytes=${r.start}-${r.end}`, ...pin }, signal);
  const fail = async (err: Error): Promise<never> => {
    await res.body.dump().catch(() => undefined);
    throw err;
  };
  if (res.statusCode === 200 || res.statusCode === 412)
    return fail(
      new FerryError(
        ErrorType.SourceChanged,
        `${where}: changed while it was copied (a range pinned to ${pin['if-range']} answered ${res.statusCode}); the retry copies it again`,
      ),
    );
  if (res.statusCode !== 206) {
    const ra = res.headers['retry-after'];
    return fail(httpStatusError(res.statusCode, c.url, Array.isArray(ra) ? ra[0] : ra));
  }
  const cr = String(res.headers['content-range'] ?? '');
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr);
  if (m && m[3] !== String(size))
    return fail(
      new FerryError(ErrorType.SourceChanged, `${where}: length changed to ${m[3]} while it was copied`),
    );
  if (!m || Number(m[1]) !== r.start || Number(m[2]) !== r.end)
    return fail(
      new FerryError(
        ErrorType.SourceRejected,
        `${where}: asked for bytes ${r.start}-${r.end}/${size}, the origin answered Content-Range "${cr}"`,
      ),
    );
  return res.body;
}

/** The range's bytes, counted against its length, hashed and throttled on the way. */
async function* counted(
  body: AsyncIterable<Buffer>,
  len: number,
  c: RangedCopy,
  hash: (b: Buffer) => void,
): AsyncGenerator<Buffer> {
  let got = 0;
  for await (let chunk of body) {
    if (got + chunk.length > len) chunk = chunk.subarray(0, len - got); // the first body runs past range 0
    got += chunk.length;
    hash(chunk);
    if (c.limiter) await c.limiter.take(chunk.length);
    yield chunk;
    if (got === len) return; // leaving the loop closes the body
  }
  if (got !== len)
    throw new FerryError(
      ErrorType.LengthMismatch,
      `${redactUrl(c.url)}: a range ended after ${got} of its ${len} bytes`,
    );
}
