// Small objects into S3, received whole and hashed by the copy (Bucket.putBytes): one PutObject whose body is a
// buffer and whose checksum header is the one the copy already computed.
//
// Why: put()'s streaming PutObject goes out aws-chunked — the SDK wraps the body in an encoding stream, hashes it
// again for the trailer, and ferry's commit guard holds the last chunk back — all per object, for bodies that are
// already in memory and already checked. With a buffer there is nothing to hold back (the length check ran
// before the call), and S3 verifies the x-amz-checksum-* header against what it received before it stores the
// object, exactly as it verified the trailer. The SDK's flexible-checksum step sees the header and computes
// nothing. A buffer body can also be replayed, so the SDK's own retry covers throttling.
//
// Headers by the job's --checksum: crc32c, crc64nvme, sha256 → that algorithm's header (the server keeps it:
// the object's record, as with put()); md5 → Content-MD5, which S3 verifies too, plus a transport CRC32C; none →
// a transport CRC32C. md5 is then recorded as a tag, as put() records it.
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import { crc32c } from '@node-rs/crc32';
import { parseChecksum, toBase64 } from '../checksum.js';
import { checksumField, s3Algorithm } from './s3-checksum.js';
import type { ObjectMeta, PutBytesOptions } from './types.js';
import { metaToWire } from './wire.js';

/** The largest body the copy hands over whole (memory: this × the batch's lanes), as for the local bucket. */
export const S3_SMALL_MAX = 256 * 1024;

export interface WholePut {
  input: PutObjectCommandInput;
  /** The server verifies and keeps the job's own checksum (else it is recorded as a tag afterwards). */
  own: boolean;
  sums: Pick<ObjectMeta, 'sha256' | 'checksum'>;
}

export function wholePut(bucket: string, key: string, chunks: Buffer[], opts: PutBytesOptions): WholePut {
  const { sha256, checksum, ...meta } = opts.meta;
  const sums = { ...(sha256 ? { sha256 } : {}), ...(checksum ? { checksum } : {}) };
  const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, opts.bytes);
  const parsed = parseChecksum(checksum);
  const own = parsed !== undefined && s3Algorithm(parsed.algo).own;
  const sum = own
    ? { [checksumField(s3Algorithm(parsed.algo).algorithm)]: toBase64(parsed.hex) }
    : {
        ChecksumCRC32C: crc32cBase64(body),
        ...(parsed?.algo === 'md5' ? { ContentMD5: toBase64(parsed.hex) } : {}),
      };
  return {
    input: {
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentLength: opts.bytes,
      ...(opts.contentType ? { ContentType: opts.contentType } : {}),
      // The sums are not metadata: the server's checksum (or a tag) records them, as for put().
      Metadata: metaToWire(meta),
      ...sum,
    },
    own,
    sums,
  };
}

/** The same request as HTTP headers, for s3-direct.ts. */
export function wireHeaders(input: PutObjectCommandInput): Record<string, string> {
  const out: Record<string, string> = {};
  if (input.ContentType) out['content-type'] = input.ContentType;
  for (const [k, v] of Object.entries(input.Metadata ?? {})) out[`x-amz-meta-${k.toLowerCase()}`] = v;
  if (input.ChecksumCRC32C) out['x-amz-checksum-crc32c'] = input.ChecksumCRC32C;
  if (input.ChecksumCRC64NVME) out['x-amz-checksum-crc64nvme'] = input.ChecksumCRC64NVME;
  if (input.ChecksumSHA256) out['x-amz-checksum-sha256'] = input.ChecksumSHA256;
  if (input.ContentMD5) out['content-md5'] = input.ContentMD5;
  return out;
}

function crc32cBase64(body: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32c(body) >>> 0);
  return out.toString('base64');
}
