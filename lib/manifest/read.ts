// Reading a manifest by byte range, wherever it is kept (common/schemas.ts ManifestRef): the copy of the job
// staged in its destination, an http(s) URL (a Range GET), an object of an s3:// or ais:// bucket (a ranged
// GET), or a file:// path every worker sees. A missing manifest is SourceNotFound, never retried; the rest is
// classified as any other read (5xx and resets retried).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { parseBucketUri } from '../../common/bucket-uri.js';
import { ErrorType } from '../../common/errors.js';
import type { ManifestRef } from '../../common/schemas.js';
import type { Bucket, ByteRange } from '../buckets/index.js';
import { FerryError, httpStatusError, redactUrl } from '../classify-error.js';
import { jobFiles } from '../job-files.js';
import { originAuth } from '../origin-auth.js';

/** The job's file under `.ferry/jobs/<job>/` that holds a staged manifest. */
export const STAGED_MANIFEST = 'manifest';

export interface ManifestPlace {
  /** The job's destination (where a staged manifest is) and its ID. */
  destination: string;
  jobId: string;
  openBucket: (uri: string) => Promise<Bucket>;
  signal?: AbortSignal;
}

/** Human form of where a manifest is, for messages. */
export function manifestWhere(ref: ManifestRef, destination: string, jobId: string): string {
  if ('uri' in ref) return redactUrl(ref.uri);
  const staged = `${destination}/.ferry/jobs/${jobId}/${STAGED_MANIFEST}`;
  return ref.from ? `${staged} (the copy of ${redactUrl(ref.from)} the job started with)` : staged;
}

/** Bytes [range.start, range.end) of the manifest (to its end when `end` is omitted). */
export async function openManifest(ref: ManifestRef, at: ManifestPlace, range: ByteRange): Promise<Readable> {
  const where = manifestWhere(ref, at.destination, at.jobId);
  const gone = () => new FerryError(ErrorType.SourceNotFound, `manifest ${where} does not exist`);
  if (!('uri' in ref)) {
    const body = await jobFiles(await at.openBucket(at.destination), at.jobId).read(STAGED_MANIFEST, range);
    if (!body) throw gone();
    return body;
  }
  const uri = ref.uri;
  if (/^https?:\/\//i.test(uri)) return httpRange(uri, range, at.signal);
  const parsed = parseBucketUri(uri);
  if (parsed.provider === 'file') {
    const st = await stat(parsed.path).catch(() => null);
    if (!st?.isFile()) throw gone();
    const end = Math.min(range.end ?? st.size, st.size);
    if (end <= range.start) return Readable.from([]);
    return createReadStream(parsed.path, { start: range.start, end: end - 1, highWaterMark: 1 << 20 });
  }
  if (parsed.prefix === '' || parsed.prefix.endsWith('/'))
    throw new FerryError(ErrorType.InvalidInput, `manifest ${uri} names a bucket or folder, not an object`);
  const bucket = await at.openBucket(`${parsed.provider}://${parsed.bucket}`);
  try {
    return (await bucket.get(parsed.prefix, range)).body;
  } catch (err) {
    const e = err as { code?: string; name?: string; $metadata?: { httpStatusCode?: number } };
    if (range.start > 0 && e.$metadata?.httpStatusCode === 416) return Readable.from([]);
    if (e.code === 'ENOENT' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) throw gone();
    throw err;
  }
}

/** One line of a manifest and the byte offset just past it (past its '\n', or the end of the input). */
export interface RawLine {
  text: string;
  end: number;
}

/**
 * The lines of `body`, whose first byte is at offset `start` of the manifest, up to offset `end` (exclusive;
 * a range read may return more than asked). Byte offsets are counted on the raw bytes, so a span boundary is
 * exact whatever the encoding; each line is decoded as UTF-8 on its own. Written here rather than with
 * node:readline, which gives no byte offsets.
 */
export async function* manifestLines(body: Readable, start: number, end?: number): AsyncGenerator<RawLine> {
  let offset = start;
  let carry: Buffer | undefined;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      let buf = carry ? Buffer.concat([carry, chunk]) : chunk;
      carry = undefined;
      let from = 0;
      for (;;) {
        if (end !== undefined && offset >= end) return;
        const nl = buf.indexOf(0x0a, from);
        if (nl < 0) break;
        offset += nl + 1 - from;
        yield { text: buf.toString('utf8', from, nl), end: offset };
        from = nl + 1;
      }
      if (from < buf.length) {
        buf = buf.subarray(from);
        // A line longer than 64 KiB is no object name (names are ≤ 1 KiB): refuse rather than buffer without end.
        if (buf.length > 64 * 1024)
          throw new FerryError(
            ErrorType.InvalidInput,
            `manifest has a line longer than 64 KiB at byte ${offset}`,
          );
        carry = Buffer.from(buf);
      }
    }
    if (carry && carry.length > 0 && (end === undefined || offset < end)) {
      offset += carry.length;
      yield { text: carry.toString('utf8'), end: offset };
    }
  } finally {
    body.destroy();
  }
}

// --- internal ---

async function httpRange(url: string, range: ByteRange, signal?: AbortSignal): Promise<Readable> {
  const res = await request(url, {
    method: 'GET',
    headers: {
      range: `bytes=${range.start}-${range.end !== undefined ? range.end - 1 : ''}`,
      'user-agent': 'ferry (manifest)',
      ...originAuth(url),
    },
    ...(signal ? { signal } : {}),
  });
  if (res.statusCode === 416) {
    await res.body.dump();
    return Readable.from([]);
  }
  if (res.statusCode !== 200 && res.statusCode !== 206) {
    await res.body.dump();
    throw httpStatusError(res.statusCode, url);
  }
  // An origin that ignores Range answers 200 with the whole manifest: skip to the start here.
  if (res.statusCode === 200 && range.start > 0) return skipBytes(res.body, range.start);
  return res.body;
}

function skipBytes(body: Readable, n: number): Readable {
  let left = n;
  return Readable.from(
    (async function* () {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (left >= chunk.length) {
          left -= chunk.length;
          continue;
        }
        yield left > 0 ? chunk.subarray(left) : chunk;
        left = 0;
      }
    })(),
  );
}
