// Checking an object against its manifest line, as Storage Transfer Service does: a size that disagrees fails the
// object with ManifestMismatch, a checksum that disagrees with ChecksumMismatch (both never retried), before
// anything is committed — at the response head when the origin's Content-Length already differs, else just before
// the commit (the put's beforeCommit, the ranged writer's commit).
//
// The line's checksum is computed by the copy path's own hashers (lib/checksum.ts), in the same pass as the job's
// --checksum: when both name one algorithm (the default crc32c and a `crc32c:` column) it is the same hasher. A
// crc32c or crc64nvme line keeps parallel Range GETs working (each range hashed alone, then combined with
// combineCrc); an md5 or sha256 line cannot be combined, so such an object takes one stream.
import { ErrorType } from '../../common/errors.js';
import type { ManifestExpect } from '../../common/manifest.js';
import type { ChecksumAlgo } from '../../common/schemas.js';
import { FerryError, redactUrl } from '../classify-error.js';
import { createHasher, type Hasher } from '../checksum.js';

/** The origin announced a size other than the manifest's: fail before reading the body. */
export function checkAnnouncedSize(
  want: ManifestExpect | undefined,
  size: number | undefined,
  url: string,
): void {
  if (want?.size !== undefined && size !== undefined && size !== want.size)
    throw new FerryError(
      ErrorType.ManifestMismatch,
      `${redactUrl(url)}: the origin says ${size} bytes, the manifest ${want.size}`,
    );
}

/**
 * Whether an object its line describes may still be fetched in parallel ranges: a line without a checksum, or with
 * a CRC of the job's own algorithm (the ranges' CRCs combine into it; any other is hashed on one stream).
 */
export function rangesCanVerify(want: ManifestExpect | undefined, jobAlgo: ChecksumAlgo): boolean {
  const algo = want?.checksum?.algo;
  return algo === undefined || (algo === jobAlgo && (algo === 'crc32c' || algo === 'crc64nvme'));
}

export interface ManifestHasher {
  /** The hasher the copy path feeds: the job's, and the line's algorithm too when that is another one. */
  hasher: Hasher;
  /** After the last byte and before the commit: throws unless `bytes` and the digest match the line. */
  verify(bytes: number): void;
}

/**
 * A hasher for an object `want` describes, for the job's `algo`. Its `digest()` is the job's digest (memoised, so
 * the copy path and `verify` may both ask); the line's own digest is taken in `verify`.
 */
export async function manifestHasher(
  want: ManifestExpect,
  algo: ChecksumAlgo,
  url: string,
): Promise<ManifestHasher> {
  const job = await createHasher(algo);
  const lineAlgo = want.checksum?.algo;
  const extra = lineAlgo && lineAlgo !== algo ? await createHasher(lineAlgo) : undefined;
  let digest: string | undefined;
  const hasher: Hasher = {
    algo,
    update: extra
      ? (d) => {
          job.update(d);
          extra.update(d);
        }
      : (d) => job.update(d),
    digest: () => (digest ??= job.digest()),
  };
  return {
    hasher,
    verify: (bytes) => verifyArrived(want, bytes, () => (extra ? extra.digest() : hasher.digest()), url),
  };
}

/** The same check for a ranged copy, given the whole object's digest of the line's algorithm. */
export function verifyArrived(want: ManifestExpect, bytes: number, digest: () => string, url: string): void {
  if (want.size !== undefined && bytes !== want.size)
    throw new FerryError(
      ErrorType.ManifestMismatch,
      `${redactUrl(url)}: received ${bytes} bytes, the manifest says ${want.size}`,
    );
  const sum = want.checksum;
  if (!sum) return;
  const got = digest();
  if (got !== sum.hex)
    throw new FerryError(
      ErrorType.ChecksumMismatch,
      `${redactUrl(url)}: ${sum.algo} ${got || '?'} differs from the manifest's ${sum.hex}`,
    );
}
