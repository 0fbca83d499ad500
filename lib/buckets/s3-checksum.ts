// S3's flexible checksums for the job's --checksum: which algorithm ferry asks the server to verify, how the SDK
// computes it, and how a stored checksum reads back as ferry's `<algo>:<hex>`.
//
// - crc32c, crc64nvme: verified by the server on single PUTs (a trailer the SDK computes while streaming) and,
//   with ChecksumType FULL_OBJECT, on multipart uploads: every part carries its CRC, and CompleteMultipartUpload
//   carries the whole object's, which the server checks against the combination of the parts' and keeps. HeadObject
//   returns it: the object's record is the server's own checksum, not a tag.
// - sha256: single PUTs as before (the server verifies and keeps it); multipart parts carry theirs (COMPOSITE) and
//   the whole object's is recorded as a tag (s3.ts).
// - md5, none: S3 has no full-object md5 for streamed uploads; the transport is still checked with CRC32C (the
//   cheapest), and md5 is recorded as a tag / metadata.
//
// The SDK's own CRC32C is plain JavaScript (~70 MiB/s measured, lib/checksum.ts); it takes ferry's
// @node-rs/crc32 (~5,600 MiB/s) through its `checksumAlgorithms` option, so the server-side check costs ~nothing.
import type { ChecksumAlgorithm, ChecksumType } from '@aws-sdk/client-s3';
import { crc32c } from '@node-rs/crc32';
import type { ChecksumAlgo } from '../../common/schemas.js';
import { formatChecksum, fromBase64 } from '../checksum.js';

/** The algorithm S3 verifies for a job's checksum, and whether it is the job's own (else transport only). */
export function s3Algorithm(algo: ChecksumAlgo): { algorithm: ChecksumAlgorithm; own: boolean } {
  switch (algo) {
    case 'crc32c':
      return { algorithm: 'CRC32C', own: true };
    case 'crc64nvme':
      return { algorithm: 'CRC64NVME', own: true };
    case 'sha256':
      return { algorithm: 'SHA256', own: true };
    case 'md5':
    case 'none':
      return { algorithm: 'CRC32C', own: false };
  }
}

/** Multipart: FULL_OBJECT for the CRCs (S3 combines the parts'), COMPOSITE (a checksum of checksums) otherwise. */
export function s3ChecksumType(algo: ChecksumAlgo): ChecksumType {
  return algo === 'crc32c' || algo === 'crc64nvme' ? 'FULL_OBJECT' : 'COMPOSITE';
}

/** The request/response field of an algorithm, e.g. ChecksumCRC32C. */
export function checksumField(
  algorithm: ChecksumAlgorithm,
): 'ChecksumCRC32C' | 'ChecksumCRC64NVME' | 'ChecksumSHA256' | 'ChecksumCRC32' | 'ChecksumSHA1' {
  return `Checksum${algorithm}` as never;
}

/** A response's Checksum* fields. */
export interface StoredChecksums {
  ChecksumCRC32C?: string | undefined;
  ChecksumCRC64NVME?: string | undefined;
  ChecksumSHA256?: string | undefined;
  ChecksumType?: string | undefined;
}

/**
 * The whole object's checksum S3 keeps, as `<algo>:<hex>`: a FULL_OBJECT CRC (single PUTs are full-object too),
 * or a sha256 that is not a composite of parts. Undefined when it keeps none of these.
 */
export function storedChecksum(res: StoredChecksums): string | undefined {
  if (res.ChecksumType === 'COMPOSITE') return undefined;
  const pairs: [ChecksumAlgo, string | undefined][] = [
    ['crc64nvme', res.ChecksumCRC64NVME],
    ['crc32c', res.ChecksumCRC32C],
    ['sha256', res.ChecksumSHA256],
  ];
  for (const [algo, b64] of pairs) {
    const hex = fromBase64(b64, algo);
    if (hex) return formatChecksum(algo, hex);
  }
  return undefined;
}

/** The SDK's CRC32C, computed by @node-rs/crc32 (the `checksumAlgorithms` client option). */
export class FastCrc32c {
  private state = 0;
  update(chunk: Uint8Array): void {
    this.state = crc32c(chunk, this.state);
  }
  digest(): Promise<Uint8Array> {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, this.state >>> 0);
    return Promise.resolve(out);
  }
  reset(): void {
    this.state = 0;
  }
}
