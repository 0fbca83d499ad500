// Multipart uploads to S3: objects above the threshold or of unknown length, cut into parts and committed
// only after beforeCommit has passed.
//
// Driven here, not by lib-storage, because lib-storage completes the upload itself and beforeCommit must run
// BEFORE CompleteMultipartUpload. Each part carries its own SHA-256 (validated by the server); the whole object's
// sha256 is known only after the last part, when the metadata can no longer change, so the bucket records it as
// a tag right after completion (afterComplete). Any failure, including beforeCommit throwing, aborts the upload;
// what a killed worker leaves behind is aborted by cleanupJob at the end of the job.
//
// Memory per object is bounded: parts are read into at most FERRY_S3_QUEUE_SIZE (4) buffers of
// FERRY_S3_PART_SIZE (16 MiB) — 64 MiB — of which all but the one being filled are uploading. Why 64 MiB: a
// worker runs up to 16 transfers by default, so 16 large objects at once stay around 1 GiB, and four parts in
// flight already cover the ~100 MB/s a single S3 connection gets, four times over.
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  DeleteObjectCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  UploadPartCommand,
  type ChecksumAlgorithm,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ErrorType } from '../../common/errors.js';
import { FerryError } from '../classify-error.js';
import { checksumMismatch, parseChecksum, toBase64 } from '../checksum.js';
import { checksumField, s3Algorithm, s3ChecksumType, storedChecksum } from './s3-checksum.js';
import { MiB, isNotFound, type S3Settings } from './s3-client.js';
import type { Committed, ObjectInfo, PutOptions } from './types.js';
import { anySignal, metaToWire } from './wire.js';

/** S3's limit: at most 10,000 parts per object. */
const MAX_PARTS = 10_000;

/** One object's multipart upload: where it goes, and what the bucket does once it is complete. */
export interface MultipartUpload {
  client: S3Client;
  bucket: string;
  /** The bucket's URI, for messages. */
  uri: string;
  /** The object's key (prefix + name). */
  key: string;
  name: string;
  settings: Pick<S3Settings, 'partSize' | 'queueSize'>;
  /** Runs after CompleteMultipartUpload with the checksums the server does not keep (tags them). */
  afterComplete: (sums: { sha256?: string; checksum?: string }) => Promise<void>;
}

/** Uploads `body` in parts; completes the upload only once opts.beforeCommit has passed. */
export async function putMultipart(
  u: MultipartUpload,
  body: Readable,
  opts: PutOptions,
): Promise<ObjectInfo> {
  const { key, name } = u;
  const { partSize, queueSize } = partPlan(opts.size, u.settings);
  const { uploadId, algorithm, field } = await createUpload(u, opts);

  const ac = new AbortController();
  const signal = anySignal([ac.signal, opts.signal]);
  const parts: CompletedPart[] = [];
  const inflight = new Set<Promise<void>>();
  let failure: unknown;
  const fail = (err: unknown): void => {
    failure ??= err;
    ac.abort(err);
  };
  const pool = partPool(partSize);
  try {
    let partNumber = 0;
    for await (const part of readParts(body, partSize, pool.take)) {
      if (failure !== undefined) {
        pool.give(part.buffer);
        break;
      }
      partNumber++;
      if (partNumber > MAX_PARTS) {
        pool.give(part.buffer);
        throw new FerryError(
          ErrorType.DestinationRejected,
          `${u.uri}/${name}: more than ${MAX_PARTS} parts of ${partSize} bytes (object larger than announced?)`,
        );
      }
      const n = partNumber;
      const data = part.buffer.subarray(0, part.length);
      const p = u.client
        .send(
          new UploadPartCommand({
            Bucket: u.bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: n,
            Body: data,
            ContentLength: data.length,
            ChecksumAlgorithm: algorithm,
          }),
          { abortSignal: signal },
        )
        .then((r) => {
          parts.push({
            PartNumber: n,
            ...(r.ETag ? { ETag: r.ETag } : {}),
            ...(r[field] ? { [field]: r[field] } : {}),
          });
        }, fail)
        .finally(() => {
          inflight.delete(p);
          pool.give(part.buffer);
        });
      inflight.add(p);
      // The one buffer the next read fills is the queueSize-th.
      while (inflight.size >= queueSize) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    if (failure !== undefined) throw failure as Error;
    return await completeUpload(u, uploadId, parts, opts, opts.beforeCommit());
  } catch (err) {
    fail(err);
    body.destroy();
    await Promise.allSettled(inflight);
    // Best effort: whatever stays behind (worker killed right here, endpoint down) cleanupJob aborts later.
    await u.client
      .send(new AbortMultipartUploadCommand({ Bucket: u.bucket, Key: key, UploadId: uploadId }))
      .catch(() => undefined);
    throw failure ?? err;
  }
}

/** CreateMultipartUpload with the job's checksum (FULL_OBJECT for the CRCs, s3-checksum.ts). */
export async function createUpload(
  u: MultipartUpload,
  opts: Pick<PutOptions, 'checksum' | 'contentType' | 'meta' | 'signal'>,
): Promise<{ uploadId: string; algorithm: ChecksumAlgorithm; field: ReturnType<typeof checksumField> }> {
  const algorithm = s3Algorithm(opts.checksum ?? 'none').algorithm;
  const created = await u.client.send(
    new CreateMultipartUploadCommand({
      Bucket: u.bucket,
      Key: u.key,
      ...(opts.contentType ? { ContentType: opts.contentType } : {}),
      Metadata: metaToWire(opts.meta),
      ChecksumAlgorithm: algorithm,
      ChecksumType: s3ChecksumType(opts.checksum ?? 'none'),
    }),
    opts.signal ? { abortSignal: opts.signal } : {},
  );
  if (!created.UploadId) throw new FerryError(ErrorType.DestinationUnavailable, `${u.uri}: no UploadId`);
  return { uploadId: created.UploadId, algorithm, field: checksumField(algorithm) };
}

/**
 * CompleteMultipartUpload once the caller's checks passed (`committed`); with FULL_OBJECT the server combines the
 * parts' CRCs and refuses the upload unless they make the whole object's. A failure is the caller's to abort.
 */
export async function completeUpload(
  u: MultipartUpload,
  uploadId: string,
  parts: CompletedPart[],
  opts: Pick<PutOptions, 'checksum' | 'meta' | 'signal'>,
  committed: Committed,
): Promise<ObjectInfo> {
  const algo = opts.checksum ?? 'none';
  const { algorithm, own } = s3Algorithm(algo);
  const field = checksumField(algorithm);
  const { bytes, ...sums } = committed;
  parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
  const full = s3ChecksumType(algo) === 'FULL_OBJECT' ? parseChecksum(sums.checksum) : undefined;
  const done = await u.client.send(
    new CompleteMultipartUploadCommand({
      Bucket: u.bucket,
      Key: u.key,
      UploadId: uploadId,
      MultipartUpload: { Parts: parts },
      ...(full ? { [field]: toBase64(full.hex), ChecksumType: 'FULL_OBJECT' } : {}),
    }),
    opts.signal ? { abortSignal: opts.signal } : {},
  );
  const stored = storedChecksum(done);
  if (full && stored && stored !== sums.checksum) {
    // A server that ignored the full-object checksum (an S3 clone) and combined the parts into another one.
    await u.client.send(new DeleteObjectCommand({ Bucket: u.bucket, Key: u.key })).catch(() => undefined);
    throw checksumMismatch(`${u.uri}/${u.name}: S3 stored it (object removed)`, sums.checksum!, stored);
  }
  // What the object's own checksum does not carry: sha256 of a COMPOSITE upload, md5.
  if (!full || !own) await u.afterComplete(sums);
  return { name: u.name, size: bytes, meta: { ...opts.meta, ...sums } };
}

/**
 * Part size and buffers for an object: the configured size, grown (in whole MiB) so that the object fits in
 * 10,000 parts; fewer buffers when parts grow, so that memory stays at the configured budget where it can.
 */
export function partPlan(
  size: number | undefined,
  s: Pick<S3Settings, 'partSize' | 'queueSize'>,
): { partSize: number; queueSize: number } {
  let partSize = s.partSize;
  if (size !== undefined && Math.ceil(size / partSize) > MAX_PARTS)
    partSize = Math.ceil(size / MAX_PARTS / MiB) * MiB;
  const budget = s.partSize * s.queueSize;
  return { partSize, queueSize: Math.max(1, Math.min(s.queueSize, Math.floor(budget / partSize))) };
}

// --- internal ---

/**
 * Cuts a stream into parts of `partSize` bytes, copying into buffers from `take` (one copy per byte; the
 * buffers are recycled). The last part may be shorter; an empty stream yields one empty part.
 */
async function* readParts(
  src: AsyncIterable<Buffer>,
  partSize: number,
  take: () => Buffer,
): AsyncGenerator<{ buffer: Buffer; length: number }> {
  let buf: Buffer | undefined;
  let fill = 0;
  let yielded = false;
  for await (const chunk of src) {
    let off = 0;
    while (off < chunk.length) {
      buf ??= take();
      const n = Math.min(partSize - fill, chunk.length - off);
      chunk.copy(buf, fill, off, off + n);
      fill += n;
      off += n;
      if (fill === partSize) {
        const full = buf;
        buf = undefined;
        fill = 0;
        yielded = true;
        yield { buffer: full, length: partSize };
      }
    }
  }
  if (fill > 0 || !yielded) yield { buffer: buf ?? take(), length: fill };
}

/**
 * Part buffers are big (16 MiB) and short-lived; allocating one per part leaves freeing them to the GC, which
 * lets RSS climb. A small per-size free list keeps a steady copy job at a steady footprint.
 */
const freeBuffers = new Map<number, Buffer[]>();
const MAX_FREE_PER_SIZE = 8;
function partPool(size: number): { take: () => Buffer; give: (b: Buffer) => void } {
  return {
    take: () => freeBuffers.get(size)?.pop() ?? Buffer.allocUnsafeSlow(size),
    give: (b) => {
      let list = freeBuffers.get(size);
      if (!list) freeBuffers.set(size, (list = []));
      if (list.length < MAX_FREE_PER_SIZE && !list.includes(b)) list.push(b);
    },
  };
}

/**
 * Aborts the incomplete multipart uploads under `prefix` initiated at or after `since` (and, given `isName`, of
 * one of those names); returns how many. An upload completed or aborted meanwhile is not an error.
 */
export async function abortUploads(
  client: S3Client,
  bucket: string,
  prefix: string,
  since: number,
  isName?: (name: string) => boolean,
): Promise<number> {
  let removed = 0;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await client.send(
      new ListMultipartUploadsCommand({
        Bucket: bucket,
        ...(prefix ? { Prefix: prefix } : {}),
        ...(keyMarker ? { KeyMarker: keyMarker } : {}),
        ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
      }),
    );
    for (const u of page.Uploads ?? []) {
      if (!u.Key?.startsWith(prefix) || !u.UploadId) continue;
      if (u.Initiated && u.Initiated.getTime() < since) continue;
      if (isName && !isName(u.Key.slice(prefix.length))) continue;
      try {
        await client.send(
          new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }),
        );
        removed++;
      } catch (err) {
        if (!isNotFound(err)) throw err; // completed or aborted meanwhile
      }
    }
    if (!page.IsTruncated || !(page.NextKeyMarker || page.NextUploadIdMarker)) break;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
  return removed;
}
