// Checking an object against its manifest line, as Storage Transfer Service does: a size or checksum that
// disagrees fails the object with ManifestMismatch (never retried) before anything is committed — at the
// response head when the origin's Content-Length already differs, else in the put's beforeCommit.
import { createHash, type Hash } from 'node:crypto';
import type { TransformCallback } from 'node:stream';
import { ErrorType } from '../../common/errors.js';
import type { ManifestExpect } from '../../common/manifest.js';
import { FerryError, redactUrl } from '../classify-error.js';
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

/** A HashCounter that also keeps the MD5 a manifest line asks for. */
export class ManifestCounter extends HashCounter {
  private readonly md5: Hash | undefined;
  constructor(
    readonly want: ManifestExpect,
    limiter?: RateLimiter,
  ) {
    super(limiter);
    this.md5 = want.checksum?.algo === 'md5' ? createHash('md5') : undefined;
  }
  override _transform(chunk: Buffer, enc: BufferEncoding, cb: TransformCallback): void {
    this.md5?.update(chunk);
    super._transform(chunk, enc, cb);
  }
  /** Throws ManifestMismatch unless the bytes that passed match the line; `sha256` is the counter's digest. */
  verify(sha256: string, url: string): void {
    verifyArrived(this.want, this.bytes, sha256, this.md5?.digest('hex'), url);
  }
}

/** A small object received whole: check it against its line. */
export function verifyWhole(
  want: ManifestExpect | undefined,
  chunks: Buffer[],
  sha256: string,
  url: string,
): void {
  if (!want) return;
  let md5: string | undefined;
  if (want.checksum?.algo === 'md5') {
    const h = createHash('md5');
    for (const c of chunks) h.update(c);
    md5 = h.digest('hex');
  }
  verifyArrived(
    want,
    chunks.reduce((a, c) => a + c.length, 0),
    sha256,
    md5,
    url,
  );
}

// --- internal ---

function verifyArrived(
  want: ManifestExpect,
  bytes: number,
  sha256: string,
  md5: string | undefined,
  url: string,
): void {
  if (want.size !== undefined && bytes !== want.size)
    throw mismatch(url, `received ${bytes} bytes, the manifest says ${want.size}`);
  const sum = want.checksum;
  if (!sum) return;
  const got = sum.algo === 'md5' ? md5 : sha256;
  if (got !== sum.hex)
    throw mismatch(url, `${sum.algo} ${got ?? '?'} differs from the manifest's ${sum.hex}`);
}

function mismatch(url: string, what: string): FerryError {
  return new FerryError(ErrorType.ManifestMismatch, `${redactUrl(url)}: ${what}`);
}
