// Checking an object against its manifest line, as Storage Transfer Service does: a size or checksum that
// disagrees fails the object with ManifestMismatch (never retried) before anything is committed — at the
// response head when the origin's Content-Length already differs, else in the put's beforeCommit.
import { createHash, type Hash } from 'node:crypto';
import type { TransformCallback } from 'node:stream';
import { ErrorType } from '../../common/errors.js';
import type { ManifestExpect } from '../../common/manifest.js';
import { FerryError, redactUrl } from '../classify-error.js';
import type { Hasher } from '../checksum.js';
import { HashCounter, type RateLimiter } from '../streams.js';

/** The origin announced a size other than the manifest's: fail before reading the body. */
export function checkAnnouncedSize(
  want: ManifestExpect | undefined,
  size: number | undefined,
  url: string,
): void {
  if (want?.size !== undefined && size !== undefined && size !== want.size)
    throw mismatch(url, `the origin says ${size} bytes, the manifest ${want.size}`);
}

/**
 * A HashCounter (the job's --checksum) that also computes the digest a manifest line gives, when that is another
 * algorithm (a line's `md5:` under the default crc32c): both in one pass over the bytes.
 */
export class ManifestCounter extends HashCounter {
  private readonly extra: Hash | undefined;
  constructor(
    readonly want: ManifestExpect,
    private readonly jobHash: Hasher,
    limiter?: RateLimiter,
  ) {
    super(jobHash, limiter);
    const algo = want.checksum?.algo;
    this.extra = algo && algo !== jobHash.algo ? createHash(algo) : undefined;
  }
  override _transform(chunk: Buffer, enc: BufferEncoding, cb: TransformCallback): void {
    this.extra?.update(chunk);
    super._transform(chunk, enc, cb);
  }
  /** Throws ManifestMismatch unless the bytes that passed match the line; `jobDigest` is the counter's digest. */
  verify(jobDigest: string, url: string): void {
    verifyArrived(this.want, this.bytes, this.extra ? this.extra.digest('hex') : jobDigest, url);
  }
}

/** A small object received whole: check it against its line (`jobDigest` is of the job's `algo`). */
export function verifyWhole(
  want: ManifestExpect | undefined,
  chunks: Buffer[],
  algo: string,
  jobDigest: string,
  url: string,
): void {
  if (!want) return;
  let got = jobDigest;
  if (want.checksum && want.checksum.algo !== algo) {
    const h = createHash(want.checksum.algo);
    for (const c of chunks) h.update(c);
    got = h.digest('hex');
  }
  verifyArrived(
    want,
    chunks.reduce((a, c) => a + c.length, 0),
    got,
    url,
  );
}

// --- internal ---

function verifyArrived(want: ManifestExpect, bytes: number, got: string, url: string): void {
  if (want.size !== undefined && bytes !== want.size)
    throw mismatch(url, `received ${bytes} bytes, the manifest says ${want.size}`);
  const sum = want.checksum;
  if (!sum) return;
  if (got !== sum.hex)
    throw mismatch(url, `${sum.algo} ${got || '?'} differs from the manifest's ${sum.hex}`);
}

function mismatch(url: string, what: string): FerryError {
  return new FerryError(ErrorType.ManifestMismatch, `${redactUrl(url)}: ${what}`);
}
