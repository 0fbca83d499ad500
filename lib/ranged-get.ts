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
//
// Checkpoints: each range reports what the writer has stored, in whole pieces with their CRC (lib/range-resume.ts);
// a retried attempt that finds the same writer state and the same validator fetches only the rest of each range.
import type { Readable } from 'node:stream';
import { ErrorType } from '../common/errors.js';
import type { ChecksumAlgo } from '../common/schemas.js';
import type { ObjectInfo, RangedWriter } from './buckets/types.js';
import { recorded } from './checksum.js';
import { FerryError, classifyError, httpStatusError, redactUrl } from './classify-error.js';
import { PIECE, PieceHasher, appendCrc, type RangedProgress } from './range-resume.js';
import type { Origin, OriginHead } from './origin.js';
import { headerOf } from './origin-head.js';
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
  /** The body of a first, plain GET: it serves the first range, then is closed. Absent: range 0 is a Range GET. */
  first?: Readable | undefined;
  writer: RangedWriter;
  streams: number;
  algo: ChecksumAlgo;
  limiter?: RateLimiter | undefined;
  signal: AbortSignal;
  /** What a previous attempt stored in this writer (writer.resumed): only the rest of each range is fetched. */
  resume?: RangedProgress | undefined;
  /**
   * Called with what is stored each time a piece is, to checkpoint (lib/range-resume.ts); with undefined once
   * nothing stored is worth resuming (the writer was aborted).
   */
  onProgress?: ((progress: Omit<RangedProgress, 'p'> | undefined) => void) | undefined;
  /**
   * A check of the whole object's digest before it is committed (a manifest line's checksum of the job's own
   * algorithm, lib/manifest/verify.ts): throws to abort the object.
   */
  verify?: ((hex: string) => void) | undefined;
}

/**
 * Fetches the object in ranges into `writer` and commits it. On a failure a retry can pick up from (a transient
 * error or a cancellation, with something stored) the writer is released, what it stored kept and checkpointed;
 * on any other it is aborted.
 */
export async function copyRanged(c: RangedCopy): Promise<ObjectInfo> {
  const { head, writer, algo } = c;
  const size = head.size;
  const ac = new AbortController();
  const signal = AbortSignal.any([ac.signal, c.signal]);
  const etag = strongEtag(head.etag);
  const pin: Record<string, string> = etag
    ? { 'if-range': etag, 'if-match': etag }
    : { 'if-range': head.lastModified!, 'if-unmodified-since': head.lastModified! };
  const plan =
    c.resume?.ranges ?? rangePlan(size, c.streams, writer.align).map((r) => ({ ...r, done: 0, crc: '' }));
  const piece = writer.align > 1 ? writer.align : PIECE;
  const hashers = plan.map(
    (r) => new PieceHasher(algo, r.start, r.end + 1, piece, { done: r.done, crc: r.crc }),
  );
  const progress = () =>
    c.onProgress?.({
      size,
      pin: pin['if-range']!,
      algo,
      token: writer.token,
      ranges: plan.map((r, i) => ({ start: r.start, end: r.end, ...hashers[i]!.progress })),
    });
  progress();
  try {
    // At most `streams` ranges at once (the lanes this object holds); a resumed plan may have more ranges.
    const one = async (i: number): Promise<void> => {
      const r = plan[i]!;
      const h = hashers[i]!;
      const from = r.start + h.progress.done;
      try {
        if (from > r.end) return; // stored whole by an earlier attempt
        const body =
          i === 0 && c.first && from === 0
            ? c.first
            : await fetchRange(c, { start: from, end: r.end }, size, pin, signal);
        await writer.writeRange(
          from,
          counted(body, r.end - from + 1, c, (b) => h.update(b)),
          (pos) => {
            h.stored(pos);
            progress();
          },
        );
        h.stored(r.end + 1);
      } catch (err) {
        ac.abort(err); // the other ranges stop at once
        throw err;
      } finally {
        if (i === 0) c.first?.destroy();
      }
    };
    let next = 0;
    const runner = async (): Promise<void> => {
      while (next < plan.length) await one(next++);
    };
    await Promise.all(Array.from({ length: Math.min(Math.max(1, c.streams), plan.length) }, runner));
    let hex = '';
    for (let i = 0; i < plan.length; i++) {
      const len = plan[i]!.end - plan[i]!.start + 1;
      hex = i === 0 ? hashers[0]!.progress.crc : appendCrc(algo, hex, hashers[i]!.progress.crc, len, 1);
    }
    c.verify?.(hex);
    return await writer.commit({ bytes: size, ...recorded(algo, hex) });
  } catch (err) {
    c.first?.destroy();
    if (keepable(err, c.signal) && hashers.some((h) => h.progress.done > 0)) {
      progress();
      await writer.release();
    } else {
      await writer.abort();
      c.onProgress?.(undefined);
    }
    throw err;
  }
}

/** The validator ranges are pinned to (what a checkpoint records): the strong ETag, else Last-Modified. */
export function pinOf(head: OriginHead): string | undefined {
  return strongEtag(head.etag) ?? head.lastModified;
}

// --- internal ---

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
    return fail(httpStatusError(res.statusCode, c.url, headerOf(res.headers, 'retry-after')));
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

/**
 * Whether what a failed ranged copy stored is worth keeping for a retry: it was cancelled (worker shutdown, job
 * stop) or failed transiently. Not when the source changed (the retry must start over) or failed for good.
 */
function keepable(err: unknown, signal: AbortSignal): boolean {
  if (signal.aborted) return true;
  const c = classifyError(err);
  return c.retryable && c.type !== ErrorType.SourceChanged;
}

/** The range's bytes, counted against its length, hashed and throttled on the way. */
async function* counted(
  body: AsyncIterable<Buffer>,
  len: number,
  c: RangedCopy,
  hash: (b: Buffer) => Promise<void>,
): AsyncGenerator<Buffer> {
  let got = 0;
  for await (let chunk of body) {
    if (got + chunk.length > len) chunk = chunk.subarray(0, len - got); // the first body runs past range 0
    got += chunk.length;
    await hash(chunk);
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
